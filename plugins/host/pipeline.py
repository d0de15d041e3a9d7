"""One photo through one backend: the part every caller (CLI, app, evaluation) shares.

photo L (full resolution) → restoration, when asked for (:mod:`plugins.host.restoration`) → backend
(a restored photo with grain put back: :mod:`plugins.host.grain`) → ab per sample (working size) →
the user's reference and hints, where the backend does not take them itself → merge → sRGB (full
resolution) (→ file, with :func:`colorize_to_files`).
"""

from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from plugins.host.grain import with_grain
from plugins.host.merge import DEFAULT_UPSAMPLER, Merger
from plugins.host.reference import transfer_reference
from plugins.host.restoration import Restoration, Restored
from plugins.host.runner import LoadedBackend
from plugins.imageio import Photo, output_bit_depth, save_photo
from plugins.types import Capability, ColorHint, ColorizeOptions, Progress, Sample


@dataclass(frozen=True, eq=False)
class MergedSample:
    """Sample ``index`` as full-resolution sRGB ``(H, W, 3)`` with the working-size ab it was merged from.

    ``rgb`` is ``float32`` in 0..1, or ``uint8`` codes when asked for with ``as_uint8``; ``ab`` is the
    backend's, with the host's reference transfer and hints applied (see :func:`colorize_samples`).
    """

    index: int
    rgb: np.ndarray
    ab: np.ndarray


class Guidance:
    """What the host does with ``options.hints`` and ``options.reference`` for a backend that
    does not take them itself: applied to each sample's working-size ab, reference first.

    Whatever depends on the photo alone (its L at the sample's size, the hints' factorized
    system) is made for the first sample and shared by the rest.
    """

    def __init__(self, lightness: np.ndarray, hints: tuple[ColorHint, ...] = (), reference: np.ndarray | None = None):
        self.lightness = lightness
        self.hints = hints
        self.reference = reference
        self._cache: dict[tuple[int, int], tuple[np.ndarray, object]] = {}

    def __bool__(self) -> bool:
        return bool(self.hints) or self.reference is not None

    def apply(self, ab: np.ndarray) -> np.ndarray:
        """``ab (h, w, 2)`` with the reference's colors and the hints: a new float32 array."""
        if not self:
            return ab
        small, propagator = self._for_size(ab.shape[:2])
        if self.reference is not None:
            ab = transfer_reference(small, ab, self.reference)
        return propagator.apply(ab) if propagator is not None else ab

    def _for_size(self, size: tuple[int, int]):
        if size not in self._cache:
            from plugins.host import hints  # scipy: imported only once someone gives hints

            small = hints.shrink_lightness(self.lightness, size)
            propagator = None
            if self.hints:
                propagator = hints.HintPropagator(small, hints.scale_hints(self.hints, self.lightness.shape, size))
            self._cache[size] = small, propagator
        return self._cache[size]


def guidance_for(backend: LoadedBackend, lightness: np.ndarray,
                 options: ColorizeOptions) -> tuple[ColorizeOptions, Guidance]:
    """Split ``options``'s hints and reference between the backend and the host.

    A backend with ``Capability.HINTS`` (``REFERENCE``) gets them in its options untouched and the
    host leaves them alone; for any other the options it gets hold none, and the returned
    :class:`Guidance` applies them to its samples. Raises TinctError for a hint outside the photo.
    """
    if options.hints:
        from plugins.host.hints import check_hints_inside

        check_hints_inside(options.hints, lightness.shape)
    capabilities = backend.info.capabilities
    host_hints = () if Capability.HINTS in capabilities else options.hints
    host_reference = None if Capability.REFERENCE in capabilities else options.reference
    if host_hints or host_reference is not None:
        options = replace(options, hints=() if host_hints else options.hints,
                          reference=None if host_reference is not None else options.reference)
    return options, Guidance(lightness, host_hints, host_reference)


def colorize_samples(backend: LoadedBackend, lightness: np.ndarray, options: ColorizeOptions,
                     seen: np.ndarray | None = None) -> Iterator[Progress | Sample]:
    """The backend's checked events, each sample's ab with the user's hints and reference applied
    (by the backend itself or by the host, see :func:`guidance_for`), still at working size.

    ``seen``: what the backend gets instead of ``lightness`` (a restored photo with grain,
    :func:`backend_lightness`); the hints and the reference go by ``lightness``.
    Closing this generator cancels the run.
    """
    given, guidance = guidance_for(backend, lightness, options)
    events = backend.colorize(lightness if seen is None else seen, given)
    try:
        for event in events:
            yield Sample(event.index, guidance.apply(event.ab)) if isinstance(event, Sample) and guidance else event
    finally:
        events.close()


def backend_lightness(lightness: np.ndarray, options: ColorizeOptions, restored: bool) -> np.ndarray | None:
    """What the backend gets of a photo whose lightness restoration changed (``restored``): the
    lightness with grain at ``options``' working size and seed (:mod:`plugins.host.grain`);
    ``None`` (the lightness itself) when it did not."""
    return with_grain(lightness, options.working_size, options.seed) if restored else None


def colorize_lightness(
    backend: LoadedBackend,
    lightness: np.ndarray,
    options: ColorizeOptions,
    upsampler: str = DEFAULT_UPSAMPLER,
    as_uint8: bool = False,
    seen: np.ndarray | None = None,
) -> Iterator[Progress | MergedSample]:
    """Run ``backend`` on ``lightness`` (:func:`colorize_samples`: with the user's hints and
    reference; the backend gets ``seen`` instead when given) and merge each sample onto
    ``lightness`` as soon as it arrives.

    ``as_uint8`` merges straight to 8-bit codes, cheaper for results that are only
    saved at 8 bits (see ``plugins.imageio.output_bit_depth``).
    """
    merger = Merger(lightness, upsampler)
    merge = merger.merge_uint8 if as_uint8 else merger.merge
    for event in colorize_samples(backend, lightness, options, seen):
        if isinstance(event, Sample):
            yield MergedSample(event.index, merge(event.ab), event.ab)
        else:
            yield event


def colorize_to_files(
    backend: LoadedBackend,
    photo: Photo,
    options: ColorizeOptions,
    targets: Sequence[str | os.PathLike[str]],
    fmt: str = "png",
    quality: int = 95,
    overwrite: bool = False,
    upsampler: str = DEFAULT_UPSAMPLER,
    restoration: Restoration | None = None,
) -> Iterator[Progress | Restored | Path]:
    """Colorize ``photo`` and save sample ``k`` to ``targets[k]`` with :func:`save_photo`.

    With a ``restoration`` (and steps in it), its steps run on the photo's lightness first and
    one :class:`Restored` event says what they did; the backend, the merge and the saved photo
    all get the restored lightness (the backend with grain, :func:`backend_lightness`).

    Yields the backend's progress and each written path. Sample ``k`` is saved on a
    background thread while sample ``k + 1`` merges (encoders and numpy release the
    GIL), one save at a time, so at most one finished result waits in memory. A
    failed save raises here; when this generator stops early it still waits for the
    save in flight.
    """
    seen = None
    if restoration:
        restored = restoration.run(photo.lightness)
        yield restored
        photo = replace(photo, lightness=restored.lightness)
        seen = backend_lightness(restored.lightness, options, bool(restored.applied))
    as_uint8 = output_bit_depth(photo, fmt) == 8
    with ThreadPoolExecutor(1, thread_name_prefix="tinct-save") as saver:
        saving: Future[Path] | None = None
        for event in colorize_lightness(backend, photo.lightness, options, upsampler, as_uint8, seen):
            if not isinstance(event, MergedSample):
                yield event
                continue
            if saving is not None:
                yield saving.result()
            saving = saver.submit(save_photo, event.rgb, photo, targets[event.index], fmt, quality, overwrite)
        if saving is not None:
            yield saving.result()


def output_name(stem: str, backend_id: str, number: int, extension: str) -> str:
    """``<stem>.<backend>.<k>.<ext>``, with ``k`` counting from 1."""
    return f"{stem}.{backend_id}.{number}.{extension}"
