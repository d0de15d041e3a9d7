"""Runs a backend that takes hints itself (``Capability.HINTS``) again after the user edits the hints.

The host re-guides any other backend's samples in a fraction of a second (desktop/guidance.py);
a backend that reads the hints itself has to run again. So once the hint edits of the photo on
view pause (a drag is one edit), its current run is made again with the same settings, restoration
and the new hints, one run at a time: edits made while it runs are answered when it has finished.
Only edits start runs: looking at an older run, a cancelled or failed run, or a changed reference
start none.
"""

from __future__ import annotations

from typing import Callable
from weakref import WeakSet

from PySide6.QtCore import QObject, QTimer

from desktop.state.session import DONE, PhotoDoc, Run
from plugins.types import Capability

PAUSE_MS = 300
"""How long the edits must rest before the backend runs again."""


class HintRerun(QObject):
    def __init__(self, session, colorize: Callable[[PhotoDoc, Run], object], capabilities: Callable[[str], frozenset]):
        super().__init__(session)
        self.session, self.colorize, self.capabilities = session, colorize, capabilities
        self._edited: WeakSet[PhotoDoc] = WeakSet()  # photos whose hints changed since their run was asked for
        self.timer = QTimer(self, singleShot=True, interval=PAUSE_MS)
        self.timer.timeout.connect(self._run_again)
        session.hints_changed.connect(self._hints_changed)
        session.run_changed.connect(self._run_changed)
        session.current_changed.connect(lambda *_: self.session.current in self._edited and self.timer.start())

    def takes_hints(self, run: Run | None) -> bool:
        return run is not None and Capability.HINTS in self.capabilities(run.settings.backend_id)

    def stale(self, doc: PhotoDoc | None) -> bool:
        """The run on view is of a backend that takes hints, and was given other hints than ``doc``'s."""
        run = doc.current_run if doc is not None else None
        return self.takes_hints(run) and run.backend_hints is not None and run.backend_hints != doc.hints.color_hints()

    def _hints_changed(self, doc: PhotoDoc) -> None:
        if self.takes_hints(doc.current_run):
            self._edited.add(doc)
            if doc is self.session.current:
                self.timer.start()

    def _run_changed(self, doc: PhotoDoc, run: Run) -> None:
        if doc not in self._edited or run.active:
            return
        if run.state != DONE:  # cancelled or failed: the user decides what next
            self._edited.discard(doc)
        elif doc is self.session.current and not doc.busy:
            self.timer.start()

    def _run_again(self) -> None:
        doc = self.session.current
        if doc is None or doc not in self._edited or doc.busy:
            return
        self._edited.discard(doc)
        if self.stale(doc):
            self.colorize(doc, doc.current_run)
