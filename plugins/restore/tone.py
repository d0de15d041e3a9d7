"""``tone``: auto levels with clipped percentiles, then local contrast (CLAHE).

A faded print has lost its blacks and whites: the darkest and lightest 0.5 % of the
pixels are stretched to L* 1 and 99 (never compressed). ``strength`` (default 0.25)
then mixes in CLAHE, contrast-limited adaptive histogram equalization on 8×8 tiles,
with a clip limit of 1 + 3·strength. CLAHE runs on 8 bits; only its correction is
added to the float lightness, so smooth gradients keep their precision. A sepia or
yellowed scan arrives here as its lightness already (the host reads only L*).
"""

from __future__ import annotations

import numpy as np

from plugins.markers import hookimpl
from plugins.restore.base import Restorer
from plugins.restore.measure import tonal_range
from plugins.types import RestoreResult, RestorerInfo

LOW, HIGH = 0.5, 99.5
"""Percentiles taken as the photo's black and white points (the rest is clipped)."""
TARGET = (1.0, 99.0)
"""Where the black and white points go, in L*."""
FADED_RANGE = 85.0
"""``auto`` runs the step when the black-to-white range is narrower than this (L*)."""
DEFAULT_STRENGTH = 0.25
TILES = 8


def auto_levels(lightness: np.ndarray) -> tuple[np.ndarray, str]:
    lo, hi = tonal_range(lightness, LOW, HIGH)
    target_lo, target_hi = TARGET
    if hi - lo < 1.0 or hi - lo >= target_hi - target_lo:
        return np.array(lightness, dtype=np.float32), f"levels kept (L* {lo:.0f}..{hi:.0f})"
    gain = (target_hi - target_lo) / (hi - lo)
    out = (lightness - lo) * gain + target_lo
    return np.clip(out, 0.0, 100.0).astype(np.float32), f"levels L* {lo:.0f}..{hi:.0f} → {target_lo:.0f}..{target_hi:.0f}"


def local_contrast(lightness: np.ndarray, strength: float) -> np.ndarray:
    """CLAHE's correction at ``strength`` (0..1) added to ``lightness`` (a new array)."""
    import cv2

    if strength <= 0:
        return lightness
    codes = np.clip(np.rint(lightness * 2.55), 0, 255).astype(np.uint8)
    clahe = cv2.createCLAHE(clipLimit=1.0 + 3.0 * strength, tileGridSize=(TILES, TILES))
    correction = (clahe.apply(codes).astype(np.float32) - codes) / 2.55
    return np.clip(lightness + strength * correction, 0.0, 100.0).astype(np.float32)


class Tone(Restorer):
    info = RestorerInfo(
        id="tone",
        name="Tone",
        version="1.0.0",
        license="Apache-2.0",
        description="Faded prints: stretches the black and white points, adds local contrast (CLAHE)",
    )

    def assess(self, lightness: np.ndarray) -> float | None:
        lo, hi = tonal_range(lightness, LOW, HIGH)
        return DEFAULT_STRENGTH if hi - lo < FADED_RANGE else None

    def restore(self, lightness: np.ndarray, strength: float | None) -> RestoreResult:
        strength = DEFAULT_STRENGTH if strength is None else float(strength)
        leveled, note = auto_levels(lightness)
        out = local_contrast(leveled, strength)
        return RestoreResult(out, notes=(f"tone: {note}, local contrast {strength:.2f}",))


@hookimpl
def register_restorers():
    return [Tone]
