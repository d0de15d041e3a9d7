"""Starts the background jobs and feeds what they yield into the session.

Backend work (colorize runs, batches, and tasks such as the Turing test's
colorizations) goes through one lane, one job at a time, in the order asked;
reading, saving and rendering run beside it. No widgets here: the window calls
these methods and draws the session.
"""

from __future__ import annotations

import traceback
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal

from desktop import worker
from desktop.guidance import backend_guide
from desktop.messages import (
    BackendReady,
    BatchProgress,
    BatchRequest,
    Chroma,
    GpuOutOfMemory,
    JobProgress,
    PhotoRead,
    RunRestored,
    SampleMade,
    SaveRequest,
    SheetRequest,
)
from desktop.state.notices import BATCH, COLORIZE, EXPORT, OPEN, SAVE, TASK, NoticeAction, Notices, advice_for
from desktop.state.restoration import RestoreSettings
from desktop.state.session import CANCELLED, DONE, FAILED, RUNNING, ColorSample, PhotoDoc, Run, Session
from desktop.state.settings import ColorizeSettings
from plugins.errors import TinctError, WeightsError
from plugins.host import PluginHost


UNRESPONSIVE_AFTER_MS = 10_000
"""A backend still running this long after it was asked to stop is reported as not responding."""


@dataclass(eq=False)
class _Colorize:
    doc: PhotoDoc
    run: Run


@dataclass(eq=False)
class _Batch:
    request: BatchRequest


@dataclass(eq=False)
class _Task:
    """Other backend work (the Turing test's colorizations): ``job(host, *args)``, a generator job, and
    the callbacks for what it yields, returns or raises; ``aborted`` also when it is dropped unstarted."""

    label: str
    job: Callable
    args: tuple
    yielded: Callable | None = None
    returned: Callable | None = None
    errored: Callable | None = None
    aborted: Callable | None = None


class JobQueue(QObject):
    lane_changed = Signal()  # the running or queued backend jobs changed
    batch_progressed = Signal(object)  # BatchProgress
    batch_finished = Signal(object)  # BatchResult, or None when cancelled or failed
    saved = Signal(list)  # the paths written
    save_failed = Signal(str)
    weights_wanted = Signal(str)  # a backend id whose weights file is missing or wrong: the window offers to locate it

    def __init__(self, session: Session, notices: Notices, pool: QThreadPool | None = None):
        super().__init__()
        self.session, self.notices, self.pool = session, notices, pool
        self.host: PluginHost | None = None
        self.loaded_devices: dict[str, str] = {}
        """Backends loaded this session, and on which device."""
        self.pending: deque[_Colorize | _Batch | _Task] = deque()
        self.current: _Colorize | _Batch | _Task | None = None
        self._current_worker: worker.GeneratorWorker | None = None
        self._renders: dict[int, worker.GeneratorWorker] = {}
        self._side_workers: set[worker.GeneratorWorker] = set()
        self._writes: set[worker.GeneratorWorker] = set()  # saves and exports, among the side workers
        self._reads = 0  # photos being read for display
        self._unopened: list[tuple[str, str]] = []  # those of the current reads that could not be read
        self._unopened_notice = None
        session.combine_changed.connect(self._combine_changed)

    # -- the backend lane -----------------------------------------------------------
    def set_host(self, host: PluginHost) -> None:
        self.host = host
        self._start_next()

    def colorize(self, doc: PhotoDoc, settings: ColorizeSettings, restoration: RestoreSettings | None = None) -> Run:
        """Queue a run of ``doc``; it starts as soon as the lane is free. ``restoration``: what the photo
        gets before the backend sees it (None: the photo's own, ``doc.restore``)."""
        expected = settings.samples
        if self.host is not None and settings.backend_id in self.host.ids():
            expected = min(expected, self.host.get(settings.backend_id).info.sample_limit)
        run = self.session.add_run(doc, settings, expected, doc.restore if restoration is None else restoration)
        self.pending.append(_Colorize(doc, run))
        self.lane_changed.emit()
        self._start_next()
        return run

    def batch(self, request: BatchRequest) -> None:
        self.pending.append(_Batch(request))
        self.lane_changed.emit()
        self._start_next()

    def run_task(self, label: str, job: Callable, *args, yielded=None, returned=None, errored=None,
                 aborted=None) -> _Task:
        """Queue ``job(host, *args)`` in the lane (it uses backends, so it waits its turn); returns its handle."""
        task = _Task(label, job, args, yielded, returned, errored, aborted)
        self.pending.append(task)
        self.lane_changed.emit()
        self._start_next()
        return task

    def cancel_task(self, task: _Task) -> None:
        """Drop ``task`` if it waits (its ``aborted`` is called), or stop it if it runs."""
        if task in self.pending:
            self.pending.remove(task)
            self.lane_changed.emit()
            if task.aborted is not None:
                task.aborted()
        elif self.current is task:
            self.cancel()

    @property
    def busy(self) -> bool:
        return self.current is not None

    @property
    def batch_running(self) -> bool:
        return isinstance(self.current, _Batch)

    def cancel(self, run: Run | None = None) -> None:
        """Cancel ``run`` (queued or running), or the running job when ``run`` is None."""
        for item in list(self.pending):
            if isinstance(item, _Colorize) and item.run is run:
                self.pending.remove(item)
                self.session.update_run(item.doc, run, state=CANCELLED, message="Cancelled")
                self.lane_changed.emit()
                return
        running = self.current.run if isinstance(self.current, _Colorize) else None
        job = self._current_worker
        if job is not None and (run is None or run is running) and not job.abort_requested:
            job.quit()
            QTimer.singleShot(UNRESPONSIVE_AFTER_MS, self, lambda: self._check_stopped(job))

    def _check_stopped(self, job: worker.GeneratorWorker) -> None:
        """A backend only stops at its next yield; one that never yields again holds the lane, so say so."""
        if job is not self._current_worker:
            return
        what = self.current.run.settings.backend_id if isinstance(self.current, _Colorize) else getattr(self.current, "label", "The batch")
        if isinstance(self.current, _Colorize) and self.host is not None and self.host.interrupt(what):
            return  # it ran in a worker process, now ended: the run fails at once and says why
        self.notices.warning(
            f"{what} is not responding",
            f"It was asked to stop {UNRESPONSIVE_AFTER_MS // 1000} s ago and has not. "
            "Runs queued after it wait until it returns; quitting Tinct ends it.",
        )

    def cancel_batch(self) -> None:
        """Cancel the batch, queued or running (and no colorize run that happens to be running)."""
        for item in [i for i in self.pending if isinstance(i, _Batch)]:
            self.pending.remove(item)
            self.batch_finished.emit(None)
            self.lane_changed.emit()
        if isinstance(self.current, _Batch):
            self.cancel()

    def close_photo(self, doc: PhotoDoc) -> None:
        """Close ``doc``, cancelling its queued and running work first: nobody would see its results."""
        for run in doc.runs:
            if run.active:
                self.cancel(run)
        self.session.close(doc)

    def cancel_all(self) -> None:
        while self.pending:
            item = self.pending.popleft()
            if isinstance(item, _Colorize):
                self.session.update_run(item.doc, item.run, state=CANCELLED, message="Cancelled")
            elif isinstance(item, _Task) and item.aborted is not None:
                item.aborted()
        self.lane_changed.emit()
        self.cancel()

    def _start_next(self) -> None:
        if self.current is not None or self.host is None or not self.pending:
            return
        item = self.current = self.pending.popleft()
        if isinstance(item, _Colorize):
            backend_id = item.run.settings.backend_id
            capabilities = self.host.get(backend_id).info.capabilities if backend_id in self.host.ids() else frozenset()
            hints, reference = backend_guide(item.doc, capabilities)
            item.run.backend_hints = hints
            job = worker.GeneratorWorker(worker.colorize_job, self.host, item.doc.path, item.run.settings,
                                         hints, reference, restoration=item.run.restoration)
            self.session.update_run(item.doc, item.run, state=RUNNING, message="Starting")
            job.yielded.connect(lambda message, i=item: self._colorize_message(i, message))
            job.errored.connect(lambda error, i=item: self._colorize_failed(i, error))
            job.aborted.connect(lambda i=item: self._set_state(i, CANCELLED, "Cancelled"))
            job.returned.connect(lambda _result, i=item: self._set_state(i, DONE, _done_message(i.run)))
        elif isinstance(item, _Batch):
            job = worker.GeneratorWorker(worker.batch_job, self.host, item.request)
            job.yielded.connect(self._batch_message)
            job.returned.connect(self._batch_done)
            job.aborted.connect(lambda: self._batch_done(None, "Batch cancelled"))
            job.errored.connect(lambda error: self._batch_done(None, "Batch failed", error))
        else:
            job = worker.GeneratorWorker(item.job, self.host, *item.args)
            for signal, callback in ((job.yielded, item.yielded), (job.returned, item.returned),
                                     (job.errored, item.errored), (job.aborted, item.aborted)):
                if callback is not None:
                    signal.connect(callback)
        job.finished.connect(self._lane_finished)
        self._current_worker = job
        self.lane_changed.emit()
        job.start(self.pool)

    def _lane_finished(self) -> None:
        self.current = self._current_worker = None
        self.lane_changed.emit()
        self._start_next()

    def _colorize_message(self, item: _Colorize, message) -> None:
        doc, run = item.doc, item.run
        if isinstance(message, PhotoRead):
            self._photo_read(doc, message)
        elif isinstance(message, SampleMade):
            sample = ColorSample(message.index, message.ab, message.preview, message.thumbnail)
            self.session.add_sample(doc, run, sample)
        elif isinstance(message, JobProgress):
            self.session.update_run(doc, run, progress=max(run.progress, message.fraction), message=message.message)
        elif isinstance(message, BackendReady):
            self.loaded_devices[run.settings.backend_id] = message.device
            self.session.update_run(doc, run, device=message.device)
            for note in message.notes:
                self.notices.info(note)
        elif isinstance(message, RunRestored):
            self.session.update_run(doc, run, lightness=message.preview_lightness)
            if message.failures:
                self.notices.warning(f"Restoration of {doc.name} left a step out", "; ".join(message.failures))

    def _set_state(self, item: _Colorize, state: str, message: str) -> None:
        progress = 1.0 if state == DONE else item.run.progress
        self.session.update_run(item.doc, item.run, state=state, message=message, progress=progress)

    def _colorize_failed(self, item: _Colorize, error: BaseException) -> None:
        doc, run = item.doc, item.run
        job = self._current_worker
        if job is not None and job.abort_requested:  # cancelled, and its worker process had to be ended
            self.session.update_run(doc, run, state=CANCELLED, message="Cancelled")
            self.notices.warning(f"{run.settings.backend_id} did not stop when cancelled", _summary(error))
            return
        self.session.update_run(doc, run, state=FAILED, error=str(error), message="Failed")
        actions = ()
        if isinstance(error, GpuOutOfMemory):
            retry = run.settings.with_changes(device="cpu")
            restoration = run.restoration or RestoreSettings()  # as this run had it
            actions = (NoticeAction("Retry on CPU", lambda: self.colorize(doc, retry, restoration)),)
        elif isinstance(error, WeightsError):
            backend_id = run.settings.backend_id
            actions = (NoticeAction("Locate weights file…", lambda: self.weights_wanted.emit(backend_id)),)
        self.notices.error(f"Could not colorize {doc.name}", _summary(error), details=_details(error), actions=actions,
                           advice=advice_for(error, COLORIZE, run.settings.backend_id))

    def _batch_message(self, message) -> None:
        if isinstance(message, BatchProgress):
            self.batch_progressed.emit(message)

    def _batch_done(self, result, title: str = "", error: BaseException | None = None) -> None:
        self.batch_finished.emit(result)
        if result is None:
            if error is None:
                self.notices.info(title)
            else:
                request = getattr(self.current, "request", None)  # the lane's batch, until it has finished
                self.notices.error(title, _summary(error), details=_details(error),
                                   advice=advice_for(error, BATCH, request.settings.backend_id if request else ""))
            return
        summary = f"{len(result.written)} file(s) written"
        if result.skipped:
            summary += f", {len(result.skipped)} photo(s) skipped"
        lines = [f"{path.name}: {reason}" for path, reason in result.failed + result.skipped]
        if result.failed:
            self.notices.warning(f"Batch finished: {len(result.failed)} photo(s) failed", summary, details="\n".join(lines))
        else:
            self.notices.info("Batch finished", summary, details="\n".join(lines))

    # -- jobs beside the lane ------------------------------------------------------------
    def load(self, doc: PhotoDoc) -> None:
        """Read ``doc`` for display; an unreadable photo is closed with a notice."""

        def loaded(result) -> None:
            _photo, message = result
            self._photo_read(doc, message)

        def failed(error) -> None:
            self.session.close(doc)
            self._could_not_open(doc.name, error)

        def finished() -> None:
            self._reads -= 1

        if self._reads == 0:  # a new wave of opening: its failures get a notice of their own
            self._unopened = []
        self._reads += 1
        self._side_job(worker.read_for_display, doc.path, returned=loaded, errored=failed, finished=finished)

    def _could_not_open(self, name: str, error: BaseException) -> None:
        """One notice for all the photos that could not be read (a folder of 30 broken files is one card, not 30)."""
        self.notices.dismiss(self._unopened_notice)  # (if still open) replaced by one that names them all
        self._unopened.append((name, _summary(error)))
        if len(self._unopened) == 1:
            self._unopened_notice = self.notices.error(f"Could not open {name}", _summary(error), details=_details(error),
                                                       advice=advice_for(error, OPEN))
        else:
            names = ", ".join(n for n, _reason in self._unopened[:3]) + (", …" if len(self._unopened) > 3 else "")
            details = "\n".join(f"{n}: {reason}" for n, reason in self._unopened)
            self._unopened_notice = self.notices.error(
                f"Could not open {len(self._unopened)} photos", names, details=details,
                advice="Details lists why for each. Check that they open in another program; "
                       "if they were downloaded or copied, do that again.")

    def _photo_read(self, doc: PhotoDoc, message: PhotoRead) -> None:
        """The photo as a job read it. Each run reads it again: the view is reset only if the file changed
        (edited elsewhere meanwhile), and what the reader noticed (a color photo, a dropped profile…) is said once."""
        first = doc.original_preview is None
        changed = first or doc.size != message.size or not np.array_equal(doc.preview_lightness, message.preview_lightness)
        if changed:
            self.session.set_loaded(doc, message.size, message.preview_lightness, message.original_preview, message.notes)
        if first and message.notes:
            text = "; ".join(message.notes)
            self.notices.info(f"Note on {doc.name}", text[:1].upper() + text[1:])

    def save(self, request: SaveRequest, on_saved: Callable[[], None] | None = None) -> None:
        """Write ``request`` beside the lane; ``on_saved`` is called once every file is written
        (so the window knows which photo's results are safe)."""

        def saved(paths) -> None:
            names = ", ".join(Path(p).name for p in paths)
            self.notices.info(f"Saved {names}" if len(paths) == 1 else f"Saved {len(paths)} files", str(Path(paths[0]).parent) if paths else "")
            if on_saved is not None:
                on_saved()
            self.saved.emit(list(paths))

        def failed(error) -> None:
            self.notices.error("Could not save", _summary(error), details=_details(error), advice=advice_for(error, SAVE))
            self.save_failed.emit(str(error))

        self._side_job(worker.save_job, request, returned=saved, errored=failed, writes=True)

    def export_sheet(self, request: SheetRequest) -> None:
        def failed(error) -> None:
            self.notices.error("Could not export the comparison sheet", _summary(error), details=_details(error),
                               advice=advice_for(error, EXPORT))
            self.save_failed.emit(str(error))

        def saved(path) -> None:
            self.notices.info(f"Exported {Path(path).name}", str(Path(path).parent))
            self.saved.emit([path])

        self._side_job(worker.comparison_job, request, returned=saved, errored=failed, writes=True)

    def _combine_changed(self, doc: PhotoDoc, run: Run) -> None:
        if run.combined_preview is not None or not run.has_strokes or doc.preview_lightness is None:
            return
        if run.id in self._renders:
            return  # the running render will see the version moved on and render again
        mask = run.combine.copy()
        chroma = Chroma(mask=mask, samples_ab={k: s.ab for k, s in run.samples.items()})

        def rendered(image) -> None:
            current = run.combine
            if current is not None and current.version == mask.version:
                self.session.set_combined_preview(doc, run, image)

        def done() -> None:
            self._renders.pop(run.id, None)
            if run.combined_preview is None:
                self._combine_changed(doc, run)

        job = self._side_job(worker.render_combined_job, doc.lightness_for(run), chroma, returned=rendered, finished=done)
        self._renders[run.id] = job

    def _side_job(self, function, *args, returned=None, errored=None, finished=None,
                  writes: bool = False) -> worker.GeneratorWorker:
        """Start ``function`` beside the lane; ``writes``: it saves the user's work, so shutdown waits for it."""
        job = worker.GeneratorWorker(function, *args)
        if returned is not None:
            job.returned.connect(returned)
        if errored is not None:
            job.errored.connect(errored)
        else:
            job.errored.connect(lambda error: self.notices.error("Background task failed", _summary(error),
                                                                details=_details(error), advice=advice_for(error, TASK)))
        self._side_workers.add(job)
        job.finished.connect(lambda: self._side_workers.discard(job))
        if writes:
            self._writes.add(job)
            job.finished.connect(lambda: self._writes.discard(job))
        if finished is not None:
            job.finished.connect(finished)
        return job.start(self.pool)

    @property
    def writing(self) -> bool:
        """A save or export is under way."""
        return bool(self._writes)

    def shutdown(self, timeout_ms: int = 5000, writes_timeout_ms: int = 60_000) -> None:
        """Stop everything (the window is closing) and wait for the threads.

        Saves and exports are not stopped: the user asked for those files, so
        they get up to ``writes_timeout_ms`` to finish (each write is atomic, so
        one cut short leaves no partial file).
        """
        self.cancel_all()
        for job in list(self._side_workers):
            if job not in self._writes:
                job.quit()
        pool = self.pool or QThreadPool.globalInstance()
        pool.waitForDone(max(timeout_ms, writes_timeout_ms) if self.writing else timeout_ms)


def _done_message(run: Run) -> str:
    count = len(run.samples)
    return f"Done · {count} sample{'s' if count != 1 else ''}" + (f" on {run.device.upper()}" if run.device else "")


def _summary(error: BaseException) -> str:
    if isinstance(error, TinctError):
        return str(error)
    return f"Internal error: {type(error).__name__}: {error}"


def _details(error: BaseException) -> str:
    return "".join(traceback.format_exception(error)).strip()
