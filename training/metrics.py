"""Validation scores and the sample grid, from L and ab arrays.

The scores themselves are :mod:`training.quality`'s (the evaluation protocol's),
computed on the 8-bit sRGB photos a user would get. Arguments: L ``(H, W)`` in
0..100, ab ``(H, W, 2)`` in Lab units.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from plugins.color import join_lab, lab_to_srgb, lightness_to_gray
from training import quality


def to_srgb8(lightness: np.ndarray, ab: np.ndarray) -> np.ndarray:
    """The 8-bit sRGB photo a user would get from L and ab, ``uint8 (H, W, 3)``."""
    return np.round(lab_to_srgb(join_lab(lightness, ab)) * 255.0).astype(np.uint8)


def scores(lightness: np.ndarray, ab_pred: np.ndarray, ab_true: np.ndarray) -> dict[str, float]:
    """``psnr`` (dB, sRGB 0..255), ``ab_l2`` (mean per-pixel ab distance), ``auc`` (0..1) and ``cf``
    (the result's colorfulness)."""
    result, truth = to_srgb8(lightness, ab_pred), to_srgb8(lightness, ab_true)
    return {
        "psnr": quality.psnr(result, truth),
        "ab_l2": float(np.linalg.norm(ab_pred - ab_true, axis=-1).mean()),
        "auc": quality.auc(result, truth),
        "cf": quality.colorfulness(result),
    }


def sample_grid(rows: list[tuple[np.ndarray, np.ndarray, np.ndarray]], path) -> None:
    """One row per photo, (L, ab_pred, ab_true): gray | prediction | truth."""
    lines = []
    for lightness, ab_pred, ab_true in rows:
        gray = np.round(lightness_to_gray(lightness) * 255.0).astype(np.uint8)
        gray = np.repeat(gray[..., None], 3, axis=-1)
        lines.append(np.concatenate([gray, to_srgb8(lightness, ab_pred), to_srgb8(lightness, ab_true)], axis=1))
    Image.fromarray(np.concatenate(lines, axis=0)).save(path)
