"""Edge-aware filtering shared by the backends and the app (numpy/OpenCV, no torch, no Qt)."""

from __future__ import annotations

import cv2
import numpy as np


def _box(x: np.ndarray, radius: int) -> np.ndarray:
    return cv2.boxFilter(x, -1, (2 * radius + 1, 2 * radius + 1), borderType=cv2.BORDER_REFLECT)


def guided_coefficients(source: np.ndarray, guide: np.ndarray, radius: int, eps: float) -> tuple[np.ndarray, np.ndarray]:
    """The guided filter's local linear model of a 2-D ``source`` in ``guide``: per pixel the box-averaged
    ``(slope, offset)`` with ``source ≈ slope · guide + offset`` over each window (float32 ``(h, w)`` each).
    Resized, they carry a change made at one size to a photo of another (He and Sun's fast guided filter)."""
    guide = np.asarray(guide, dtype=np.float32)
    source = np.ascontiguousarray(source, dtype=np.float32)
    mean_g, mean_p = _box(guide, radius), _box(source, radius)
    var_g = _box(guide * guide, radius) - mean_g * mean_g
    slope = (_box(guide * source, radius) - mean_g * mean_p) / (var_g + np.float32(eps))
    return _box(slope, radius), _box(mean_p - slope * mean_g, radius)


def guided_filter(source: np.ndarray, guide: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """He, Sun and Tang's guided filter: ``source`` ``(h, w)`` or ``(h, w, C)`` smoothed within
    ``radius`` px where ``guide`` ``(h, w)`` is even, and kept where it has edges. ``eps`` is in the
    guide's units squared: the guide's variance below which a window counts as one surface."""
    guide = np.asarray(guide, dtype=np.float32)
    source = np.asarray(source, dtype=np.float32)
    planes = source[..., None] if source.ndim == 2 else source
    out = np.empty_like(planes)
    for c in range(planes.shape[-1]):
        slope, offset = guided_coefficients(planes[..., c], guide, radius, eps)
        out[..., c] = slope * guide + offset
    return out[..., 0] if source.ndim == 2 else out
