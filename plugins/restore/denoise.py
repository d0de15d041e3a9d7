"""``denoise``: non-local means (``cv2.fastNlMeansDenoising``) on the lightness.

The filter strength ``h`` follows the photo's measured noise (:func:`noise_sigma`):
``h = 2 σ`` in 8-bit levels, unless the user gives a strength (``h = 24 · strength``). The
measurement sees about 60 % of film grain's σ (grain is correlated over a pixel or so, and the
measure is a fine-scale one), so ``2 σ`` is about 1.25 times the grain's true σ, where NLM
does best on the bench's scans.

:data:`KEEP_GRAIN` of the noise removed is put back: a fully smoothed photo looks painted, and
colorizers color such a photo more boldly than the clean one (``cic``'s mean chroma on noisy
validation photos: 23.2 for the clean ones, 29.0 smoothed fully, 23.7 with 30 % put back).
NLM runs on 8-bit codes; only its correction is added to the float lightness.

A photo larger than :data:`NLM_PIXELS` is smoothed in two bands: NLM on a reduced copy for
everything but the finest detail, and, for the finest detail (the difference between the photo
and that reduced copy enlarged), a local Wiener shrink against the noise measured there.
"""

from __future__ import annotations

import numpy as np

from plugins.markers import hookimpl
from plugins.restore.base import Restorer
from plugins.restore.measure import noise_sigma
from plugins.restore.scale import enlarge, reduce, reduction
from plugins.types import RestoreResult, RestorerInfo

H_PER_STRENGTH = 24.0
"""NLM's ``h`` (8-bit levels) at strength 1."""
H_PER_SIGMA = 2.0
"""``h`` per measured noise σ (8-bit levels) when the strength is the photo's own."""
NOISY_SIGMA = 1.0
"""``auto`` runs the step above this noise σ (L*); a clean 8-bit JPEG measures about 0.2..0.8."""
KEEP_GRAIN = 0.3
"""The share of the removed noise put back."""
TEMPLATE, SEARCH = 5, 13
"""Patch and search window sizes (px). OpenCV's 7 and 21 cost 3× as much for no gain on grain."""
NLM_PIXELS = 600_000
"""Larger photos get NLM on a reduced copy of about this many pixels (see the module's text)."""
DETAIL_WINDOW = 5
"""Side (px) of the window the fine band's local variance is taken over."""


def strength_for_sigma(sigma: float) -> float:
    return float(min(1.0, H_PER_SIGMA * sigma * 2.55 / H_PER_STRENGTH))


def nlm(lightness: np.ndarray, h: float) -> np.ndarray:
    import cv2

    codes = np.clip(np.rint(lightness * 2.55), 0, 255).astype(np.uint8)
    smooth = cv2.fastNlMeansDenoising(codes, None, h=float(h), templateWindowSize=TEMPLATE, searchWindowSize=SEARCH)
    correction = (smooth.astype(np.float32) - codes) / 2.55
    return np.clip(lightness + correction, 0.0, 100.0).astype(np.float32)


def shrink_detail(detail: np.ndarray) -> np.ndarray:
    """The fine band ``detail`` with its noise shrunk away: each value scaled by ``1 - σ²/local variance`` (at least 0)."""
    import cv2

    step = max(1, max(detail.shape) // 1024)
    sigma = 1.4826 * float(np.median(np.abs(detail[::step, ::step])))  # the band is mostly noise: a robust σ
    if sigma <= 0:
        return detail
    energy = cv2.blur(detail * detail, (DETAIL_WINDOW, DETAIL_WINDOW))
    gain = 1.0 - (sigma * sigma) / np.maximum(energy, 1e-6)
    np.maximum(gain, 0.0, out=gain)
    return detail * gain


def smooth(lightness: np.ndarray, h: float, sigma: float) -> np.ndarray:
    """``lightness`` (float32 L*, noise ``sigma`` as measured) with its noise removed at NLM strength
    ``h`` (8-bit levels, as for full resolution)."""
    factor = reduction(lightness.shape, max_pixels=NLM_PIXELS)
    if factor <= 1.0:
        return nlm(lightness, h)
    small = reduce(lightness, factor)
    # The reduced copy is less noisy: h follows the noise measured on it.
    h_small = h * noise_sigma(small) / max(sigma, 1e-6)
    coarse = enlarge(small, lightness.shape)
    correction = enlarge(nlm(small, h_small) - small, lightness.shape)
    out = coarse + correction
    out += shrink_detail(lightness - coarse)
    return np.clip(out, 0.0, 100.0, out=out)


class Denoise(Restorer):
    info = RestorerInfo(
        id="denoise",
        name="Denoise",
        version="1.1.0",
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
        lightness = np.asarray(lightness, dtype=np.float32)
        smoothed = smooth(lightness, h, sigma)
        out = smoothed + KEEP_GRAIN * (lightness - smoothed)
        how = "from the noise" if measured else "as asked"
        return RestoreResult(np.clip(out, 0.0, 100.0, out=out),
                             notes=(f"denoise: noise σ {sigma:.1f} L*, strength {strength:.2f} ({how})",))


@hookimpl
def register_restorers():
    return [Denoise]
