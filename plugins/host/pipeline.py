"""One photo through one backend: the part every caller (CLI, app, evaluation) shares.

photo L (full resolution) → backend → ab per sample (working size) → merge → sRGB (full resolution).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np

from plugins.host.merge import DEFAULT_UPSAMPLER, merge
from plugins.host.runner import LoadedBackend
from plugins.types import ColorizeOptions, Progress, Sample


@dataclass(frozen=True, eq=False)
class MergedSample:
    """Sample ``index`` as full-resolution sRGB ``float32 (H, W, 3)`` in 0..1, with the backend's ab."""

    index: int
    rgb: np.ndarray
    ab: np.ndarray


def colorize_lightness(
    backend: LoadedBackend,
    lightness: np.ndarray,
    options: ColorizeOptions,
    upsampler: str = DEFAULT_UPSAMPLER,
) -> Iterator[Progress | MergedSample]:
    """Run ``backend`` on ``lightness`` and merge each sample onto it as soon as it arrives."""
    for event in backend.colorize(lightness, options):
        if isinstance(event, Sample):
            yield MergedSample(event.index, merge(lightness, event.ab, upsampler), event.ab)
        else:
            yield event


def output_name(stem: str, backend_id: str, number: int, extension: str) -> str:
    """``<stem>.<backend>.<k>.<ext>``, with ``k`` counting from 1."""
    return f"{stem}.{backend_id}.{number}.{extension}"
