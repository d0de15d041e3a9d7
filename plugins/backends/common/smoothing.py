"""Edge-aware smoothing of predicted chroma at working size, with the lightness as the guide.

Per-pixel color classifiers (``cic``, ``pixcolor``) leave blotches: neighbouring
pixels of one surface fall on either side of a bin boundary. A guided filter
(He, Sun and Tang 2013) of each chroma channel, guided by L, averages them
within a surface and stops at L's edges, so it removes blotches without the
bleeding a plain blur causes. ``eps`` (in (L/100)² units) is the variance of L
below which a window counts as one surface.
"""

from __future__ import annotations

import numpy as np

from plugins.types import BackendOption

DEFAULT_EPS = 1e-3
SMOOTHING_OPTION = BackendOption(
    "smoothing", "Smoothing", 0.5, 0.0, 1.0,
    help="Evens out color blotches within each surface, stopping at edges: 0 leaves the model's colors as they are.",
)


def smoothing_radius(strength: float, lightness: np.ndarray) -> int:
    """The filter radius for a strength in 0..1: at 1, a sixteenth of the short side (16 px at 256)."""
    return int(round(strength * min(lightness.shape[:2]) / 16))


def guided_smooth(lightness: np.ndarray, ab: np.ndarray, radius: int, eps: float = DEFAULT_EPS) -> np.ndarray:
    """L ``(h, w)`` in 0..100 and ab ``(h, w, 2)`` of the same size → smoothed ab ``float32 (h, w, 2)``.

    ``radius`` 0 returns ``ab`` unchanged (as float32)."""
    ab = np.asarray(ab, dtype=np.float32)
    if radius <= 0:
        return ab
    if lightness.shape != ab.shape[:2]:
        raise ValueError(f"L {lightness.shape} and ab {ab.shape[:2]} differ in size")
    from plugins.filters import guided_filter  # OpenCV only when smoothing runs: discovery stays cheap

    return guided_filter(ab, np.asarray(lightness, dtype=np.float32) / 100.0, radius, eps)


def smoothed_samples(samples, small, radius: int, n: int):
    """Per-sample ab ``(2, h', w')`` tensors at the logits' resolution → the plugin's events: each
    upsampled to the working size ``small``'s, guided-smoothed, then a progress event (cic, palette)."""
    from plugins import Progress, Sample
    from plugins.backends.cic.model import upsample_ab

    for index, ab in enumerate(samples):
        ab = upsample_ab(ab[None], small.shape[:2])[0].permute(1, 2, 0).numpy()
        yield Sample(index, guided_smooth(small, ab, radius))
        yield Progress((index + 1) / n, f"sample {index + 1} of {n}")
