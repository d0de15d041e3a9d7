"""Regression colorizer: L float32 (N,1,h,w) in 0..100 → ab float32 (N,2,h,w) in Lab units.

EfficientNet-Lite0 encoder (ImageNet weights at training time), U-Net/hypercolumn
decoder with a global fusion branch (see :mod:`plugins.backends.common`), and a
2-channel head whose output, times ``ab_scale``, is a*b* at ``out_stride`` of
the input; it is bilinearly upsampled to the input size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from plugins.backends.common.config import ModelConfig
from plugins.backends.common.trunk import ColorTrunk


@dataclass
class RegressionConfig(ModelConfig):
    widths: tuple[int, ...] = (256, 192, 128, 64, 32)  # decoder channels at strides 32, 16, 8, 4, 2
    fusion_channels: int = 256  # width of the projected global feature fused at stride 32
    out_stride: int = 4  # resolution the head works at (1/4 of the input); then bilinear up
    ab_scale: float = 110.0  # head output × ab_scale = a*b* in Lab units
    finetune_from: int = 5  # encoder blocks from this index on are trained (5: strides 16 and 32); -1 freezes it
    working_size: int = 256  # short side, in px, the model is meant to see at inference


class RegressionModel(nn.Module):
    def __init__(self, config: RegressionConfig):
        super().__init__()
        self.config = config
        self.trunk = ColorTrunk(
            out_channels=2,
            widths=config.widths,
            fusion_channels=config.fusion_channels,
            out_stride=config.out_stride,
            finetune_from=config.finetune_from,
        )

    def forward(self, lightness: torch.Tensor) -> torch.Tensor:
        ab = self.trunk(lightness) * self.config.ab_scale
        return F.interpolate(ab, size=lightness.shape[-2:], mode="bilinear", align_corners=False)


def predict_ab(model: RegressionModel, lightness_small: np.ndarray) -> np.ndarray:
    """L* ``float32 (h, w)`` in 0..100, already at working size → ab ``float32 (h, w, 2)`` in Lab units."""
    param = next(model.parameters())
    x = torch.tensor(lightness_small, dtype=torch.float32)[None, None]  # a copy: the photo is read-only
    model.eval()
    with torch.no_grad():
        ab = model(x.to(device=param.device, dtype=param.dtype))
    return ab[0].permute(1, 2, 0).float().cpu().numpy().astype(np.float32)
