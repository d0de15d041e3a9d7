"""``scratches``: dust and scratches found and inpainted.

Detection, on the lightness at full resolution:

0. A light blur (σ 0.7 px) takes the peaks off the grain.
1. Morphological top-hat (bright) and black-hat (dark) residuals at a few scales: what a
   square of the scale's side cannot fit inside, i.e. thin lines and small specks.
2. Hysteresis: pixels above a low threshold, in components that reach a high one. Both
   follow the residual's own robust spread, so grain and texture are not taken for dust.
3. Shape: a component is kept when it is a **scratch** (long and thin: length ≥ 8 × its
   mean width and ≥ 15 px) or a **speck** (compact, no larger than the scale, and isolated:
   few other candidates around it, which tells a speck from texture).

The mask, grown by a pixel, is filled by ``cv2.inpaint`` (Telea's fast marching, or
Navier–Stokes with :data:`METHOD`) on the float lightness.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from plugins.markers import hookimpl
from plugins.restore.base import Restorer
from plugins.types import RestoreResult, RestorerInfo

SCALES = (5, 11)
"""Sides (px, at up to 1600 px short side; more for larger photos) of the squares the residuals are taken with."""
BLUR = 0.7
"""σ (px) of the blur before detection."""
LOW, HIGH = 4.0, 10.0
"""Hysteresis thresholds on the residual, L*, at strength 0.5 and a clean photo …"""
LOW_PER_SPREAD, HIGH_PER_SPREAD = 4.0, 8.0
"""… or the residual's median plus these multiples of its robust spread, whichever is higher."""
SCRATCH_ELONGATION, SCRATCH_LENGTH = 8.0, 30.0
SPECK_FILL = 0.3
"""A speck covers at least this much of its bounding box."""
ISOLATION = 0.08
"""A speck is isolated when other candidates cover less than this share of a window around it."""
DEFAULT_STRENGTH = 0.5
INPAINT_RADIUS = 3
METHOD = "telea"  # or "ns": Navier–Stokes
MIN_DEFECT_SHARE = 5e-4
"""``auto`` runs the step when defects cover at least this share of the photo."""


@dataclass(frozen=True)
class Defects:
    mask: np.ndarray
    """``bool (H, W)``: the defect pixels found (before growing them for inpainting)."""
    scratches: int
    specks: int


def _scale_factor(shape: tuple[int, int]) -> int:
    return max(1, round(min(shape) / 1600))


def find_defects(lightness: np.ndarray, strength: float = DEFAULT_STRENGTH) -> Defects:
    """The dust and scratches of ``lightness`` (``float32 (H, W)``, L* 0..100)."""
    import cv2

    grow = _scale_factor(lightness.shape)
    # A light blur first: grain loses most of its peaks, a 1-2 px line about a third of its contrast.
    image = cv2.GaussianBlur(np.ascontiguousarray(lightness, dtype=np.float32), (0, 0), BLUR * grow)
    factor = 1.5 - float(np.clip(strength, 0.0, 1.0))  # strength 0..1 → thresholds × 1.5..0.5
    step = max(1, max(image.shape) // 1024)
    mask = np.zeros(image.shape, bool)
    scratches = specks = 0
    for operation in (cv2.MORPH_TOPHAT, cv2.MORPH_BLACKHAT):  # bright, then dark defects
        for scale in SCALES:
            side = scale * grow
            kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (side, side))
            residual = cv2.morphologyEx(image, operation, kernel)
            sample = residual[::step, ::step]
            center = float(np.median(sample))
            spread = 1.4826 * float(np.median(np.abs(sample - center)))  # grain and texture, robustly
            low = factor * max(LOW, center + LOW_PER_SPREAD * spread)
            high = factor * max(HIGH, center + HIGH_PER_SPREAD * spread)
            keep, found_scratches, found_specks = _components(residual, low, high, side, grow)
            mask |= keep
            scratches += found_scratches
            specks += found_specks
    return Defects(mask, scratches, specks)


def _components(residual: np.ndarray, low: float, high: float, side: int, grow: int) -> tuple[np.ndarray, int, int]:
    import cv2

    candidates = (residual > low).astype(np.uint8)
    count, labels, stats, centroids = cv2.connectedComponentsWithStats(candidates, connectivity=8)
    if count <= 1:
        return np.zeros(residual.shape, bool), 0, 0
    strong = np.zeros(count, bool)
    strong[np.unique(labels[residual > high])] = True
    width, height, area = (stats[:, cv2.CC_STAT_WIDTH].astype(np.float64), stats[:, cv2.CC_STAT_HEIGHT].astype(np.float64),
                           stats[:, cv2.CC_STAT_AREA].astype(np.float64))
    length = np.hypot(width, height)
    scratch = (length >= SCRATCH_LENGTH * grow) & (length * length >= SCRATCH_ELONGATION * area)
    window = 4 * side + 1
    density = cv2.blur(candidates.astype(np.float32), (window, window))
    cy = np.clip(np.rint(centroids[:, 1]).astype(int), 0, residual.shape[0] - 1)
    cx = np.clip(np.rint(centroids[:, 0]).astype(int), 0, residual.shape[1] - 1)
    others = density[cy, cx] - area / (window * window)
    speck = ((np.maximum(width, height) <= side + 2) & (area >= SPECK_FILL * width * height)
             & (others < ISOLATION))
    chosen = strong & (scratch | speck)
    chosen[0] = False
    return chosen[labels], int((chosen & scratch).sum()), int((chosen & speck & ~scratch).sum())


def inpaint(lightness: np.ndarray, mask: np.ndarray, method: str = METHOD) -> np.ndarray:
    """``lightness`` with the ``mask``ed pixels (grown by one) filled from around them."""
    import cv2

    grown = cv2.dilate(mask.astype(np.uint8), np.ones((3, 3), np.uint8))
    flag = cv2.INPAINT_NS if method == "ns" else cv2.INPAINT_TELEA
    filled = cv2.inpaint(np.ascontiguousarray(lightness, dtype=np.float32), grown, INPAINT_RADIUS, flag)
    return np.clip(filled, 0.0, 100.0).astype(np.float32)


class Scratches(Restorer):
    info = RestorerInfo(
        id="scratches",
        name="Dust and scratches",
        version="1.0.0",
        license="Apache-2.0",
        description="Thin bright or dark lines and specks: found by shape, filled from around them",
    )

    def __init__(self) -> None:
        self._last: tuple[np.ndarray, float, Defects] | None = None  # assess's detection, reused by restore

    def _detect(self, lightness: np.ndarray, strength: float) -> Defects:
        if self._last is not None and self._last[0] is lightness and self._last[1] == strength:
            return self._last[2]
        defects = find_defects(lightness, strength)
        self._last = (lightness, strength, defects)
        return defects

    def assess(self, lightness: np.ndarray) -> float | None:
        defects = self._detect(lightness, DEFAULT_STRENGTH)
        return DEFAULT_STRENGTH if defects.mask.mean() >= MIN_DEFECT_SHARE else None

    def restore(self, lightness: np.ndarray, strength: float | None) -> RestoreResult:
        strength = DEFAULT_STRENGTH if strength is None else float(strength)
        defects = self._detect(lightness, strength)
        self._last = None
        note = (f"scratches: {defects.scratches} scratch(es) and {defects.specks} speck(s), "
                f"{100 * defects.mask.mean():.2f} % of the photo")
        if not defects.mask.any():
            return RestoreResult(np.array(lightness, dtype=np.float32), defects.mask, (note,))
        return RestoreResult(inpaint(lightness, defects.mask), defects.mask, (note,))


@hookimpl
def register_restorers():
    return [Scratches]
