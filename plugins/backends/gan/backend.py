"""The ``gan`` backend as a Tinct plugin: an adversarially trained colorizer with several samples."""

from __future__ import annotations

from typing import Iterator

import numpy as np

from plugins import Capability, ColorizeOptions, Colorizer, ColorizerInfo, Progress, Sample, hookimpl
from plugins.backends.common.shipped import load_shipped_model, shipped_model
from plugins.color import fit_working_size

SHIPPED = shipped_model("gan")


class GANColorizer(Colorizer):
    info = ColorizerInfo(
        id="gan",
        name="Lively",
        version="1.0.0",
        license="Apache-2.0",
        description="Livelier colors than Faithful and up to 8 variations; the first is the safest. "
        "(Adversarial, after DeOldify.)",
        max_samples=8,
        capabilities=frozenset({Capability.SAMPLES}),
        devices=("cpu", "cuda", "mps"),
        weights=(SHIPPED.weights,),
        default_working_size=256,
        supports_half=True,
        has_temperature=True,
        default_temperature=1.0,
    )

    def __init__(self) -> None:
        self.model = None

    def load(self, device: str) -> None:
        from plugins.backends.gan.model import GANConfig, GANGenerator

        self.model = load_shipped_model(SHIPPED, GANGenerator, GANConfig, device)

    def unload(self) -> None:
        self.model = None

    def colorize(self, lightness: np.ndarray, options: ColorizeOptions) -> Iterator[Progress | Sample]:
        from plugins.backends.gan.model import predict_samples

        yield Progress(0.0, "predicting colors")
        model = self.model.half() if options.half else self.model.float()
        small = fit_working_size(lightness, options.working_size)
        n = options.samples
        for index, ab in predict_samples(model, small, range(n), options.seed, options.temperature):
            yield Sample(index, ab)
            yield Progress((index + 1) / n, f"sample {index + 1} of {n}")


@hookimpl
def register_colorizers():
    return [GANColorizer]
