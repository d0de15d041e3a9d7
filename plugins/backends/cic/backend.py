"""The ``cic`` backend as a Tinct plugin: several colorizations from one predicted ab distribution."""

from __future__ import annotations

from typing import Iterator

import numpy as np

from plugins import Capability, ColorizeOptions, Colorizer, ColorizerInfo, Progress, Sample, hookimpl
from plugins.backends.common.shipped import load_shipped_model, shipped_model
from plugins.backends.common.smoothing import SMOOTHING_OPTION, smoothing_radius
from plugins.color import fit_working_size
from plugins.types import BackendOption

SHIPPED = shipped_model("cic")
DEFAULT_REBALANCE = 0.6  # chosen on val-extra (see the model card)


class CICColorizer(Colorizer):
    info = ColorizerInfo(
        id="cic",
        name="Vivid",
        version="1.0.0",
        license="Apache-2.0",
        description="Bold colors and up to 8 variations; can add color casts. "
        "(Zhang et al.'s Colorful Image Colorization.)",
        max_samples=8,
        capabilities=frozenset({Capability.SAMPLES}),
        devices=("cpu", "cuda", "mps"),
        weights=(SHIPPED.weights,),
        default_working_size=256,
        supports_half=True,
        has_temperature=True,
        default_temperature=0.38,
        params=(
            BackendOption(
                "diversity", "Diversity", 0.5, 0.0, 1.0,
                help="How adventurous samples 2 and up are: 0 keeps each region's most likely color, "
                "0.5 follows the model's beliefs, 1 favours rarer colors.",
            ),
            BackendOption(
                "rebalance", "Boldness", DEFAULT_REBALANCE, 0.0, 1.0,
                help="How much the model favours rare, saturated colors: 1 as it was trained (the paper's "
                "class rebalancing: bold, often wrong), 0 the plainly most likely colors (duller, more often right).",
            ),
            SMOOTHING_OPTION,
        ),
    )

    def __init__(self) -> None:
        self.model = None

    def load(self, device: str) -> None:
        from plugins.backends.cic.model import CICConfig, CICModel

        self.model = load_shipped_model(SHIPPED, CICModel, CICConfig, device)

    def unload(self) -> None:
        self.model = None

    def colorize(self, lightness: np.ndarray, options: ColorizeOptions) -> Iterator[Progress | Sample]:
        from plugins.backends.cic.model import predict_logits
        from plugins.backends.common.rebalance import rebalanced_logits
        from plugins.backends.cic.sampling import DEFAULT_DIVERSITY, iter_samples
        from plugins.backends.common.smoothing import smoothed_samples

        yield Progress(0.0, "predicting color distributions")
        model = self.model.half() if options.half else self.model.float()
        small = fit_working_size(lightness, options.working_size)
        logits = predict_logits(model, small)
        logits = rebalanced_logits(logits, model.class_weights, options.params.get("rebalance", DEFAULT_REBALANCE))
        diversity = options.params.get("diversity", DEFAULT_DIVERSITY)
        n = options.samples
        samples = iter_samples(logits, n, options.temperature, diversity, options.seed)
        radius = smoothing_radius(options.params.get("smoothing", SMOOTHING_OPTION.default), small)
        yield from smoothed_samples(samples, small, radius, n)


@hookimpl
def register_colorizers():
    return [CICColorizer]
