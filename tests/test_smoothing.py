"""Edge-aware smoothing of a backend's chroma: blotches inside a surface go, edges stay."""

from __future__ import annotations

import numpy as np
import pytest

from plugins.backends.common.smoothing import guided_smooth, smoothing_radius


def two_surfaces(size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """L: a dark left half and a light right half; ab: red left, blue right, with blotches."""
    lightness = np.full((size, size), 30.0, np.float32)
    lightness[:, size // 2 :] = 80.0
    ab = np.zeros((size, size, 2), np.float32)
    ab[:, : size // 2] = (40.0, 20.0)
    ab[:, size // 2 :] = (-5.0, -40.0)
    rng = np.random.default_rng(0)
    ab += rng.normal(0, 12, ab.shape).astype(np.float32)
    return lightness, ab


def test_blotches_within_a_surface_are_evened_out_and_the_edge_keeps_its_colors():
    lightness, ab = two_surfaces()
    out = guided_smooth(lightness, ab, radius=6)
    left, right = out[:, :28], out[:, 36:]
    assert left.std(axis=(0, 1)).max() < 0.35 * ab[:, :28].std(axis=(0, 1)).min()
    # Right at the edge each side keeps its own color: no bleeding of red into blue.
    assert np.abs(out[:, 31].mean(0) - (40.0, 20.0)).max() < 4
    assert np.abs(out[:, 32].mean(0) - (-5.0, -40.0)).max() < 4
    # A plain box blur of the same radius bleeds across the edge.
    import cv2

    blurred = cv2.blur(ab, (13, 13))
    assert np.abs(blurred[:, 31].mean(0) - (40.0, 20.0)).max() > 10


def test_radius_zero_is_the_identity_and_the_radius_scales_with_the_photo():
    lightness, ab = two_surfaces()
    assert np.array_equal(guided_smooth(lightness, ab, 0), ab)
    assert smoothing_radius(1.0, np.zeros((256, 384))) == 16 and smoothing_radius(0.5, np.zeros((512, 512))) == 16
    assert smoothing_radius(0.0, np.zeros((256, 256))) == 0
    with pytest.raises(ValueError):
        guided_smooth(lightness[:10], ab, 3)
