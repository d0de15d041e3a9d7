"""Large photos at a working size: a step that measures, detects or smooths on a reduced copy of
a large photo, and brings what it found back to full resolution.

Restoring a 12 MP scan must take a couple of seconds, not ten: non-local means, the defect
search and the inpainting all cost per pixel, and none of them needs every pixel of a large
photo (the grain is smoothed at full resolution by a cheaper filter, see
:mod:`plugins.restore.denoise`).
"""

from __future__ import annotations

import math

import numpy as np


def reduction(shape: tuple[int, ...], *, max_short_side: int | None = None, max_pixels: int | None = None) -> float:
    """How much to shrink a photo of ``shape`` so that it fits the limits given: ``1.0`` when it already does."""
    h, w = shape[:2]
    factor = 1.0
    if max_short_side is not None:
        factor = max(factor, min(h, w) / max_short_side)
    if max_pixels is not None:
        factor = max(factor, math.sqrt(h * w / max_pixels))
    return factor


def reduce(image: np.ndarray, factor: float) -> np.ndarray:
    """``image`` shrunk by ``factor`` (area-averaged), as ``float32``; the image itself when ``factor`` is 1."""
    import cv2

    image = np.ascontiguousarray(image, dtype=np.float32)
    if factor <= 1.0:
        return image
    h, w = image.shape[:2]
    size = (max(1, round(w / factor)), max(1, round(h / factor)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def enlarge(image: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``image`` resized (bilinear) to ``shape``'s height and width."""
    import cv2

    if image.shape[:2] == tuple(shape[:2]):
        return image
    return cv2.resize(np.ascontiguousarray(image), (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR)


def enlarge_mask(mask: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """A ``bool`` mask resized to ``shape``: the full-resolution pixels at least half inside it."""
    if mask.shape[:2] == tuple(shape[:2]):
        return mask.astype(bool)
    return enlarge(mask.astype(np.float32), shape) >= 0.5
