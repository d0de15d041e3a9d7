"""``tone``: auto levels with clipped percentiles, then local contrast (CLAHE).

A faded print has lost its blacks and whites. Auto levels stretch the photo (never compress
it) so that its darkest and lightest 0.5 % land where a typical photo's do: L* 3 and 96, the
medians of those percentiles over the training photos. Stretching to 0..100 instead would
overshoot: most photos do not span the whole range, and the bench's restored lightness came
out further from the truth than the faded one. ``strength`` mixes in CLAHE, contrast-limited
adaptive histogram equalization on 8×8 tiles, with a clip limit of 1 + 3·strength: off unless
asked for (0 by default and in ``auto``), as it moves the lightness away from the photo's own.
CLAHE runs on 8 bits; only its correction is added to the float lightness, so smooth gradients
keep their precision. A sepia or yellowed scan arrives here as its lightness already (the host
reads only L*).
"""

from __future__ import annotations

import numpy as np

from plugins.markers import hookimpl
from plugins.restore.base import Restorer
from plugins.restore.measure import tonal_range
from plugins.types import RestoreResult, RestorerInfo

LOW, HIGH = 0.5, 99.5
"""Percentiles taken as the photo's black and white points (the rest is clipped)."""
TARGET = (3.0, 96.0)
"""Where the black and white points go, in L*: a typical photo's (the training photos' medians, 2.9 and 96.3)."""
FADED_RANGE = 75.0
"""``auto`` runs the step when the black-to-white range is narrower than this (L*). A faded
print measures about 45-80 once its dust is gone; an unfaded photo's median is 92, and 12 %
of unfaded photos are narrower than 75 (those are stretched too)."""
DEFAULT_STRENGTH = 0.0
TILES = 8


def auto_levels(lightness: np.ndarray) -> tuple[np.ndarray, str]:
    lo, hi = tonal_range(lightness, LOW, HIGH)
    target_lo, target_hi = TARGET
    if hi - lo < 1.0 or hi - lo >= target_hi - target_lo:
        return np.array(lightness, dtype=np.float32), f"levels kept (L* {lo:.0f}..{hi:.0f})"
    gain = (target_hi - target_lo) / (hi - lo)
    out = (np.asarray(lightness, dtype=np.float32) - np.float32(lo)) * np.float32(gain) + np.float32(target_lo)
    return np.clip(out, 0.0, 100.0, out=out), f"levels L* {lo:.0f}..{hi:.0f} → {target_lo:.0f}..{target_hi:.0f}"


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
        version="1.1.0",
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
