"""Running one backend: loading it once, and checking everything it yields.

A backend is a stranger's code. Whatever it raises or returns, the caller gets
either valid events or a :class:`PluginError` with a one-line message.
"""

from __future__ import annotations

import contextlib
import math
import sys
import threading
from typing import Callable, Iterator, Mapping, Sequence

import numpy as np

from plugins.errors import PluginError, TinctError
from plugins.host.devices import resolve_device
from plugins.host.discovery import PLUGIN_FAILURES, BackendEntry, describe
from plugins.host.reference import fit_reference
from plugins.types import ColorHint, ColorizeOptions, ColorizerInfo, Event, Progress, Sample
from plugins.weights import verify

MAX_ABS_CHROMA = 200.0
"""Beyond this the sample is garbage rather than a saturated color (sRGB stays within about ±128)."""
MIN_WORKING_SIZE, MAX_WORKING_SIZE = 32, 2048  # at 2048 a 4:3 photo already takes a few GB on the CPU
MAX_SEED = 2**32 - 1  # what seeded generators keep of a seed: beyond it two seeds would give the same samples


def check_seed(seed: int) -> int:
    """``seed``, or TinctError if seeded generators could not tell it from another."""
    if not 0 <= seed <= MAX_SEED:
        raise TinctError(f"the seed must be between 0 and {MAX_SEED}")
    return seed


def check_working_size(size: int) -> int:
    """``size`` (a short side in px), or TinctError unless it is one the backends can work at."""
    if not MIN_WORKING_SIZE <= size <= MAX_WORKING_SIZE:
        raise TinctError(f"the working size must be between {MIN_WORKING_SIZE} and {MAX_WORKING_SIZE} px")
    return size


def check_temperature(temperature: float) -> float:
    """``temperature``, or TinctError unless it is a finite number of at least 0."""
    if not (math.isfinite(temperature) and temperature >= 0):
        raise TinctError("the temperature must be a number of at least 0")
    return temperature


def parse_param(text: str) -> tuple[str, str]:
    """``"NAME=VALUE"`` (a backend option as typed on a command line) → ``(name, value text)``, or
    TinctError. The value is read by the option itself (:meth:`BackendOption.value_of`): a number,
    a whole number or one of its choices."""
    name, equals, value = text.partition("=")
    if not equals or not name.strip() or not value.strip():
        raise TinctError("a backend option is NAME=VALUE, e.g. smoothing=0.5")
    return name.strip(), value.strip()


def build_options(
    info: ColorizerInfo,
    *,
    device: str,
    samples: int = 1,
    seed: int = 0,
    working_size: int | None = None,
    temperature: float | None = None,
    params: Mapping[str, object] | None = None,
    hints: Sequence[ColorHint] = (),
    reference: np.ndarray | None = None,
) -> tuple[ColorizeOptions, list[str]]:
    """Fill every option for ``info``'s backend; returns the options and notices for the user.

    ``hints`` are in full-resolution photo pixels (whether they lie in the photo is checked when
    it is colorized); ``reference`` is a Lab ``(h, w, 3)`` photo of any size, shrunk here to the
    working size. ``params`` values may be numbers or text (``--param``), each read by its option.
    Only a backend with ``Capability.SAMPLES`` is asked for more than one sample.
    """
    notes = []
    if samples < 1:
        raise TinctError("the number of samples must be at least 1")
    check_seed(seed)
    if temperature is not None:
        check_temperature(temperature)
    if samples > info.sample_limit:
        notes.append(f"{info.id} makes at most {info.sample_limit} sample(s); making {info.sample_limit}")
        samples = info.sample_limit
    size = check_working_size(working_size or min(max(info.default_working_size, MIN_WORKING_SIZE), MAX_WORKING_SIZE))
    values = {option.name: option.default for option in info.params}
    for name, value in (params or {}).items():
        option = next((o for o in info.params if o.name == name), None)
        if option is None:
            raise TinctError(f"{info.id} has no option {name!r}")
        try:
            values[name] = option.value_of(value)
        except ValueError as error:
            raise TinctError(f"{info.id}: {error}") from None
    options = ColorizeOptions(
        samples=samples,
        seed=seed,
        working_size=size,
        temperature=info.default_temperature if temperature is None else float(temperature),
        device=device,
        half=device == "cuda" and info.supports_half,
        params=values,
        hints=tuple(hints),
        reference=None if reference is None else fit_reference(reference, size),
    )
    return options, notes


class LoadedBackend:
    """One backend instance, loaded on first use and kept until :meth:`unload`."""

    def __init__(self, entry: BackendEntry, make_instance: Callable[[], object] | None = None):
        """``make_instance`` makes what stands for the backend's instance (default: ``entry.cls()``;
        :class:`plugins.host.isolation.RemoteColorizer` runs it in a worker process)."""
        self.entry = entry
        self._make_instance = make_instance or entry.cls
        self.device: str | None = None
        self._instance = None
        self._lock = threading.Lock()
        self._running = threading.Lock()  # held while a colorize call is under way

    @property
    def info(self) -> ColorizerInfo:
        return self.entry.info

    @property
    def instance(self):
        """The loaded backend instance (or what stands for it), None before :meth:`ensure_loaded`."""
        return self._instance

    def ensure_loaded(self, requested_device: str = "auto") -> str:
        """Check weights and load onto the resolved device; returns that device."""
        device = resolve_device(requested_device, self.info.devices)
        with self._lock:
            if self._instance is not None and self.device == device:
                return device
            self._unload_locked()
            for file in self.info.weights:
                verify(file)
            try:
                instance = self._make_instance()
                instance.load(device)
            except TinctError:
                raise
            except PLUGIN_FAILURES as error:
                raise PluginError(f"{self.info.id} failed to load: {describe(error)}") from error
            self._instance, self.device = instance, device
            return device

    def unload(self) -> None:
        with self._lock:
            self._unload_locked()

    def _unload_locked(self) -> None:
        if self._instance is not None:
            with contextlib.suppress(Exception):
                self._instance.unload()
        self._instance, self.device = None, None

    def colorize(self, lightness: np.ndarray, options: ColorizeOptions) -> Iterator[Event]:
        """Run the backend and yield only checked events; closing this generator cancels the run."""
        if self._instance is None:
            raise PluginError(f"{self.info.id} is not loaded")
        backend_id = self.info.id
        # Backends may keep state between steps: one call at a time per instance, as the API promises.
        if not self._running.acquire(blocking=False):
            raise TinctError(f"{backend_id} is busy with another photo; runs of one backend go one at a time")
        try:
            yield from self._colorize_checked(read_only(lightness), options)
        finally:
            self._running.release()

    def _colorize_checked(self, lightness: np.ndarray, options: ColorizeOptions) -> Iterator[Event]:
        backend_id = self.info.id
        try:
            events = self._instance.colorize(lightness, options)
            iterator = iter(events)
        except TinctError:
            raise  # the backend's own message for the user, shown as it is (as in load())
        except PLUGIN_FAILURES as error:
            raise PluginError(f"{backend_id} failed: {describe(error)}") from error
        produced = 0
        try:
            while True:
                try:
                    with inference_mode():
                        event = next(iterator)
                except StopIteration:
                    break
                except TinctError:
                    raise
                except PLUGIN_FAILURES as error:
                    raise PluginError(f"{backend_id} failed: {describe(error)}") from error
                if isinstance(event, Progress):
                    yield check_progress(backend_id, event)
                elif isinstance(event, Sample):
                    if produced >= options.samples:
                        raise PluginError(f"{backend_id} returned more than the {options.samples} sample(s) asked for")
                    yield Sample(produced, check_ab(backend_id, event.ab, lightness.shape))
                    produced += 1
                else:
                    raise PluginError(f"{backend_id} yielded {type(event).__name__}, not Progress or Sample")
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                with contextlib.suppress(Exception):
                    close()
        if produced < options.samples:
            raise PluginError(f"{backend_id} stopped after {produced} of {options.samples} sample(s)")


def read_only(array: np.ndarray) -> np.ndarray:
    """A view of ``array`` that raises on writes, so a backend cannot change the photo in place."""
    view = array.view()
    view.flags.writeable = False
    return view


def check_progress(backend_id: str, event: Progress) -> Progress:
    """``event`` with its fraction clamped to 0..1, or PluginError if it is not a number."""
    try:
        fraction = float(event.fraction)
    except (TypeError, ValueError) as error:
        raise PluginError(f"{backend_id} reported progress {event.fraction!r}, not a number") from error
    if fraction != fraction:  # NaN
        raise PluginError(f"{backend_id} reported progress NaN, not a number")
    return Progress(min(max(fraction, 0.0), 1.0), str(event.message))


def check_ab(backend_id: str, ab: object, full_shape: tuple[int, ...]) -> np.ndarray:
    """Return ``ab`` as contiguous float32 ``(h, w, 2)``, or raise PluginError saying what is wrong."""
    if hasattr(ab, "detach"):  # a torch tensor slipped through
        ab = ab.detach().float().cpu().numpy()
    if not isinstance(ab, np.ndarray) or ab.ndim != 3 or ab.shape[2] != 2 or min(ab.shape[:2]) < 1:
        shape = getattr(ab, "shape", type(ab).__name__)
        raise PluginError(f"{backend_id} returned chroma of shape {shape}; expected (h, w, 2)")
    if not np.issubdtype(ab.dtype, np.floating):
        raise PluginError(f"{backend_id} returned chroma of type {ab.dtype}; expected float")
    ab = np.ascontiguousarray(ab, dtype=np.float32)
    if not np.isfinite(ab).all():
        raise PluginError(f"{backend_id} returned chroma with NaN or infinite values")
    if np.abs(ab).max() > MAX_ABS_CHROMA:
        raise PluginError(f"{backend_id} returned chroma far outside the Lab range (|ab| up to {np.abs(ab).max():.3g})")
    full_h, full_w = full_shape[:2]
    h, w = ab.shape[:2]
    # Each side predicted from the other, allowing 5 % and 2 px of rounding: a sliver of chroma cannot pass.
    width_off = abs(w - h * full_w / full_h) > 0.05 * w + 2.0
    height_off = abs(h - w * full_h / full_w) > 0.05 * h + 2.0
    if width_off and height_off:
        raise PluginError(f"{backend_id} returned chroma of {w}×{h}, not the photo's aspect ratio ({full_w}×{full_h})")
    return ab


def inference_mode():
    """``torch.inference_mode()`` when the backend uses torch; nothing otherwise (torch stays unimported)."""
    torch = sys.modules.get("torch")
    return torch.inference_mode() if torch is not None else contextlib.nullcontext()
