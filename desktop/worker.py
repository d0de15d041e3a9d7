"""All work done off the GUI thread: a generator worker (superqt-style) and the jobs it runs.

A job is a generator function. Each ``yield`` is both a message for the GUI
(delivered through the worker's ``yielded`` signal) and a cancel point: after
``quit()`` the worker closes the generator at its next yield, so ``finally``
blocks run and the backend stops. A job may yield ``None`` to offer a cancel
point without a message. Exceptions arrive as ``errored``; none is ever raised
in the GUI thread. This is the only desktop module that runs backends; it never
imports torch itself (the host does, lazily, on this thread).
"""

from __future__ import annotations

import desktop.qt_compat  # noqa: F401  (first: guards against a PySide6 6.12 bug)

import gc
import inspect
import threading
import time
from pathlib import Path
from typing import Callable

import numpy as np
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from desktop.exports import comparison_sheet, fit_long_side, result_stems, save_image_atomically, to_uint8
from desktop.messages import (
    BackendReady,
    BatchProgress,
    BatchRequest,
    BatchResult,
    Chroma,
    GpuOutOfMemory,
    JobProgress,
    PhotoRead,
    RunRestored,
    SampleMade,
    SaveRequest,
    SheetRequest,
)
from desktop.state.restoration import STEP_NAMES, RestoreSettings, restore_lightness, restoring
from desktop.state.settings import ColorizeSettings
from plugins.color import lightness_to_gray
from plugins.errors import TinctError
from plugins.host import PluginHost, build_options
from plugins.host.discovery import describe
from plugins.host.merge import Merger, merge
from plugins.host.pipeline import MergedSample, backend_lightness, colorize_lightness, colorize_samples, output_name
from plugins.imageio import read_photo, save_photo
from plugins.types import Sample

PREVIEW_LONG_SIDE = 1600
THUMBNAIL_LONG_SIDE = 256
PROGRESS_INTERVAL_S = 0.05

_live: set["GeneratorWorker"] = set()
_live_lock = threading.Lock()
_ABORTED = object()


def live_workers() -> list["GeneratorWorker"]:
    """Workers started and not yet finished (the test suite fails a test that leaves one)."""
    with _live_lock:
        return list(_live)


# Python's cyclic garbage collector runs in whichever thread happens to allocate. Run in a worker
# thread, it can finalise Qt objects (widgets, pixmaps) that belong to the GUI thread, which crashes
# the process (seen as a segfault during 'Garbage-collecting' in a discovery job). So it is off while
# any worker runs, and switched back on from the GUI thread once none does.
_gc_lock = threading.Lock()
_gc_holders = 0
_gc_paused = False


def _hold_gc() -> None:
    global _gc_holders, _gc_paused
    with _gc_lock:
        if _gc_holders == 0 and gc.isenabled():
            gc.disable()
            _gc_paused = True
        _gc_holders += 1


def _release_gc() -> None:
    global _gc_holders
    with _gc_lock:
        _gc_holders -= 1


def _resume_gc_if_idle() -> None:
    """GUI thread, after a worker finished: the collector is back once no worker runs."""
    global _gc_paused
    with _gc_lock:
        if _gc_holders == 0 and _gc_paused:
            gc.enable()
            _gc_paused = False


class WorkerSignals(QObject):
    started = Signal()
    yielded = Signal(object)
    returned = Signal(object)
    errored = Signal(object)
    aborted = Signal()
    finished = Signal()


class GeneratorWorker(QRunnable):
    """Runs ``function(*args, **kwargs)`` on a QThreadPool; a generator is driven yield by yield."""

    def __init__(self, function: Callable, *args, **kwargs):
        super().__init__()
        self.setAutoDelete(False)  # Python owns it: the live registry keeps it until finished
        self.signals = WorkerSignals()
        self.started, self.yielded = self.signals.started, self.signals.yielded
        self.returned, self.errored = self.signals.returned, self.signals.errored
        self.aborted, self.finished = self.signals.aborted, self.signals.finished
        self._call = (function, args, kwargs)
        self._quit = threading.Event()
        self.signals.finished.connect(_resume_gc_if_idle)  # delivered in the GUI thread

    def quit(self) -> None:
        """Ask the job to stop at its next yield; ``aborted`` then ``finished`` follow."""
        self._quit.set()

    @property
    def abort_requested(self) -> bool:
        return self._quit.is_set()

    def start(self, pool: QThreadPool | None = None) -> "GeneratorWorker":
        with _live_lock:
            _live.add(self)
        _hold_gc()
        (pool or QThreadPool.globalInstance()).start(self)
        return self

    def run(self) -> None:
        self.signals.started.emit()
        try:
            function, args, kwargs = self._call
            result = function(*args, **kwargs)
            if inspect.isgenerator(result):
                result = self._drive(result)
        except Exception as error:  # noqa: BLE001 - every failure is reported, never raised
            self.signals.errored.emit(error)
        else:
            if result is _ABORTED:
                self.signals.aborted.emit()
            else:
                self.signals.returned.emit(result)
        finally:
            with _live_lock:
                _live.discard(self)
            _release_gc()
            self.signals.finished.emit()

    def _drive(self, generator):
        try:
            while not self._quit.is_set():
                try:
                    value = next(generator)
                except StopIteration as stop:
                    return stop.value
                if value is not None:
                    self.signals.yielded.emit(value)
            return _ABORTED
        finally:
            generator.close()


# -- jobs -----------------------------------------------------------------------------


def discover_job(host_factory: Callable[[], PluginHost], probe_devices: bool = False):
    """Find the backends (importing them may import torch: hence off the GUI thread)."""
    host = host_factory()
    devices = None
    if probe_devices:
        from plugins.host.devices import available_devices

        devices = available_devices()
    return host, devices


def read_for_display(path: Path):
    photo = read_photo(path)
    small = fit_long_side(photo.lightness, PREVIEW_LONG_SIDE)
    gray = to_uint8(lightness_to_gray(small))
    return photo, PhotoRead(photo.size, small, np.dstack([gray] * 3), list(photo.notes))


def colorize_job(host: PluginHost, path: Path, settings: ColorizeSettings, hints=(), reference=None,
                 restoration: RestoreSettings | None = None):
    """Read the photo, then yield each sample as it arrives with a display-size preview.

    ``hints`` and ``reference`` are for a backend that takes them itself (desktop/guidance.py applies
    them to any other's samples, so that an edit does not need a run). With a ``restoration``, the
    photo is restored first (one RunRestored says how): the backend (with grain, see
    plugins.host.grain) and the previews get the restored lightness."""
    yield JobProgress(0.0, "Reading photo")
    photo, message = read_for_display(path)
    yield message
    lightness, preview_lightness = photo.lightness, message.preview_lightness
    if restoration is not None and restoration.active:
        lightness, preview_lightness = yield from _restore(photo.lightness, restoration)
    restored = lightness is not photo.lightness  # not when every step failed: the scan goes as it is
    device = settings.device
    try:
        yield JobProgress(0.02, f"Loading {settings.backend_id}")
        backend = host.loaded(settings.backend_id, settings.device)
        device = backend.device
        options, notes = build_options(
            backend.info,
            device=device,
            samples=settings.samples,
            seed=settings.seed,
            working_size=settings.working_size or None,
            temperature=settings.temperature,
            params=settings.params,
            hints=hints,
            reference=reference,
        )
        yield BackendReady(device, notes)
        seen = backend_lightness(lightness, options, restored)
        yield from _samples(backend, lightness, options, preview_lightness, seen)
    except Exception as error:
        if device != "cpu" and is_out_of_memory(error):
            raise GpuOutOfMemory(device, error) from error
        raise


def _restore(lightness: np.ndarray, restoration: RestoreSettings):
    """The restored lightness at full and preview size, yielding each step's progress and a RunRestored."""
    steps = restoring(lightness, restoration)
    while True:
        try:
            step = next(steps)
        except StopIteration as done:
            restored = done.value
            break
        yield JobProgress(0.01, f"Restoring: {STEP_NAMES[step]}")
    preview = fit_long_side(restored.lightness, PREVIEW_LONG_SIDE)
    yield RunRestored(preview, restored.notes, restored.failures)
    return restored.lightness, preview


def _samples(backend, lightness, options, preview_lightness, seen=None):
    events = colorize_samples(backend, lightness, options, seen)  # with the user's hints and reference applied
    preview_merger = Merger(preview_lightness)  # the L-only work, once for all samples
    last_report, made = 0.0, 0
    try:
        for event in events:
            if isinstance(event, Sample):
                made += 1
                preview = preview_merger.merge_uint8(event.ab)
                yield SampleMade(event.index, event.ab, preview, fit_long_side(preview, THUMBNAIL_LONG_SIDE))
                yield JobProgress(made / options.samples, f"Sample {made} of {options.samples}")
            elif time.monotonic() - last_report >= PROGRESS_INTERVAL_S:
                last_report = time.monotonic()
                yield JobProgress(event.fraction, event.message)
            else:
                yield None  # a cancel point; the GUI needs no flood of progress signals
    finally:
        events.close()


def render_combined_job(preview_lightness: np.ndarray, chroma: Chroma) -> np.ndarray:
    return to_uint8(merge(preview_lightness, chroma.for_lightness(preview_lightness)))


def save_job(request: SaveRequest):
    """Merge each result onto the full-resolution photo (restored as its run was) and write it atomically."""
    yield JobProgress(0.0, "Reading photo")
    photo = read_photo(request.photo)
    lightness = _restored_for_output(photo.lightness, request.restoration)
    written = []
    for position, (target, chroma) in enumerate(request.items):
        yield JobProgress(position / len(request.items), f"Saving {target.name}")
        rgb = merge(lightness, chroma.for_lightness(lightness))
        written.append(save_photo(rgb, photo, target, request.fmt, request.quality, request.overwrite))
    return written


def comparison_job(request: SheetRequest):
    yield JobProgress(0.0, "Reading photo")
    photo = read_photo(request.photo)
    small = fit_long_side(photo.lightness, request.tile_long_side)
    gray = to_uint8(lightness_to_gray(small))
    tiles = [("Original", np.dstack([gray] * 3))]
    restored = _restored_for_output(photo.lightness, request.restoration)
    if restored is not photo.lightness:  # the results' lightness; the original stays the scan as it is
        small = fit_long_side(restored, request.tile_long_side)
    for position, (label, chroma) in enumerate(request.tiles):
        yield JobProgress(position / len(request.tiles), f"Rendering {label}")
        tiles.append((label, to_uint8(merge(small, chroma.for_lightness(small)))))
    return save_image_atomically(comparison_sheet(tiles), request.target, protected=(request.photo,))


def _restored_for_output(lightness: np.ndarray, restoration: RestoreSettings | None) -> np.ndarray:
    """``lightness`` restored as the results' run restored it (the same steps give the same pixels);
    a step that fails now fails as it did then, and is left out alike."""
    if restoration is None or not restoration.active:
        return lightness
    return restore_lightness(lightness, restoration).lightness


def batch_job(host: PluginHost, request: BatchRequest):
    """Colorize every photo, skipping and listing those that fail; yields BatchProgress."""
    settings, result, total = request.settings, BatchResult(), len(request.photos)
    backend = host.loaded(settings.backend_id, settings.device)
    options, _notes = build_options(
        backend.info,
        device=backend.device,
        samples=settings.samples,
        seed=settings.seed,
        working_size=settings.working_size or None,
        temperature=settings.temperature,
        params=settings.params,
    )
    folders = [request.out_dir or path.parent for path in request.photos]
    stems = result_stems(list(request.photos), folders)
    for done, (path, folder, stem) in enumerate(zip(request.photos, folders, stems)):
        yield BatchProgress(done, total, path, f"Colorizing {path.name}", len(result.written))
        targets = [folder / output_name(stem, backend.info.id, k, request.fmt) for k in range(1, options.samples + 1)]
        if not request.overwrite and all(t.exists() for t in targets):
            result.skipped.append((path, "already colorized"))
            continue
        try:
            photo = read_photo(path)
            events = colorize_lightness(backend, photo.lightness, options)
            try:
                for event in events:
                    # A target that exists is an earlier (perhaps cancelled) batch's result: kept unless replacing.
                    if isinstance(event, MergedSample) and (request.overwrite or not targets[event.index].exists()):
                        target = targets[event.index]
                        result.written.append(save_photo(event.rgb, photo, target, request.fmt, request.quality,
                                                         overwrite=request.overwrite))
                        yield BatchProgress(done, total, path, f"Colorizing {path.name}", len(result.written))
                    else:
                        yield None
            finally:
                events.close()
        except TinctError as error:
            result.failed.append((path, str(error)))
        except Exception as error:  # noqa: BLE001 - one bad photo never stops the batch
            result.failed.append((path, f"internal error: {describe(error)}"))
    yield BatchProgress(total, total, request.photos[-1] if total else Path(), "Done", len(result.written))
    return result


def is_out_of_memory(error: BaseException) -> bool:
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if type(error).__name__ == "OutOfMemoryError" or "out of memory" in str(error).lower():
            return True
        error = error.__cause__ or error.__context__
    return False
