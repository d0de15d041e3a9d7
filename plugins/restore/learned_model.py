"""The ``learned`` restoration step's network: a worn scan's L* → the same scan without its grain,
scanner noise, dust and scratches, in one pass.

A small U-Net (strides 1 to 8) adds a residual to the scan. It leaves the photo's tone alone: a
faded print comes out as faded, and clean (the ``tone`` step then sets its levels). Undoing fading
is a guess about the whole photo (how contrasty was it?), while grain and dust are local and
well-posed; a first network that tried both at once, with a branch for the global gain, learned
neither well in an hour of this CPU.

``forward`` takes and returns L* ``float32 (N, 1, H, W)`` in ``0..100``; H and W any size
(padded to a multiple of 8 inside).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from plugins.backends.common.config import ModelConfig


@dataclass
class RestorerConfig(ModelConfig):
    widths: tuple[int, ...] = (16, 32, 64, 96)  # U-Net channels at strides 1, 2, 4, 8
    working_size: int = 256  # short side of the photos it trained on: dust and scratches were drawn to that scale


def conv(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1), nn.LeakyReLU(0.1, inplace=True))


class RestorerNet(nn.Module):
    def __init__(self, config: RestorerConfig):
        super().__init__()
        self.config = config
        w = config.widths
        self.down = nn.ModuleList([nn.Sequential(conv(1, w[0]), conv(w[0], w[0]))])
        for cin, cout in zip(w[:-1], w[1:]):
            self.down.append(nn.Sequential(conv(cin, cout, stride=2), conv(cout, cout)))
        self.bottom = nn.Sequential(conv(w[-1], w[-1]), conv(w[-1], w[-1]))
        self.up = nn.ModuleList(conv(cout + cin, cin) for cin, cout in zip(w[:-1], w[1:]))
        self.head = nn.Conv2d(w[0], 1, 3, padding=1)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)  # starts adding nothing

    def forward(self, lightness: torch.Tensor) -> torch.Tensor:
        x = (lightness - 50.0) / 50.0
        h, w = x.shape[-2:]
        f = F.pad(x, (0, (-w) % 8, 0, (-h) % 8), mode="replicate")
        skips = []
        for block in self.down:
            f = block(f)
            skips.append(f)
        f = self.bottom(skips.pop())
        for block in reversed(self.up):
            skip = skips.pop()
            f = block(torch.cat([F.interpolate(f, size=skip.shape[-2:], mode="bilinear", align_corners=False), skip], 1))
        return (x + self.head(f)[..., :h, :w]) * 50.0 + 50.0
