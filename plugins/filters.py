"""Edge-aware filtering shared by the backends and the app (numpy/OpenCV, no torch, no Qt)."""

from __future__ import annotations

import cv2
import numpy as np


def guided_filter(source: np.ndarray, guide: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """He, Sun and Tang's guided filter: ``source`` ``(h, w)`` or ``(h, w, C)`` smoothed within
    ``radius`` px where ``guide`` ``(h, w)`` is even, and kept where it has edges. ``eps`` is in the
    guide's units squared: the guide's variance below which a window counts as one surface."""
    size = (2 * radius + 1, 2 * radius + 1)

    def box(x: np.ndarray) -> np.ndarray:
        return cv2.boxFilter(x, -1, size, borderType=cv2.BORDER_REFLECT)

    guide = np.asarray(guide, dtype=np.float32)
    source = np.asarray(source, dtype=np.float32)
    mean_g = box(guide)
    var_g = box(guide * guide) - mean_g * mean_g
    planes = source[..., None] if source.ndim == 2 else source
    out = np.empty_like(planes)
    for c in range(planes.shape[-1]):
        p = np.ascontiguousarray(planes[..., c])
        mean_p = box(p)
        slope = (box(guide * p) - mean_g * mean_p) / (var_g + np.float32(eps))
        offset = mean_p - slope * mean_g
        out[..., c] = box(slope) * guide + box(offset)
    return out[..., 0] if source.ndim == 2 else out
