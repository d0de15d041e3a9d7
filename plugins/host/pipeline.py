"""One photo through one backend: the part every caller (CLI, app, evaluation) shares.

photo L (full resolution) → backend → ab per sample (working size) → merge → sRGB (full resolution)
(→ file, with :func:`colorize_to_files`).
"""

from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from plugins.host.merge import DEFAULT_UPSAMPLER, Merger
from plugins.host.runner import LoadedBackend
from plugins.imageio import Photo, output_bit_depth, save_photo
from plugins.types import ColorizeOptions, Progress, Sample


@dataclass(frozen=True, eq=False)
class MergedSample:
    """Sample ``index`` as full-resolution sRGB ``(H, W, 3)`` with the backend's ab.

    ``rgb`` is ``float32`` in 0..1, or ``uint8`` codes when asked for with ``as_uint8``.
    """

    index: int
    rgb: np.ndarray
    ab: np.ndarray


def colorize_lightness(
    backend: LoadedBackend,
    lightness: np.ndarray,
    options: ColorizeOptions,
    upsampler: str = DEFAULT_UPSAMPLER,
    as_uint8: bool = False,
) -> Iterator[Progress | MergedSample]:
    """Run ``backend`` on ``lightness`` and merge each sample onto it as soon as it arrives.

    ``as_uint8`` merges straight to 8-bit codes, cheaper for results that are only
    saved at 8 bits (see ``plugins.imageio.output_bit_depth``).
    """
    merger = Merger(lightness, upsampler)
    merge = merger.merge_uint8 if as_uint8 else merger.merge
    for event in backend.colorize(lightness, options):
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
) -> Iterator[Progress | Path]:
    """Colorize ``photo`` and save sample ``k`` to ``targets[k]`` with :func:`save_photo`.

    Yields the backend's progress and each written path. Sample ``k`` is saved on a
    background thread while sample ``k + 1`` merges (encoders and numpy release the
    GIL), one save at a time, so at most one finished result waits in memory. A
    failed save raises here; when this generator stops early it still waits for the
    save in flight.
    """
    as_uint8 = output_bit_depth(photo, fmt) == 8
    with ThreadPoolExecutor(1, thread_name_prefix="tinct-save") as saver:
        saving: Future[Path] | None = None
        for event in colorize_lightness(backend, photo.lightness, options, upsampler, as_uint8):
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
