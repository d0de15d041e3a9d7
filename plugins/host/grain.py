"""Grain for the backend: a restored photo is colorized with a fine grain put back.

Colorizers learn from photos with texture: film grain, sensor noise, fine detail. A photo that
restoration denoised or cleaned is smoother than any of them, and some backends turn garish on
it: on the restoration bench's photos cleaned by ``learned,tone``, ``cic``'s mean chroma rose
from 14.8 (the clean photos) to 24, and blurring a clean photo by 1 px does the same (18),
while noise of 1.5-4 L* leaves its colors as they are. So the backend sees the restored
lightness with Gaussian grain of :data:`GRAIN` L* drawn on its working-size grid (so that it
survives the backend's shrinking; a photo smaller than that gets it on its own pixels), seeded
by the run's seed; the saved photo, the merge, the
hints and the reference keep the restored lightness without it.
"""

from __future__ import annotations

import cv2
import numpy as np

from plugins.color import working_shape

GRAIN = 2.5
"""Standard deviation of the grain, L* (at the backend's working size)."""
_STREAM = 0x67726E  # keeps the grain's random numbers apart from the backend's own, drawn from the same seed


def with_grain(lightness: np.ndarray, working_size: int, seed: int) -> np.ndarray:
    """``lightness`` (L*, ``float32 (H, W)``) plus seeded grain on the ``working_size`` grid, in 0..100: a new array."""
    grid = working_shape(lightness.shape, working_size)
    if grid[0] > lightness.shape[0]:  # a photo smaller than that: its own pixels, which the backend enlarges
        grid = lightness.shape[:2]
    grain = np.random.default_rng([_STREAM, seed]).normal(0.0, GRAIN, grid).astype(np.float32)
    if grid != lightness.shape[:2]:
        grain = cv2.resize(grain, (lightness.shape[1], lightness.shape[0]), interpolation=cv2.INTER_NEAREST)
    out = np.add(lightness, grain, dtype=np.float32)
    return np.clip(out, 0.0, 100.0, out=out)
