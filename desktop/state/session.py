"""What is open: photos, each photo's runs and their samples, and what the user picked.

The widgets only draw this and call its methods; every change is announced by a
past-tense signal. Nothing here touches a widget, a file or a backend.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from typing import Mapping

import numpy as np
from PySide6.QtCore import QObject, Signal

from desktop.state.combine import CombineMask, Stroke, StrokeHistory
from desktop.state.hints import HintEdits, Reference
from desktop.state.restoration import RestoreSettings
from desktop.state.saved_session import SavedPhoto, SavedRun, SavedSession
from desktop.state.settings import ColorizeSettings

QUEUED, RUNNING, DONE, CANCELLED, FAILED = "queued", "running", "done", "cancelled", "failed"
_run_ids = count(1)


@dataclass(eq=False)
class ColorSample:
    """One colorization: the backend's ab at working size and a display-size sRGB preview."""

    index: int
    ab: np.ndarray
    preview: np.ndarray
    """``uint8 (h, w, 3)`` at the photo's preview size."""
    thumbnail: np.ndarray
    backend_ab: np.ndarray | None = None
    """The backend's own ab, kept once the photo's hints or reference were applied to ``ab``; None: ``ab`` is it."""
    guided_by: object = None
    """What was applied to ``ab``, preview and thumbnail (``desktop.guidance.host_guide``); None: nothing."""

    @property
    def own_ab(self) -> np.ndarray:
        """The backend's ab, before the photo's hints and reference."""
        return self.backend_ab if self.backend_ab is not None else self.ab


@dataclass(eq=False)
class Run:
    """One colorize call on one photo."""

    settings: ColorizeSettings
    expected: int
    id: int = field(default_factory=lambda: next(_run_ids))
    samples: dict[int, ColorSample] = field(default_factory=dict)
    state: str = QUEUED
    progress: float = 0.0
    message: str = ""
    error: str = ""
    device: str = ""
    viewed: int | None = None
    chosen: int | None = None
    brush_source: int | None = None
    combine: CombineMask | None = None
    combined_preview: np.ndarray | None = None
    number: int = 1
    """Which run of its photo this is (1, 2, …): what the user sees; ``id`` is unique across photos."""
    restoring: SavedRun | None = None
    """The kept run this one makes again, until its choice and strokes are back (kept as it was meanwhile)."""
    restoration: RestoreSettings | None = None
    """The restoration its backend's input had (desktop/state/restoration.py); None: the photo as it is."""
    lightness: np.ndarray | None = None
    """The restored lightness at the photo's preview size, once the run has restored it: what its samples are
    merged onto. None: the photo's own (``PhotoDoc.lightness_for``)."""
    backend_hints: tuple | None = None
    """The hints its backend was given, when it takes hints itself (``Capability.HINTS``), once it has started."""

    @property
    def active(self) -> bool:
        return self.state in (QUEUED, RUNNING)

    @property
    def base(self) -> int | None:
        """The sample the combine mask starts from: the chosen one, else the first made."""
        if self.chosen is not None:
            return self.chosen
        return min(self.samples) if self.samples else None

    @property
    def has_strokes(self) -> bool:
        return self.combine is not None and not self.combine.is_blank

    def label(self) -> str:
        restored = " · restored" if self.restoration is not None else ""
        return f"Run {self.number} · {self.settings.backend_id} · seed {self.settings.seed}{restored}"


@dataclass(eq=False)
class PhotoDoc:
    """An open photo. The preview lightness arrives once a worker has read the file."""

    path: Path
    size: tuple[int, int] | None = None
    """``(width, height)`` at full resolution."""
    preview_lightness: np.ndarray | None = None
    original_preview: np.ndarray | None = None
    """``uint8 (h, w, 3)`` gray, what the backend sees."""
    notes: list[str] = field(default_factory=list)
    runs: list[Run] = field(default_factory=list)
    current_run: Run | None = None
    error: str = ""
    edits: int = 0
    """Counts changes to its results (samples made, a choice, strokes, hints)."""
    saved_edits: int = 0
    """``edits`` as it was when its result was last saved."""
    hints: HintEdits = field(default_factory=HintEdits)
    """The user's color hints, in full-resolution px (desktop/state/hints.py)."""
    reference: Reference | None = None
    """A photo to take colors from."""
    restore: RestoreSettings = field(default_factory=RestoreSettings)
    """The restoration the next run gets (the Restore panel's settings and mask edits)."""

    def lightness_for(self, run: Run) -> np.ndarray | None:
        """The preview-size lightness ``run``'s samples are merged onto: its restored one, else the photo's."""
        return run.lightness if run.lightness is not None else self.preview_lightness

    @property
    def unsaved(self) -> bool:
        """It has results made or changed since it was last saved."""
        return self.edits != self.saved_edits

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def busy(self) -> bool:
        return any(run.active for run in self.runs)

    @property
    def colorized(self) -> bool:
        """Some run of this photo made at least one sample."""
        return any(run.samples for run in self.runs)


class Session(QObject):
    """The open photos and everything chosen in them."""

    photos_changed = Signal()
    current_changed = Signal()
    photo_loaded = Signal(object)  # PhotoDoc
    run_changed = Signal(object, object)  # PhotoDoc, Run: added, progress, state
    sample_added = Signal(object, object, object)  # PhotoDoc, Run, ColorSample
    selection_changed = Signal(object, object)  # PhotoDoc, Run: viewed, chosen or brush source
    combine_changed = Signal(object, object)  # PhotoDoc, Run
    combining_changed = Signal(bool)
    unsaved_changed = Signal(object)  # PhotoDoc: edited, or saved
    hints_changed = Signal(object)  # PhotoDoc: its hints or reference
    sample_guided = Signal(object, object, object)  # PhotoDoc, Run, ColorSample: the hints applied to it again
    restoration_changed = Signal(object)  # PhotoDoc: its restore settings or mask edits

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.photos: list[PhotoDoc] = []
        self.current: PhotoDoc | None = None
        self.combining = False

    # -- photos ----------------------------------------------------------------
    def open(self, paths) -> list[PhotoDoc]:
        """Add photos not already open; the first of them becomes current. Returns their docs."""
        opened = []
        known = {doc.path: doc for doc in self.photos}
        for path in paths:
            path = Path(path).resolve()
            doc = known.get(path)
            if doc is None:
                doc = known[path] = PhotoDoc(path)
                self.photos.append(doc)
            opened.append(doc)
        if opened:
            self.photos_changed.emit()
            self.set_current(opened[0])
        return opened

    def close(self, doc: PhotoDoc) -> None:
        if doc not in self.photos:
            return
        position = self.photos.index(doc)
        self.photos.remove(doc)
        self.photos_changed.emit()
        if doc is self.current:
            neighbours = self.photos[min(position, len(self.photos) - 1)] if self.photos else None
            self.set_current(neighbours)

    def set_current(self, doc: PhotoDoc | None) -> None:
        if doc is not self.current:
            self.current = doc
            self.current_changed.emit()

    def step(self, offset: int) -> None:
        if self.photos and self.current in self.photos:
            position = (self.photos.index(self.current) + offset) % len(self.photos)
            self.set_current(self.photos[position])

    def set_loaded(self, doc: PhotoDoc, size, preview_lightness, original_preview, notes) -> None:
        doc.size, doc.preview_lightness, doc.original_preview = size, preview_lightness, original_preview
        doc.notes, doc.error = list(notes), ""
        self.photo_loaded.emit(doc)

    # -- runs ------------------------------------------------------------------
    def add_run(self, doc: PhotoDoc, settings: ColorizeSettings, expected: int,
                restoration: RestoreSettings | None = None) -> Run:
        """A new run of ``doc``; ``restoration``: what its input gets (None or no step on: the photo as it is)."""
        run = Run(settings, expected, number=max((r.number for r in doc.runs), default=0) + 1,
                  restoration=restoration if restoration is not None and restoration.active else None)
        doc.runs.append(run)
        doc.current_run = run
        self.run_changed.emit(doc, run)
        return run

    def show_run(self, doc: PhotoDoc, run: Run) -> None:
        if run in doc.runs and doc.current_run is not run:
            doc.current_run = run
            self.run_changed.emit(doc, run)

    def update_run(self, doc: PhotoDoc, run: Run, **changes) -> None:
        for name, value in changes.items():
            setattr(run, name, value)
        self.run_changed.emit(doc, run)

    def add_sample(self, doc: PhotoDoc, run: Run, sample: ColorSample) -> None:
        run.samples[sample.index] = sample
        self.sample_added.emit(doc, run, sample)
        if run.viewed is None:
            self.view(doc, run, sample.index)
        if run.restoring is None:  # a kept run made again is only as unsaved as it was
            self.mark_edited(doc)

    # -- selection ---------------------------------------------------------------
    def view(self, doc: PhotoDoc, run: Run, index: int) -> None:
        if index in run.samples:
            run.viewed = index
            if self.combining:
                run.brush_source = index
            self.selection_changed.emit(doc, run)

    def view_combined(self, doc: PhotoDoc, run: Run) -> None:
        """Show the strokes' mix (what Save writes while there are strokes)."""
        if run.has_strokes:
            run.viewed = None
            self.selection_changed.emit(doc, run)

    def choose(self, doc: PhotoDoc, run: Run, index: int | None) -> None:
        if index is not None and index not in run.samples:
            return
        if index != run.chosen:
            self.mark_edited(doc)
        run.chosen = index
        if run.combine is not None and run.base is not None:
            run.combine.set_base(run.base)
            run.combined_preview = None
            self.combine_changed.emit(doc, run)
        self.selection_changed.emit(doc, run)

    # -- combine -----------------------------------------------------------------
    def set_combining(self, on: bool) -> None:
        if on != self.combining:
            self.combining = on
            run = self.current.current_run if self.current is not None else None
            if not on and run is not None and run.has_strokes:
                run.viewed = None  # show the mix: it is what Save writes
            self.combining_changed.emit(on)

    def mask_for(self, doc: PhotoDoc, run: Run) -> CombineMask | None:
        """The run's mask, made on first use at the preview's size."""
        if run.combine is None and doc.preview_lightness is not None and run.base is not None:
            run.combine = CombineMask(doc.preview_lightness.shape, run.base)
        return run.combine

    def paint(self, doc: PhotoDoc, run: Run, stroke: Stroke) -> None:
        mask = self.mask_for(doc, run)
        if mask is not None and stroke.source in run.samples:
            mask.paint(stroke)
            self._combine_edited(doc, run)

    def undo_stroke(self, doc: PhotoDoc, run: Run) -> None:
        if run.combine is not None and run.combine.undo():
            self._combine_edited(doc, run)

    def redo_stroke(self, doc: PhotoDoc, run: Run) -> None:
        if run.combine is not None and run.combine.redo():
            self._combine_edited(doc, run)

    def clear_strokes(self, doc: PhotoDoc, run: Run) -> None:
        if run.combine is not None and not run.combine.is_blank:
            run.combine.clear()
            self._combine_edited(doc, run)

    def set_combined_preview(self, doc: PhotoDoc, run: Run, preview: np.ndarray | None) -> None:
        run.combined_preview = preview
        self.combine_changed.emit(doc, run)

    def _combine_edited(self, doc: PhotoDoc, run: Run) -> None:
        run.combined_preview = None
        if not run.has_strokes and run.viewed is None and run.samples:
            run.viewed = run.base  # the mix was on view and is gone: Save writes a sample again, show which
            self.selection_changed.emit(doc, run)
        self.combine_changed.emit(doc, run)
        self.mark_edited(doc)

    # -- hints and reference (desktop/state/hints.py) ----------------------------------------
    def hints_edited(self, doc: PhotoDoc) -> None:
        """``doc.hints`` changed (edited, undone or redone)."""
        self.hints_changed.emit(doc)
        self.mark_edited(doc)

    def set_reference(self, doc: PhotoDoc, reference: Reference | None, edited: bool = True) -> None:
        doc.reference = reference
        self.hints_changed.emit(doc)
        if edited:
            self.mark_edited(doc)

    def set_guided(self, doc: PhotoDoc, run: Run, sample: ColorSample, ab: np.ndarray, preview: np.ndarray,
                   thumbnail: np.ndarray, guided_by: object) -> None:
        """``sample`` with the photo's hints and reference (``guided_by``; None: none) applied to its backend's ab."""
        sample.backend_ab = None if guided_by is None else sample.own_ab
        sample.ab, sample.preview, sample.thumbnail, sample.guided_by = ab, preview, thumbnail, guided_by
        self.sample_guided.emit(doc, run, sample)
        if run.has_strokes:
            self.set_combined_preview(doc, run, None)  # the mix is made again from the guided samples

    # -- restoration (desktop/state/restoration.py) -----------------------------------------
    def set_restoration(self, doc: PhotoDoc, restore: RestoreSettings) -> None:
        """``doc``'s restoration for its next runs (the runs made already keep theirs)."""
        if restore != doc.restore:
            doc.restore = restore
            self.restoration_changed.emit(doc)

    # -- unsaved results -------------------------------------------------------------
    def mark_edited(self, doc: PhotoDoc) -> None:
        doc.edits += 1
        self.unsaved_changed.emit(doc)

    def mark_saved(self, doc: PhotoDoc, edits: int) -> None:
        """``doc``'s result as it was at ``edits`` was written (changes made while it was being written stay unsaved)."""
        if doc.saved_edits != edits:
            doc.saved_edits = edits
            self.unsaved_changed.emit(doc)

    def unsaved_photos(self) -> list[PhotoDoc]:
        return [doc for doc in self.photos if doc.unsaved]

    # -- keeping the session between starts ----------------------------------------------
    def snapshot(self, versions: Mapping[str, str]) -> SavedSession:
        """What to keep of the open photos: the runs that made samples (``versions``: backend id → version)."""
        photos = []
        for doc in self.photos:
            runs, current = [], None
            for run in doc.runs:
                kept = run.restoring if run.restoring is not None else _kept_run(run, versions)
                if kept is None:
                    continue
                if run is doc.current_run:
                    current = len(runs)
                runs.append(kept)
            reference = doc.reference.path if doc.reference is not None else None
            photos.append(SavedPhoto(doc.path, tuple(runs), current, doc.unsaved, doc.hints.hints, reference, doc.restore))
        current_photo = self.photos.index(self.current) if self.current in self.photos else None
        return SavedSession(tuple(photos), current_photo)

    def restore_run(self, doc: PhotoDoc, run: Run) -> list[str]:
        """Put back the choice and strokes of the kept run ``run`` makes again, now that its samples are made.
        Returns what could not be put back."""
        kept, run.restoring = run.restoring, None
        if kept is None:
            return []
        problems = []
        if kept.chosen is not None:
            if kept.chosen in run.samples:
                run.chosen = kept.chosen
            else:
                problems.append(f"sample {kept.chosen + 1} was not made again")
        usable = [edit for edit in kept.strokes.done if not isinstance(edit, Stroke) or edit.source in run.samples]
        redo = [edit for edit in kept.strokes.undone if not isinstance(edit, Stroke) or edit.source in run.samples]
        if len(usable) + len(redo) < len(kept.strokes.done) + len(kept.strokes.undone):
            problems.append("strokes from samples that were not made again are left out")
        if usable or redo:
            mask = self.mask_for(doc, run)
            if mask is not None:
                mask.set_base(run.base)
                mask.restore_history(StrokeHistory(tuple(usable), tuple(redo)))
                run.combined_preview = None
        if kept.viewed in run.samples:
            run.viewed = kept.viewed
        elif kept.viewed is None and run.has_strokes:
            run.viewed = None
        self.combine_changed.emit(doc, run)
        self.selection_changed.emit(doc, run)
        return problems


def _kept_run(run: Run, versions: Mapping[str, str]) -> SavedRun | None:
    if not run.samples:
        return None
    strokes = run.combine.history() if run.combine is not None else StrokeHistory()
    return SavedRun(run.settings, versions.get(run.settings.backend_id, ""), run.expected, run.chosen, run.viewed, strokes,
                    run.restoration)
