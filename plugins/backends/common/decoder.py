"""U-Net / hypercolumn decoder with a global-feature fusion branch.

Deep Koalarization's fusion: the encoder's pooled global feature (what the photo
*is*) is projected and broadcast onto the coarsest map before decoding. Then a
U-Net top-down path (Dahl's residual-encoder spirit: every encoder scale feeds
the decoder) climbs to ``out_stride`` of the input (4 by default: wide layers
stay away from full resolution), where the lightness itself joins as a
hypercolumn. The head is a plain 1x1 convolution with ``out_channels`` outputs
(2 for ab regression, 313 for classification over ab bins), so it is swappable.
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn


def activation(negative_slope: float = 0.0) -> nn.Module:
    """ReLU, or LeakyReLU when ``negative_slope`` is set (the ``palette`` backend's U-Net)."""
    return nn.LeakyReLU(negative_slope, inplace=True) if negative_slope else nn.ReLU(inplace=True)


def conv_bn_relu(cin: int, cout: int, kernel: int = 3, negative_slope: float = 0.0) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, kernel, padding=kernel // 2, bias=False),
        nn.BatchNorm2d(cout),
        activation(negative_slope),
    )


class FusionUNetDecoder(nn.Module):
    """Encoder features (strides 2..32) + global vector → ``out_channels`` maps at ``out_stride``.

    ``feature_channels`` lists the encoder's channels at strides 2, 4, 8, 16, 32;
    ``widths`` the decoder's channels at strides 32, 16, 8, 4, 2 (only those down
    to ``out_stride`` are used). ``negative_slope`` > 0 makes its activations LeakyReLU.
    """

    def __init__(
        self,
        feature_channels: tuple[int, ...],
        global_channels: int,
        widths: tuple[int, ...] = (256, 192, 128, 64, 32),
        fusion_channels: int = 256,
        out_stride: int = 4,
        out_channels: int = 2,
        negative_slope: float = 0.0,
    ):
        super().__init__()
        if out_stride not in (2, 4, 8):
            raise ValueError("out_stride must be 2, 4 or 8")
        self.levels = {8: 3, 4: 4, 2: 5}[out_stride]  # stages, coarsest first
        skips = list(feature_channels[::-1])  # strides 32, 16, 8, 4, 2
        slope = negative_slope
        self.fusion = nn.Sequential(nn.Linear(global_channels, fusion_channels), activation(slope))
        self.top = conv_bn_relu(skips[0] + fusion_channels, widths[0], kernel=1, negative_slope=slope)
        self.stages = nn.ModuleList(
            nn.Sequential(conv_bn_relu(widths[i - 1] + skips[i], widths[i], negative_slope=slope),
                          conv_bn_relu(widths[i], widths[i], negative_slope=slope))
            for i in range(1, self.levels)
        )
        # The hypercolumn end: lightness joins the finest decoded map.
        self.refine = conv_bn_relu(widths[self.levels - 1] + 1, widths[self.levels - 1], negative_slope=slope)
        self.head = nn.Conv2d(widths[self.levels - 1], out_channels, 1)
        nn.init.zeros_(self.head.weight)  # start from the gray (or uniform) answer, not random color
        nn.init.zeros_(self.head.bias)

    def forward(self, features: list[torch.Tensor], pooled: torch.Tensor, lightness: torch.Tensor,
                inject: Callable[[int, torch.Tensor], torch.Tensor] | None = None) -> torch.Tensor:
        """``inject(level, x)``, if given, may change the decoded map after each level (0: stride 32,
        1: stride 16, …): the ``gan`` backend adds its noise there."""
        skips = features[::-1]
        x = skips[0]
        g = self.fusion(pooled)[:, :, None, None].expand(-1, -1, x.shape[2], x.shape[3])
        x = self.top(torch.cat([x, g], dim=1))
        if inject:
            x = inject(0, x)
        for i, stage in enumerate(self.stages, start=1):
            skip = skips[i]
            x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
            x = stage(torch.cat([x, skip], dim=1))
            if inject:
                x = inject(i, x)
        light = F.interpolate(lightness / 50.0 - 1.0, size=x.shape[-2:], mode="area")
        return self.head(self.refine(torch.cat([x, light], dim=1)))
