"""A Tinct backend that needs no weights and no torch, with chroma known in advance.

Sample ``k`` of seed ``s`` is one flat color: hue ``sample_hue(s, k)`` at chroma
``options.params["chroma"]``, so tests can tell exactly which sample a pixel came from.
"""

from __future__ import annotations

import math

import numpy as np

from plugins import ColorizeOptions, Colorizer, ColorizerInfo, Progress, Sample, hookimpl
from plugins.color import fit_working_size
from plugins.types import BackendOption, Capability

GOLDEN = 0.6180339887


def sample_hue(seed: int, index: int, samples: int) -> float:
    """The hue angle in radians of sample ``index``: evenly spread, rotated by the seed."""
    return 2 * math.pi * ((seed * GOLDEN + index / samples) % 1.0)


def sample_ab(seed: int, index: int, samples: int, chroma: float) -> tuple[float, float]:
    hue = sample_hue(seed, index, samples)
    return chroma * math.cos(hue), chroma * math.sin(hue)


class FlatColorizer(Colorizer):
    info = ColorizerInfo(
        id="testbackend",
        name="Test backend (flat colors)",
        version="1.0.0",
        license="Apache-2.0",
        description="Paints each sample one known flat color. For tests only.",
        max_samples=8,
        capabilities=frozenset({Capability.SAMPLES}),
        devices=("cpu", "cuda", "mps"),
        default_working_size=64,
        has_temperature=True,
        params=(BackendOption("chroma", "Chroma", 30.0, 0.0, 60.0, "How colorful each sample is."),),
    )

    def load(self, device: str) -> None:
        self.device = device

    def colorize(self, lightness: np.ndarray, options: ColorizeOptions):
        small = fit_working_size(lightness, options.working_size)
        chroma = options.params.get("chroma", 30.0)
        for index in range(options.samples):
            yield Progress(index / options.samples, f"sample {index + 1} of {options.samples}")
            a, b = sample_ab(options.seed, index, options.samples, chroma)
            ab = np.empty(small.shape + (2,), dtype=np.float32)
            ab[..., 0], ab[..., 1] = a, b
            yield Sample(index, ab)
        yield Progress(1.0, "done")


@hookimpl
def register_colorizers():
    return [FlatColorizer]
