"""The ``pixcolor`` backend as a Tinct plugin: several genuinely different colorizations, sampled."""

from __future__ import annotations

from typing import Iterator

import numpy as np

from plugins import Capability, ColorizeOptions, Colorizer, ColorizerInfo, Progress, Sample, hookimpl
from plugins.backends.common.shipped import load_shipped_model, shipped_model
from plugins.backends.common.smoothing import SMOOTHING_OPTION, smoothing_radius
from plugins.color import fit_working_size

SHIPPED = shipped_model("pixcolor")
SAMPLING_SHARE = 0.85  # of the progress bar: the autoregressive sampling; the rest is refinement


class PixColorColorizer(Colorizer):
    info = ColorizerInfo(
        id="pixcolor",
        name="Varied",
        version="1.0.0",
        license="Apache-2.0",
        description="Up to 8 truly different colorizations; some will be wrong. (PixColor.)",
        max_samples=8,
        capabilities=frozenset({Capability.SAMPLES}),
        devices=("cpu", "cuda", "mps"),
        weights=(SHIPPED.weights,),
        default_working_size=int(SHIPPED.config.get("working_size", 224)),  # the size it was trained at
        has_temperature=True,
        default_temperature=0.9,  # chosen on validation: colorfulness closest to the truth (35.8 vs 36.3)
        params=(SMOOTHING_OPTION,),
    )

    def __init__(self) -> None:
        self.model = None

    def load(self, device: str) -> None:
        from plugins.backends.pixcolor.model import PixColorConfig, PixColorModel

        self.model = load_shipped_model(SHIPPED, PixColorModel, PixColorConfig, device)

    def unload(self) -> None:
        self.model = None

    def colorize(self, lightness: np.ndarray, options: ColorizeOptions) -> Iterator[Progress | Sample]:
        import torch

        from plugins.backends.common.smoothing import guided_smooth
        from plugins.backends.pixcolor.sampling import RowSampler

        yield Progress(0.0, "looking at the photo")
        model = self.model  # float32 and in eval mode since load(): no half-precision path
        small = fit_working_size(lightness, options.working_size)
        param = next(model.parameters())
        x = torch.tensor(small, dtype=torch.float32)[None, None].to(param.device)  # a copy: the photo is read-only
        n = options.samples
        radius = smoothing_radius(options.params.get("smoothing", SMOOTHING_OPTION.default), small)
        with torch.no_grad():
            encoded = model.encode(x)
        sampler = RowSampler(model.pixelcnn, encoded.cond, n, options.temperature, options.seed)
        # All samples are drawn together, row by row (batched, it is several times faster than one by
        # one), so they appear together once the drawing is done, then one by one as each is refined.
        what = "choosing the colors of all samples at once" if n > 1 else "choosing colors"
        for fraction in sampler:
            yield Progress(SAMPLING_SHARE * fraction, f"{what}: {round(100 * fraction)} %")
        for index in range(n):
            with torch.no_grad():
                ab = model.refine(encoded.features, encoded.pooled, x, sampler.expected[index : index + 1])
            yield Sample(index, guided_smooth(small, ab[0].permute(1, 2, 0).float().cpu().numpy(), radius))
            yield Progress(SAMPLING_SHARE + (1 - SAMPLING_SHARE) * (index + 1) / n, f"finishing sample {index + 1} of {n}")


@hookimpl
def register_colorizers():
    return [PixColorColorizer]
