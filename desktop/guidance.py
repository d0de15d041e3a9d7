"""A photo's color hints and reference applied to the samples already made, off the GUI thread.

An edit does not run the backend again: for a backend that does not take hints itself the
host spreads them over each sample's own chroma at working size and transfers the
reference's colors (``plugins.host.pipeline.Guidance``, what ``tinct colorize --hints``
does too), so only that and the merge onto the preview are done again: a fraction of a
second. Edits in quick succession (a drag) are coalesced: a render still running when the
hints change is stopped at its next sample, and the newest hints are rendered next, the
sample on view first. Results of hints that are no longer current are never shown.

A sample keeps its backend's own chroma (``ColorSample.own_ab``); its ``ab``, preview and
thumbnail are the guided ones, so Save, the combine brush and the comparison sheet all
use what is shown, merged onto the full-resolution photo as usual.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from PySide6.QtCore import QObject, QThreadPool, Signal

from desktop import worker
from desktop.exports import fit_long_side
from desktop.state.session import PhotoDoc, Run, Session
from plugins.host.merge import Merger
from plugins.host.pipeline import Guidance
from plugins.host.reference import fit_reference
from plugins.types import Capability, ColorHint

THUMBNAIL_LONG_SIDE = worker.THUMBNAIL_LONG_SIDE


def host_guide(doc: PhotoDoc, capabilities: frozenset) -> tuple | None:
    """What the host applies to the samples of a backend with ``capabilities``: the photo's hints
    unless the backend takes hints itself, likewise its reference (once read); None for nothing.
    Compared with ``ColorSample.guided_by`` to tell whether a sample shows the current hints."""
    hints = () if Capability.HINTS in capabilities else doc.hints.hints
    reference = doc.reference
    if Capability.REFERENCE in capabilities or reference is None or reference.lab is None:
        reference = None
    return (hints, reference) if hints or reference is not None else None


def backend_guide(doc: PhotoDoc, capabilities: frozenset) -> tuple[tuple[ColorHint, ...], np.ndarray | None]:
    """What a run of a backend with ``capabilities`` is given of ``doc``'s hints and reference: those it
    takes itself (``Capability.HINTS``, ``REFERENCE``); the host applies the rest to its samples afterwards."""
    hints = doc.hints.color_hints() if Capability.HINTS in capabilities else ()
    reference = doc.reference.lab if Capability.REFERENCE in capabilities and doc.reference is not None else None
    return hints, reference


@dataclass(frozen=True, eq=False)
class GuideRequest:
    preview_lightness: np.ndarray
    size: tuple[int, int]
    """The photo's full resolution ``(width, height)``: the hints' pixels."""
    hints: tuple[ColorHint, ...]
    reference: np.ndarray | None
    samples: tuple[tuple[int, np.ndarray], ...]
    """``(index, the backend's own ab)``, in the order to render them."""


@dataclass(frozen=True, eq=False)
class SampleGuided:
    index: int
    ab: np.ndarray
    preview: np.ndarray
    thumbnail: np.ndarray


def guide_job(request: GuideRequest):
    """Apply the hints and reference to each sample's own ab and merge it onto the preview (a worker job)."""
    from plugins.host.hints import scale_hints  # scipy: only once there are hints

    lightness = request.preview_lightness
    width, height = request.size
    hints = scale_hints(request.hints, (height, width), lightness.shape) if request.hints else ()
    merger = Merger(lightness)
    guidance = None
    for index, own_ab in request.samples:
        if guidance is None:  # the samples of one run share their working size
            reference = None if request.reference is None else fit_reference(request.reference, min(own_ab.shape[:2]))
            guidance = Guidance(lightness, hints, reference)
        ab = guidance.apply(own_ab) if guidance else own_ab
        preview = merger.merge_uint8(ab)
        yield SampleGuided(index, ab, preview, fit_long_side(preview, THUMBNAIL_LONG_SIDE))


class GuidanceRenderer(QObject):
    """Keeps every open photo's samples showing its current hints and reference: one render at a time."""

    settled = Signal(object)  # PhotoDoc: its samples all show its current hints
    failed = Signal(object, object)  # PhotoDoc, the error: its hints could not be applied

    def __init__(self, session: Session, capabilities: Callable[[str], frozenset], pool: QThreadPool | None = None):
        super().__init__(session)  # goes with the session: a render's last messages then reach no one
        self.session, self.capabilities, self.pool = session, capabilities, pool
        self._job: worker.GeneratorWorker | None = None
        self._job_target: tuple[PhotoDoc, Run, object, dict] | None = None  # doc, run, guide, {index: sample}
        self._waiting: dict[PhotoDoc, list[Callable[[], None]]] = {}
        self._failures: dict[int, object] = {}  # run id → the guide that failed on it: not tried again
        session.hints_changed.connect(self._hints_changed)
        session.sample_added.connect(lambda doc, run, sample: self.schedule())
        session.current_changed.connect(self.schedule)
        session.run_changed.connect(lambda doc, run: self.schedule())

    # -- what is out of date -------------------------------------------------------------------
    def guide_for(self, doc: PhotoDoc, run: Run) -> tuple | None:
        return host_guide(doc, self.capabilities(run.settings.backend_id))

    def stale_samples(self, doc: PhotoDoc, run: Run) -> list[int]:
        """The samples of ``run`` not showing ``doc``'s current hints, the one on view first."""
        guide = self.guide_for(doc, run)
        if run.id in self._failures and self._failures[run.id] == guide:
            return []
        stale = [index for index, sample in sorted(run.samples.items()) if sample.guided_by != guide]
        if run.viewed in stale:
            stale.remove(run.viewed)
            stale.insert(0, run.viewed)
        return stale

    @property
    def rendering(self) -> bool:
        return self._job is not None

    def pending(self, doc: PhotoDoc) -> bool:
        """Some sample of ``doc`` does not show its current hints yet."""
        return any(self.stale_samples(doc, run) for run in doc.runs)

    def when_settled(self, doc: PhotoDoc, callback: Callable[[], None]) -> None:
        """Call ``callback`` once ``doc``'s samples all show its current hints: now, or when they do."""
        if not self.pending(doc):
            callback()
            return
        self._waiting.setdefault(doc, []).append(callback)
        self.schedule()

    # -- rendering -----------------------------------------------------------------------------
    def _hints_changed(self, doc: PhotoDoc) -> None:
        if self._job is not None and self._job_target[0] is doc:
            self._job.quit()  # stale: it stops at its next sample, then the newest hints are rendered
        self.schedule()

    def schedule(self, *_args) -> None:
        """Start rendering the next photo and run that is out of date, unless a render is running."""
        if self._job is not None:
            return
        target = self._next_target()
        if target is None:
            return
        doc, run, stale = target
        guide = self.guide_for(doc, run)
        hints = tuple(hint.color_hint() for hint in guide[0]) if guide else ()
        reference = guide[1].lab if guide and guide[1] is not None else None
        request = GuideRequest(doc.lightness_for(run), doc.size, hints, reference,
                               tuple((index, run.samples[index].own_ab) for index in stale))
        job = worker.GeneratorWorker(guide_job, request)
        job.yielded.connect(self._guided)  # methods, not lambdas: Qt drops them once this renderer is gone
        job.errored.connect(self._failed)
        job.finished.connect(self._finished)
        self._job, self._job_target = job, (doc, run, guide, {index: run.samples[index] for index in stale})
        job.start(self.pool)

    def _next_target(self) -> tuple[PhotoDoc, Run, list[int]] | None:
        """The run on view first, then the other runs of the photo on view, then the other photos'."""
        current = self.session.current
        docs = ([current] if current in self.session.photos else []) + [d for d in self.session.photos if d is not current]
        for doc in docs:
            if doc.preview_lightness is None or doc.size is None:
                continue
            runs = ([doc.current_run] if doc.current_run in doc.runs else []) + [r for r in doc.runs if r is not doc.current_run]
            for run in runs:
                stale = self.stale_samples(doc, run)
                if stale:
                    return doc, run, stale
        return None

    def _guided(self, message: SampleGuided) -> None:
        doc, run, guide, samples = self._job_target
        sample = samples.get(message.index)
        if doc not in self.session.photos or run.samples.get(message.index) is not sample:
            return  # closed, or made again meanwhile
        if guide != self.guide_for(doc, run):
            return  # the hints changed meanwhile: never show what they were
        self.session.set_guided(doc, run, sample, message.ab, message.preview, message.thumbnail, guide)

    def _failed(self, error: BaseException) -> None:
        doc, run, guide, _samples = self._job_target
        self._failures[run.id] = guide  # tried again once the hints change
        self.failed.emit(doc, error)

    def _finished(self) -> None:
        doc = self._job_target[0] if self._job_target is not None else None
        self._job = self._job_target = None
        for waiting in list(self._waiting):
            if waiting not in self.session.photos:
                del self._waiting[waiting]
            elif not self.pending(waiting):
                for callback in self._waiting.pop(waiting):
                    callback()
        if doc is not None and doc in self.session.photos and not self.pending(doc):
            self.settled.emit(doc)
        self.schedule()


def read_reference_job(path) -> tuple[np.ndarray, np.ndarray]:
    """A reference photo as small Lab and an sRGB preview to show (a worker job); ImageError for a bad file."""
    from desktop.exports import to_uint8
    from desktop.state.hints import REFERENCE_SIDE
    from plugins.color import lab_to_srgb
    from plugins.host.reference import read_reference

    lab = read_reference(path, REFERENCE_SIDE)
    return lab, to_uint8(lab_to_srgb(lab))
