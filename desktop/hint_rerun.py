"""Runs a backend that takes hints itself (``Capability.HINTS``) again after the hints change.

The host re-guides any other backend's samples in a fraction of a second (desktop/guidance.py);
a backend that reads the hints itself has to run again. So once the edits of the photo on view
pause (a drag is one edit), its current run is made again with the same settings and the new
hints, one run at a time: edits made while it runs are answered when it ends.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QObject, QTimer

from desktop.state.session import PhotoDoc, Run
from plugins.types import Capability

PAUSE_MS = 300
"""How long the edits must rest before the backend runs again."""


class HintRerun(QObject):
    def __init__(self, session, colorize: Callable[[PhotoDoc, Run], object], capabilities: Callable[[str], frozenset]):
        super().__init__(session)
        self.session, self.colorize, self.capabilities = session, colorize, capabilities
        self.timer = QTimer(self, singleShot=True, interval=PAUSE_MS)
        self.timer.timeout.connect(self._run_again)
        session.hints_changed.connect(lambda doc: doc is session.current and self.timer.start())
        session.run_changed.connect(lambda doc, run: self.waiting(doc) and self.timer.start())

    def takes_hints(self, run: Run | None) -> bool:
        return run is not None and Capability.HINTS in self.capabilities(run.settings.backend_id)

    def stale(self, doc: PhotoDoc | None) -> bool:
        """The run on view is of a backend that takes hints, and was given other hints than ``doc``'s."""
        run = doc.current_run if doc is not None else None
        return self.takes_hints(run) and run.backend_hints is not None and run.backend_hints != doc.hints.color_hints()

    def waiting(self, doc: PhotoDoc) -> bool:
        """``doc`` is on view, its run is out of date and nothing of it runs: time to run it again."""
        return doc is self.session.current and not doc.busy and self.stale(doc)

    def _run_again(self) -> None:
        doc = self.session.current
        if doc is not None and self.waiting(doc):
            self.colorize(doc, doc.current_run)
