"""The ``gan`` generator: L float32 (N,1,h,w) in 0..100 (+ noise) → ab float32 (N,2,h,w) in Lab units.

The ``regression`` network (EfficientNet-Lite0 encoder, U-Net/fusion decoder),
plus noise maps added into the decoder at strides 32 and 16 through 1x1
convolutions: with zero noise it is exactly the regression model whose
weights it starts from.
The noise lives on a coarse grid (stride 32) and is upsampled where it is
added, so a sample differs from another in what color regions are, not in
per-pixel speckle. Sample 0 takes zero noise: the generator's most faithful
answer; sample k > 0 draws its noise from (seed, k) alone, so it does not
depend on how many samples are made.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from plugins.backends.regression.model import RegressionConfig, RegressionModel

NOISE_STRIDE = 32
NOISE_INIT_STD = 0.05


@dataclass
class GANConfig(RegressionConfig):
    noise_channels: int = 8
    noise_levels: tuple[int, ...] = (0, 1)  # decoder levels the noise joins (0: stride 32, 1: stride 16)
    # Every sample's ab is multiplied by this at inference: where the shipped weights sit on the
    # trade-off between fidelity and colorfulness, set at export (``training export --chroma-gain``)
    # from validation scores. Training never applies it.
    chroma_gain: float = 1.0


class GANGenerator(RegressionModel):
    """The regression model (its weights fit) with noise projections into the decoder."""

    def __init__(self, config: GANConfig):
        super().__init__(config)
        self.noise = nn.ModuleList(nn.Conv2d(config.noise_channels, config.widths[level], 1) for level in config.noise_levels)
        for conv in self.noise:  # small but felt: noise that is too faint at first is never learnt to be used
            nn.init.normal_(conv.weight, std=NOISE_INIT_STD)
            nn.init.zeros_(conv.bias)

    def noise_shape(self, lightness: torch.Tensor) -> tuple[int, int, int, int]:
        h, w = lightness.shape[-2:]
        return (lightness.shape[0], self.config.noise_channels, -(-h // NOISE_STRIDE), -(-w // NOISE_STRIDE))

    def decode(self, encoded, lightness: torch.Tensor, noise: torch.Tensor | None) -> torch.Tensor:
        """ab at the input's size from the trunk's encoding and noise (``None``: zero noise)."""
        levels = dict(zip(self.config.noise_levels, self.noise))

        def inject(level: int, x: torch.Tensor) -> torch.Tensor:
            if noise is None or level not in levels:
                return x
            z = F.interpolate(noise, size=x.shape[-2:], mode="bilinear", align_corners=False)
            return x + levels[level](z.to(x.dtype))

        ab = self.trunk.decode(encoded, lightness, inject) * self.config.ab_scale
        return F.interpolate(ab, size=lightness.shape[-2:], mode="bilinear", align_corners=False)

    def forward(self, lightness: torch.Tensor, noise: torch.Tensor | None = None) -> torch.Tensor:
        return self.decode(self.trunk.encode(lightness), lightness, noise)


def sample_noise(shape: tuple[int, ...], seed: int, index: int, scale: float = 1.0) -> torch.Tensor:
    """Sample ``index``'s noise for ``seed``: zeros for sample 0, else N(0, scale²) from (seed, index) alone."""
    if index == 0:
        return torch.zeros(shape)
    g = torch.Generator().manual_seed((seed * 1_000_003 + index) % 2**63)
    return torch.randn(shape, generator=g) * scale


VIEW_SCALES = (1.0, 1.25)
"""Sizes, relative to the working size, at which each sample is predicted and averaged: chosen on
val-extra, where averaging the working size and 1.25× it was about 0.07 dB closer to the truth than
the working size alone at the same colorfulness (a larger size alone did not gain)."""


def predict_samples(
    model: GANGenerator,
    lightness_small: np.ndarray,
    indices: range,
    seed: int,
    scale: float,
    mirror_average: bool = True,
    view_scales: tuple[float, ...] = VIEW_SCALES,
):
    """L* ``float32 (h, w)`` at working size → yields ``(index, ab float32 (h, w, 2))`` for each sample index.

    Each sample is the average of several views of the photo: the photo at each of ``view_scales``
    and, with ``mirror_average``, its mirror image too (with its noise mirrored). The noise lives
    on one grid over the whole photo, so every view of a sample sees the same noise field. The
    encoder runs once per view; each sample is one decoder pass per view."""
    param = next(model.parameters())
    photo = torch.tensor(lightness_small, dtype=torch.float32)[None, None].to(device=param.device, dtype=param.dtype)
    size = photo.shape[-2:]
    model.eval()
    views = []
    # No yield inside no_grad: a caller that stops early would be left with autograd off.
    with torch.no_grad():
        for view_scale in view_scales:
            x = photo
            if view_scale != 1.0:
                x = F.interpolate(photo, size=(round(size[0] * view_scale), round(size[1] * view_scale)), mode="bilinear", align_corners=False)
            if mirror_average:
                x = torch.cat([x, x.flip(-1)])
            views.append((x, model.trunk.encode(x)))
    for index in indices:
        noise = sample_noise(model.noise_shape(photo), seed, index, scale).to(device=param.device, dtype=param.dtype)
        if mirror_average:
            noise = torch.cat([noise, noise.flip(-1)])
        total = torch.zeros((1, 2, *size), dtype=torch.float32, device=param.device)
        with torch.no_grad():
            for x, encoded in views:
                ab = model.decode(encoded, x, None if index == 0 else noise).float()
                if mirror_average:
                    ab = (ab[:1] + ab[1:].flip(-1)) / 2
                if ab.shape[-2:] != size:
                    ab = F.interpolate(ab, size=size, mode="bilinear", align_corners=False)
                total += ab
        total *= model.config.chroma_gain / len(views)
        yield index, total[0].permute(1, 2, 0).cpu().numpy().astype(np.float32)
