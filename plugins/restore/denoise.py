"""``denoise``: non-local means (``cv2.fastNlMeansDenoising``) on the lightness.

The filter strength ``h`` follows the photo's measured noise (:func:`noise_sigma`):
``h = 1.1 σ`` in 8-bit levels, unless the user gives a strength (``h = 24 · strength``).
NLM runs on 8-bit codes; only its correction is added to the float lightness.
"""

from __future__ import annotations

import numpy as np

from plugins.markers import hookimpl
from plugins.restore.base import Restorer
from plugins.restore.measure import noise_sigma
from plugins.types import RestoreResult, RestorerInfo

H_PER_STRENGTH = 24.0
"""NLM's ``h`` (8-bit levels) at strength 1."""
H_PER_SIGMA = 1.1
"""``h`` per measured noise σ (8-bit levels) when the strength is the photo's own."""
NOISY_SIGMA = 1.0
"""``auto`` runs the step above this noise σ (L*); a clean 8-bit JPEG measures about 0.3..0.8."""
TEMPLATE, SEARCH = 5, 13
"""Patch and search window sizes (px). OpenCV's 7 and 21 cost 3× as much for little gain on grain."""


def strength_for_sigma(sigma: float) -> float:
    return float(min(1.0, H_PER_SIGMA * sigma * 2.55 / H_PER_STRENGTH))


def nlm(lightness: np.ndarray, h: float) -> np.ndarray:
    import cv2

    codes = np.clip(np.rint(lightness * 2.55), 0, 255).astype(np.uint8)
    smooth = cv2.fastNlMeansDenoising(codes, None, h=float(h), templateWindowSize=TEMPLATE, searchWindowSize=SEARCH)
    correction = (smooth.astype(np.float32) - codes) / 2.55
    return np.clip(lightness + correction, 0.0, 100.0).astype(np.float32)


class Denoise(Restorer):
    info = RestorerInfo(
        id="denoise",
        name="Denoise",
        version="1.0.0",
        license="Apache-2.0",
        description="Grain and scanner noise: non-local means, as strong as the measured noise",
    )

    def assess(self, lightness: np.ndarray) -> float | None:
        sigma = noise_sigma(lightness)
        return strength_for_sigma(sigma) if sigma > NOISY_SIGMA else None

    def restore(self, lightness: np.ndarray, strength: float | None) -> RestoreResult:
        sigma = noise_sigma(lightness)
        measured = strength is None
        strength = strength_for_sigma(sigma) if measured else float(strength)
        h = H_PER_STRENGTH * strength
        if h <= 0:
            return RestoreResult(np.array(lightness, dtype=np.float32), notes=(f"denoise: noise σ {sigma:.1f} L*, nothing to do",))
        how = "from the noise" if measured else "as asked"
        return RestoreResult(nlm(lightness, h), notes=(f"denoise: noise σ {sigma:.1f} L*, strength {strength:.2f} ({how})",))


@hookimpl
def register_restorers():
    return [Denoise]
