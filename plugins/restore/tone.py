"""``tone``: auto levels with clipped percentiles, then local contrast (CLAHE).

A faded print has lost its blacks and whites. Auto levels stretch the photo (never compress
it) so that its darkest and lightest 0.5 % land where they most likely were before it faded:
the tone prior (:mod:`plugins.restore.tone_prior`), learned from the training photos, says
where, from the histogram's shape and from how far apart the measured levels are. Fixed levels
(L* 3 and 96, the medians over the training photos) would treat a misty landscape and a night
shot alike; stretching to 0..100 would overshoot, as most photos do not span the whole range.
``auto`` runs the step on a photo whose blacks are lifted *and* whites dulled, each beyond three
quarters of the training photos' (:meth:`plugins.restore.tone_prior.TonePrior.faded`): 4.2 % of undamaged val-extra photos are
taken for faded, against 12 % with the earlier test (a black-to-white range under 75 L*).
The levels are the picture's, not its dust's (:func:`plugins.restore.tone_prior.measure_shape`),
so the step works on a scratched scan run through it alone too.
``strength`` mixes in CLAHE, contrast-limited adaptive histogram equalization on 8×8 tiles,
with a clip limit of 1 + 3·strength: off unless asked for (0 by default and in ``auto``), as it
moves the lightness away from the photo's own.
CLAHE runs on 8 bits; only its correction is added to the float lightness, so smooth gradients
keep their precision. A sepia or yellowed scan arrives here as its lightness already (the host
reads only L*).
"""

from __future__ import annotations

import numpy as np

from plugins.markers import hookimpl
from plugins.restore.base import Restorer
from plugins.restore.tone_prior import Levels, load_prior
from plugins.types import RestoreResult, RestorerInfo

DEFAULT_STRENGTH = 0.0
TILES = 8


def auto_levels(lightness: np.ndarray, levels: Levels | None = None) -> tuple[np.ndarray, str]:
    """``lightness`` stretched to the prior's ``levels`` (measured here unless given) and a note."""
    if levels is None:
        levels = load_prior().levels(lightness)
    lo, hi = levels.black, levels.white
    if hi - lo < 1.0 or levels.gain <= 1.0:
        return np.array(lightness, dtype=np.float32), f"levels kept (L* {lo:.0f}..{hi:.0f})"
    return levels.apply(lightness), f"levels L* {lo:.0f}..{hi:.0f} → {levels.target_black:.0f}..{levels.target_white:.0f}"


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
        version="1.3.0",
        license="Apache-2.0",
        description="Faded prints: stretches the black and white points, adds local contrast (CLAHE)",
    )

    def __init__(self) -> None:
        self._last: tuple[np.ndarray, Levels] | None = None  # assess's levels, reused by restore

    def _levels(self, lightness: np.ndarray) -> Levels:
        if self._last is not None and self._last[0] is lightness:
            return self._last[1]
        levels = load_prior().levels(lightness)
        self._last = (lightness, levels)
        return levels

    def assess(self, lightness: np.ndarray) -> float | None:
        return DEFAULT_STRENGTH if load_prior().faded(self._levels(lightness)) else None

    def restore(self, lightness: np.ndarray, strength: float | None) -> RestoreResult:
        strength = DEFAULT_STRENGTH if strength is None else float(strength)
        levels = self._levels(lightness)
        self._last = None
        leveled, note = auto_levels(lightness, levels)
        out = local_contrast(leveled, strength)
        return RestoreResult(out, notes=(f"tone: {note}, local contrast {strength:.2f}",))


@hookimpl
def register_restorers():
    return [Tone]
