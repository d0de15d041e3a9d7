"""A photo's reference photo: chosen by the user ("Use a reference photo…"), read in the background, shown
beside the photo (desktop/reference_view.py) and kept in the session.

For a backend without ``Capability.REFERENCE`` the host moves each sample's colors toward the
reference's (desktop/guidance.py, as ``tinct colorize --reference`` does): no new run is needed.
A backend that takes a reference itself colorizes the photo again with it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog

from desktop import saving, worker
from desktop.guidance import read_reference_job
from desktop.state.hints import Reference
from desktop.state.notices import OPEN, advice_for
from desktop.state.session import PhotoDoc
from plugins.types import Capability

REFERENCE_FILTER = "Photos (*.jpg *.jpeg *.png *.tif *.tiff *.webp *.bmp);;All files (*)"


class ReferencePhotos(QObject):
    def __init__(self, window, capabilities: Callable[[str], frozenset]):
        super().__init__(window)
        self.window, self.session, self.capabilities = window, window.session, capabilities

    def choose(self) -> None:
        """Ask for a reference photo for the photo on view."""
        doc = self.session.current
        if doc is None or doc.size is None:
            self.window.notices.info("Open a photo first", "A reference photo gives its colors to the photo on view.")
            return
        with saving.roomy_file_dialogs(self.window):
            path, _filter = QFileDialog.getOpenFileName(self.window, "Use a reference photo", str(doc.path.parent),
                                                        REFERENCE_FILTER)
        if path:
            self.use(Path(path))

    def use(self, path: Path, doc: PhotoDoc | None = None, edited: bool = True) -> None:
        """Read ``path`` (in the background) as ``doc``'s reference (default: the photo on view); once read it
        shows beside the photo and the samples take its colors."""
        doc = doc or self.session.current
        if doc is None:
            return
        path = Path(path).resolve()
        if doc.path == path:
            self.window.notices.info("Choose another photo", "A photo cannot be its own reference.")
            return
        pending = Reference(path)
        self.session.set_reference(doc, pending, edited)
        reading = _Reading(self, doc, pending)
        job = worker.GeneratorWorker(read_reference_job, path)
        job.returned.connect(reading.read)  # a child's methods: dropped if the window is gone before the file is read
        job.errored.connect(reading.failed)
        job.finished.connect(reading.deleteLater)
        job.start()

    def remove(self) -> None:
        doc = self.session.current
        if doc is not None and doc.reference is not None:
            self.session.set_reference(doc, None)

    def _colorize_again(self, doc: PhotoDoc) -> None:
        """A backend that takes the reference itself makes the run on view again with it."""
        run = doc.current_run
        if run is not None and run.samples and Capability.REFERENCE in self.capabilities(run.settings.backend_id):
            self.window.queue.colorize(doc, run.settings)


class _Reading(QObject):
    """One reference photo being read for ``doc``."""

    def __init__(self, photos: ReferencePhotos, doc: PhotoDoc, pending: Reference):
        super().__init__(photos)
        self.photos, self.doc, self.pending = photos, doc, pending

    def read(self, result) -> None:
        doc, path = self.doc, self.pending.path
        if doc.reference is not self.pending:
            return  # replaced or removed meanwhile
        lab, preview = result
        self.photos.session.set_reference(doc, Reference(path, lab, preview), edited=False)
        self.photos._colorize_again(doc)

    def failed(self, error: BaseException) -> None:
        if self.doc.reference is self.pending:
            self.photos.session.set_reference(self.doc, None, edited=False)
        self.photos.window.notices.error(f"Could not use {self.pending.path.name} as the reference", str(error),
                                         advice=advice_for(error, OPEN))
