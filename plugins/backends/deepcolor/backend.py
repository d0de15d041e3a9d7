"""The ``deepcolor`` backend as a Tinct plugin: one colorization, per-pixel regression then an edge-aware filter."""

from __future__ import annotations

from typing import Iterator

import numpy as np

from plugins import ColorizeOptions, Colorizer, ColorizerInfo, Progress, Sample, hookimpl
from plugins.backends.common.shipped import load_shipped_model, shipped_model
from plugins.backends.common.smoothing import SMOOTHING_OPTION, smoothing_radius
from plugins.color import fit_working_size

SHIPPED = shipped_model("deepcolor")


class DeepColorColorizer(Colorizer):
    info = ColorizerInfo(
        id="deepcolor",
        name="Per-pixel",
        version="1.0.0",
        license="Apache-2.0",
        description="Each pixel's color from its surroundings, then smoothed along edges; small and fast. "
        "(Cheng, Yang and Sheng's Deep Colorization.)",
        max_samples=1,
        devices=("cpu", "cuda", "mps"),
        weights=(SHIPPED.weights,),
        default_working_size=256,
        params=(SMOOTHING_OPTION,),
    )

    def __init__(self) -> None:
        self.model = None

    def load(self, device: str) -> None:
        from plugins.backends.deepcolor.model import DeepColorConfig, DeepColorModel

        self.model = load_shipped_model(SHIPPED, DeepColorModel, DeepColorConfig, device)

    def unload(self) -> None:
        self.model = None

    def colorize(self, lightness: np.ndarray, options: ColorizeOptions) -> Iterator[Progress | Sample]:
        from plugins.backends.common.smoothing import guided_smooth
        from plugins.backends.deepcolor.model import predict_ab

        yield Progress(0.0, "predicting each pixel's color")
        small = fit_working_size(lightness, options.working_size)
        ab = predict_ab(self.model, small)
        radius = smoothing_radius(options.params.get("smoothing", SMOOTHING_OPTION.default), small)
        yield Sample(0, guided_smooth(small, ab, radius))
        yield Progress(1.0, "done")


@hookimpl
def register_colorizers():
    return [DeepColorColorizer]
