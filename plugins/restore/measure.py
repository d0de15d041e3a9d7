"""Measurements the built-in steps share: the noise level of a photo's lightness."""

from __future__ import annotations

import numpy as np

ASSESS_SIDE = 1024
"""Long side, in px, measurements of ``auto`` are made at at most (a 12 MP photo is strided down)."""


def stride_for(shape: tuple[int, ...], side: int = ASSESS_SIDE) -> int:
    return max(1, max(shape[:2]) // side)


def noise_sigma(lightness: np.ndarray) -> float:
    """The standard deviation of the photo's pixel noise, in L* units.

    Immerkær's operator (the difference of two Laplacians, blind to planes and ramps) with a
    robust scale: the median absolute response, taken over the flatter half of the photo
    (the half with the weaker local gradient), so that edges and texture count little.
    Measured on full-resolution pixels (a crop of a large photo), as the noise lives there.
    """
    import cv2

    h, w = lightness.shape
    crop = lightness
    if h * w > 1536 * 1536:  # a centered crop: the noise is per pixel, a crop has plenty of it
        top, left = (h - 1536) // 2, (w - 1536) // 2
        crop = lightness[max(top, 0) : max(top, 0) + 1536, max(left, 0) : max(left, 0) + 1536]
    crop = np.ascontiguousarray(crop, dtype=np.float32)
    kernel = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)
    response = np.abs(cv2.filter2D(crop, -1, kernel, borderType=cv2.BORDER_REFLECT))[1:-1, 1:-1]
    gradient = cv2.blur(np.abs(cv2.Sobel(crop, -1, 1, 0)) + np.abs(cv2.Sobel(crop, -1, 0, 1)), (7, 7))[1:-1, 1:-1]
    flat = response[gradient <= np.median(gradient)]
    if flat.size == 0:
        return 0.0
    # |N(0, 36σ²)| has median 0.6745·6σ.
    return float(np.median(flat) / (0.6745 * 6.0))
