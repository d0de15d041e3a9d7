"""Grain for the backend: a restored photo is colorized with a fine grain put back.

Colorizers learn from photos with texture: film grain, sensor noise, fine detail. A photo that
restoration denoised or cleaned is smoother than any of them, and some backends turn garish on
it: on the restoration bench's photos cleaned by ``learned,tone``, ``cic``'s mean chroma rose
from 14.8 (the clean photos) to 24, and blurring a clean photo by 1 px does the same (18),
while noise of 1.5-4 L* leaves its colors as they are. So the backend sees the restored
lightness with Gaussian grain that is :data:`GRAIN` L* strong at its working size (see
:func:`with_grain`), seeded by the run's seed; the saved photo, the merge, the
hints and the reference keep the restored lightness without it.
"""

from __future__ import annotations

import cv2
import numpy as np

from plugins.color import fit_working_size, working_shape

GRAIN = 2.5
"""Standard deviation of the grain, L* (at the backend's working size)."""
_STREAM = 0x67726E  # keeps the grain's random numbers apart from the backend's own, drawn from the same seed


def with_grain(lightness: np.ndarray, working_size: int, seed: int) -> np.ndarray:
    """``lightness`` (L*, ``float32 (H, W)``) plus seeded grain that is about :data:`GRAIN` L* strong
    once the backend has shrunk the photo to ``working_size``, in 0..100: a new array.

    The grain is drawn on the working grid and enlarged pixel for pixel. Where the two grids do
    not line up, shrinking mixes neighbouring grains and leaves them weaker (by up to a third,
    in bands a few pixels apart), so the grain is scaled to come back at ``GRAIN`` on average.
    Drawn at full resolution instead, it would have to be ``GRAIN`` times the shrink factor
    strong, and clipping it to 0..100 would brighten the shadows. A photo smaller than the
    working size gets ``GRAIN`` on its own pixels."""
    grid = working_shape(lightness.shape, working_size)
    if grid[0] > lightness.shape[0]:
        grid = lightness.shape[:2]
    grain = np.random.default_rng([_STREAM, seed]).standard_normal(grid, dtype=np.float32)
    if grid != lightness.shape[:2]:
        grain = cv2.resize(grain, (lightness.shape[1], lightness.shape[0]), interpolation=cv2.INTER_NEAREST)
        grain *= np.float32(1.0 / max(float(fit_working_size(grain, working_size).std()), 0.1))
    grain *= np.float32(GRAIN)
    grain += lightness
    return np.clip(grain, 0.0, 100.0, out=grain)
