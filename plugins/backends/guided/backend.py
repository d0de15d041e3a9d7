"""The ``guided`` backend as a Tinct plugin: one colorization that follows the user's color hints."""

from __future__ import annotations

from typing import Iterator

import numpy as np

from plugins import Capability, ColorizeOptions, Colorizer, ColorizerInfo, Progress, Sample, hookimpl
from plugins.backends.common.shipped import load_shipped_model, shipped_model
from plugins.color import fit_working_size
from plugins.types import BackendOption

SHIPPED = shipped_model("guided")


class GuidedColorizer(Colorizer):
    info = ColorizerInfo(
        id="guided",
        name="Guided",
        version="1.0.0",
        license="Apache-2.0",
        description="Follows your color hints: recolors what you click, and the more hints you give, "
        "the more of the photo they correct. (After Zhang et al.'s ideepcolor.)",
        max_samples=1,
        capabilities=frozenset({Capability.HINTS, Capability.REFERENCE}),
        devices=("cpu", "cuda", "mps"),
        weights=(SHIPPED.weights,),
        default_working_size=256,
        supports_half=True,
        params=(
            BackendOption(
                "reach", "Hint reach", 1.0, 0.0, 2.0,
                help="How far your hints correct colors beyond the thing they are on: 0 keeps each hint to its "
                "own surface, 1 as trained (the more hints, the further their common correction reaches), 2 twice that.",
            ),
        ),
    )

    def __init__(self) -> None:
        self.model = None

    def load(self, device: str) -> None:
        from plugins.backends.guided.model import GuidedConfig, GuidedModel

        self.model = load_shipped_model(SHIPPED, GuidedModel, GuidedConfig, device)

    def unload(self) -> None:
        self.model = None

    def colorize(self, lightness: np.ndarray, options: ColorizeOptions) -> Iterator[Progress | Sample]:
        from plugins.backends.guided.hints import rasterize_hints
        from plugins.backends.guided.model import predict_ab

        yield Progress(0.0, "predicting colors")
        model = self.model.half() if options.half else self.model.float()
        small = fit_working_size(lightness, options.working_size)
        hint_ab, hint_mask = rasterize_hints(options.hints, lightness.shape, small.shape)
        # The reference goes through the host's transfer, before the hints: the model's own way in for it
        # (ideepcolor's global hint, a histogram) learnt nothing usable on this CPU (issue 14's notes).
        reach = float(options.params.get("reach", 1.0))
        yield Sample(0, predict_ab(model, small, hint_ab, hint_mask, reference=options.reference, reach=reach))
        yield Progress(1.0, "done")


@hookimpl
def register_colorizers():
    return [GuidedColorizer]
