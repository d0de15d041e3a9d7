"""The ``regression`` backend as a Tinct plugin: one deterministic colorization."""

from __future__ import annotations

from typing import Iterator

import numpy as np

from plugins import ColorizeOptions, Colorizer, ColorizerInfo, Progress, Sample, hookimpl
from plugins.backends.common.shipped import load_shipped_model, shipped_model
from plugins.color import fit_working_size

SHIPPED = shipped_model("regression")


class RegressionColorizer(Colorizer):
    info = ColorizerInfo(
        id="regression",
        name="Faithful",
        version="1.0.0",
        license="Apache-2.0",
        description="One careful colorization, fast; colors a little muted. "
        "(Regression, after Dahl and Deep Koalarization.)",
        max_samples=1,
        devices=("cpu", "cuda", "mps"),
        weights=(SHIPPED.weights,),
        default_working_size=256,
        supports_half=True,
    )

    def __init__(self) -> None:
        self.model = None

    def load(self, device: str) -> None:
        from plugins.backends.regression.model import RegressionConfig, RegressionModel

        self.model = load_shipped_model(SHIPPED, RegressionModel, RegressionConfig, device)

    def unload(self) -> None:
        self.model = None

    def colorize(self, lightness: np.ndarray, options: ColorizeOptions) -> Iterator[Progress | Sample]:
        from plugins.backends.regression.model import predict_ab

        yield Progress(0.0, "predicting colors")
        model = self.model.half() if options.half else self.model.float()
        ab = predict_ab(model, fit_working_size(lightness, options.working_size))
        yield Sample(0, ab)
        yield Progress(1.0, "done")


@hookimpl
def register_colorizers():
    return [RegressionColorizer]
