"""Seeded synthetic damage for tests and ``bench/restoration.py``: fading, noise, scratches, dust.

The inverse of the restoration steps, with the truth known: :func:`degrade` returns the damaged
lightness and the mask of the pixels that a scratch or speck covers (at least half opaque).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class Damage:
    lightness: np.ndarray
    """``float32 (H, W)``: the damaged L*."""
    defects: np.ndarray
    """``bool (H, W)``: the scratch and dust pixels."""


WORN_CONTRAST = (0.45, 0.95)
"""The fading that the learned steps train on (the restorer's network, the tone prior's levels):
wider than :func:`fade`'s default, the bench's, so that they also meet prints that barely faded."""
WORN_LIFT = (-4.0, 10.0)
WORN_SHARE = 0.85
"""The share of training photos faded (and, for the restorer, dusted; and noisy): the rest are
met as they are, so that a learned step leaves an undamaged photo alone."""


def fade(lightness: np.ndarray, rng: np.random.Generator, contrast: tuple[float, float] = (0.5, 0.7),
         lift: tuple[float, float] = (-3.0, 8.0)) -> np.ndarray:
    """Lower contrast (by a factor drawn from ``contrast``) about a mid-gray lifted by ``lift`` L*:
    blacks turn gray, whites dull."""
    contrast = rng.uniform(*contrast)
    center = 50.0 + rng.uniform(*lift)
    return (center + (lightness - 50.0) * contrast).astype(np.float32)


def defect_layer(shape: tuple[int, int], rng: np.random.Generator, scratches: tuple[int, int] = (3, 8),
                 specks: tuple[int, int] = (20, 50)) -> tuple[np.ndarray, np.ndarray]:
    """``(offset, opacity)``: each defect's L* offset (bright or dark) and how much it covers, 0..1."""
    import cv2

    h, w = shape
    scale = min(h, w) / 256.0
    offset = np.zeros(shape, np.float32)
    opacity = np.zeros(shape, np.float32)

    def paint(draw, delta: float) -> None:
        layer = np.zeros((h * 4, w * 4), np.uint8)  # drawn at 4× and shrunk: soft, anti-aliased edges
        draw(layer)
        cover = cv2.resize(layer.astype(np.float32) / 255.0, (w, h), interpolation=cv2.INTER_AREA)
        np.copyto(offset, np.float32(delta), where=cover > opacity)
        np.maximum(opacity, cover, out=opacity)

    for _ in range(rng.integers(scratches[0], scratches[1] + 1)):
        length = rng.uniform(0.3, 1.0) * np.hypot(h, w) * 4
        angle = rng.uniform(0, np.pi)
        cx, cy = rng.uniform(0, w * 4), rng.uniform(0, h * 4)
        dx, dy = np.cos(angle) * length / 2, np.sin(angle) * length / 2
        p1, p2 = (int(cx - dx), int(cy - dy)), (int(cx + dx), int(cy + dy))
        thickness = max(1, int(round(rng.uniform(1.0, 2.5) * 4 * scale)))
        delta = rng.choice([-1.0, 1.0]) * rng.uniform(22.0, 45.0)
        paint(lambda layer: cv2.line(layer, p1, p2, 255, thickness, cv2.LINE_8), delta)
    for _ in range(rng.integers(specks[0], specks[1] + 1)):
        center = (int(rng.uniform(0, w * 4)), int(rng.uniform(0, h * 4)))
        axes = (max(2, int(rng.uniform(1.0, 3.0) * 4 * scale)), max(2, int(rng.uniform(1.0, 3.0) * 4 * scale)))
        angle = float(rng.uniform(0, 180))
        delta = (1.0 if rng.random() < 0.3 else -1.0) * rng.uniform(25.0, 55.0)
        paint(lambda layer: cv2.ellipse(layer, center, axes, angle, 0, 360, 255, -1), delta)
    return offset, opacity


def add_noise(lightness: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Gaussian noise and film-grain-like noise (correlated over ~1 px, strongest in the mid-tones)."""
    import cv2

    gaussian = rng.normal(0.0, rng.uniform(1.5, 3.0), lightness.shape).astype(np.float32)
    grain = cv2.GaussianBlur(rng.normal(0.0, 1.0, lightness.shape).astype(np.float32), (0, 0), 0.8)
    grain *= rng.uniform(2.0, 4.0) / max(float(grain.std()), 1e-6)
    midtones = 0.4 + 2.4 * (lightness / 100.0) * (1.0 - lightness / 100.0)
    return (lightness + gaussian + grain * midtones).astype(np.float32)


def degrade(clean: np.ndarray, rng: np.random.Generator, *, faded: bool = True, noisy: bool = True,
            damaged: bool = True) -> Damage:
    """``clean`` (L*, ``float32 (H, W)``) faded, then scratched and dusted, then noisy (as a scan of a worn print)."""
    out = fade(clean, rng) if faded else clean.astype(np.float32)
    defects = np.zeros(clean.shape, bool)
    if damaged:
        offset, opacity = defect_layer(clean.shape, rng)
        out = out + offset * opacity
        defects = opacity >= 0.5
    if noisy:
        out = add_noise(out, rng)
    return Damage(np.clip(out, 0.0, 100.0).astype(np.float32), defects)
