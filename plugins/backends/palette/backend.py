"""The ``palette`` backend as a Tinct plugin: the top-3 average of a palette classifier, and samples."""

from __future__ import annotations

from typing import Iterator

import numpy as np

from plugins import Capability, ColorizeOptions, Colorizer, ColorizerInfo, Progress, Sample, hookimpl
from plugins.backends.common.shipped import load_shipped_model, shipped_model
from plugins.backends.common.smoothing import SMOOTHING_OPTION, smoothing_radius
from plugins.color import fit_working_size
from plugins.types import BackendOption

SHIPPED = shipped_model("palette")
DEFAULT_REBALANCE = 0.5  # chosen on val-extra (see the model card)
TOP_OPTION = BackendOption.integer(
    "top_colors", "Colors blended", 3, 1, 3,
    help="How many of each pixel's likeliest palette colors are averaged, by probability: "
    "1 takes the likeliest alone (flat patches with seams), 3 blends across them.",
)


class PaletteColorizer(Colorizer):
    info = ColorizerInfo(
        id="palette",
        name="Palette",
        version="1.0.0",
        license="Apache-2.0",
        description="Colors from a fixed palette learned from photos, blended per pixel; up to 8 variations. "
        "(A U-Net over a k-means palette, after a University of Toronto report.)",
        max_samples=8,
        capabilities=frozenset({Capability.SAMPLES}),
        devices=("cpu", "cuda", "mps"),
        weights=(SHIPPED.weights,),
        default_working_size=256,
        supports_half=True,
        params=(
            TOP_OPTION,
            BackendOption(
                "rebalance", "Boldness", DEFAULT_REBALANCE, 0.0, 1.0,
                help="How much the model favours rare, saturated colors: 1 as it was trained (with its "
                "class rebalancing, if any), 0 the plainly most likely colors (duller, more often right).",
            ),
            BackendOption(
                "diversity", "Diversity", 0.5, 0.0, 1.0,
                help="How adventurous samples 2 and up are: 0 keeps each region's most likely color, "
                "0.5 follows the model's beliefs, 1 favours rarer colors.",
            ),
            SMOOTHING_OPTION,
        ),
    )

    def __init__(self) -> None:
        self.model = None

    def load(self, device: str) -> None:
        from plugins.backends.palette.model import PaletteConfig, PaletteModel

        self.model = load_shipped_model(SHIPPED, PaletteModel, PaletteConfig, device)

    def unload(self) -> None:
        self.model = None

    def colorize(self, lightness: np.ndarray, options: ColorizeOptions) -> Iterator[Progress | Sample]:
        from plugins.backends.cic.model import predict_logits
        from plugins.backends.cic.sampling import DEFAULT_DIVERSITY
        from plugins.backends.common.smoothing import smoothed_samples
        from plugins.backends.common.rebalance import rebalanced_logits
        from plugins.backends.palette.decoding import iter_samples

        yield Progress(0.0, "predicting palette colors")
        model = self.model.half() if options.half else self.model.float()
        small = fit_working_size(lightness, options.working_size)
        rebalance = options.params.get("rebalance", DEFAULT_REBALANCE)
        logits = rebalanced_logits(predict_logits(model, small), model.class_weights, rebalance)
        palette = model.palette.float().cpu()
        top = int(options.params.get("top_colors", TOP_OPTION.default))
        diversity = options.params.get("diversity", DEFAULT_DIVERSITY)
        n = options.samples
        radius = smoothing_radius(options.params.get("smoothing", SMOOTHING_OPTION.default), small)
        samples = iter_samples(logits, palette, n, top, diversity, options.seed)
        yield from smoothed_samples(samples, small, radius, n)


@hookimpl
def register_colorizers():
    return [PaletteColorizer]
