"""``learned``: grain and scanner noise, dust and scratches, removed in one pass of a small network
(:mod:`plugins.restore.learned_model`) trained by ``python -m training train restorer`` on worn
copies of the training photos (``resources/models/restorer.md`` says how, and what it scored).
It stands in for ``scratches`` and ``denoise``; it leaves the tone as it is, so a faded scan
takes ``tone`` after it: ``--restore learned,tone``.

Where the classic steps each look for one kind of damage, the network sees them together: no
defect mask to miss a speck or take an eyelash for a scratch, no grain left to be stretched by
the levels. ``strength`` blends its result with the scan (1, the default: all of it).

The network learned dust and scratches as wide as they are on photos of its training size (the
config's ``working_size``, short side): drawn to the photo's scale, as on a print. So a larger
photo is cleaned on a copy reduced to that size; what the network changed comes back to full
resolution as local linear maps from the reduced scan to the reduced result (a guided filter's
coefficients, enlarged), so the photo keeps its own detail, and the finest band's grain, below
the reduced copy's pixels, is shrunk by a local Wiener filter.
"""

from __future__ import annotations

import threading

import numpy as np

from plugins.backends.common.shipped import load_shipped_model, shipped_model
from plugins.markers import hookimpl
from plugins.restore.base import Restorer
from plugins.restore.scale import enlarge, reduce
from plugins.types import RestoreResult, RestorerInfo

WEIGHTS = "restorer"
FILLED_CHANGE = 12.0
"""A change of this many L* (or more) at the reduced scale is a fill, not a smoothing: grain is
a few L*, dust and scratches 20 to 55."""
GUIDE_RADIUS = 2
"""Window radius (reduced px) of the local linear maps that carry the repair to full resolution."""
GUIDE_EPS = 4.0
"""Their regularization (L*²): flat regions take the repair's offset rather than a steep gain."""


_networks: dict[tuple[str, str], object] = {}
_networks_lock = threading.Lock()


def network():
    """The shipped network, float32 on the CPU, loaded once per weights file (every photo and step shares it)."""
    shipped = shipped_model(WEIGHTS)
    key = (str(shipped.weights.path), shipped.weights.sha256)
    with _networks_lock:
        if key not in _networks:
            from plugins.restore.learned_model import RestorerConfig, RestorerNet

            _networks.clear()  # another weights file replaces the one before (TINCT_MODELS_DIR)
            _networks[key] = load_shipped_model(shipped, RestorerNet, RestorerConfig, "cpu")
        return _networks[key]


class Learned(Restorer):
    info = RestorerInfo(
        id="learned",
        name="Learned clean-up",
        version="1.0.0",
        license="Apache-2.0",
        description="Grain, dust and scratches at once: a small network trained on worn copies of photos",
    )

    def repair(self, lightness: np.ndarray) -> np.ndarray:
        """The network's repair of ``lightness`` (L* ``float32 (H, W)``), at the photo's size."""
        import cv2
        import torch

        from plugins.filters import guided_coefficients
        from plugins.restore.denoise import shrink_detail

        model = network()
        factor = max(1.0, min(lightness.shape) / model.config.working_size)
        small = reduce(lightness, factor)
        with torch.no_grad():
            out = model(torch.tensor(small, dtype=torch.float32)[None, None])[0, 0].clamp(0, 100).numpy()
        if factor <= 1.0:
            return out
        a, b = guided_coefficients(out, small, GUIDE_RADIUS, GUIDE_EPS)
        mapped = enlarge(a, lightness.shape) * lightness + enlarge(b, lightness.shape)
        coarse = enlarge(out, lightness.shape)
        detailed = coarse + shrink_detail(mapped - coarse)
        # Where the network filled a defect, the scan's detail there is the defect's: take the fill.
        filled = np.clip(np.abs(out - small) / FILLED_CHANGE, 0.0, 1.0)
        filled = enlarge(cv2.dilate(filled, np.ones((3, 3), np.uint8)), lightness.shape)
        return detailed + filled * (coarse - detailed)

    def restore(self, lightness: np.ndarray, strength: float | None) -> RestoreResult:
        strength = 1.0 if strength is None else float(strength)
        lightness = np.asarray(lightness, dtype=np.float32)
        repaired = self.repair(lightness)
        out = lightness + strength * (repaired - lightness)
        change = float(np.mean(np.abs(repaired - lightness)))
        return RestoreResult(np.clip(out, 0.0, 100.0).astype(np.float32),
                             notes=(f"learned clean-up: strength {strength:.2f}, mean change {change:.1f} L*",))


@hookimpl
def register_restorers():
    return [Learned]
