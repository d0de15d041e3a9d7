"""Palette model: L float32 (N,1,H,W) in 0..100 → logits float32 (N,K,H/s,W/s) over a palette's K colors.

After the University of Toronto report: a U-Net with skip connections (BatchNorm,
LeakyReLU) classifies each pixel into one of K ab colors found by k-means over
the training photos (``python -m training prior --palette K``). Here the U-Net is
the shared trunk (see :mod:`plugins.backends.common`): the pretrained
EfficientNet-Lite0 encoder under the fusion U-Net decoder, with LeakyReLU, its
logits at ``out_stride`` s so that the wide layers stay off full resolution.

The palette travels with the weights: ``palette`` ``(K, 2)`` (ab, Lab units),
``shares`` ``(K,)`` (the fraction of training pixels nearest each color) and
``class_weights`` ``(K,)`` (the loss weights it was trained with, all 1 without
rebalancing) are buffers, so the shipped safetensors hold them and nothing else
needs shipping.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from plugins.backends.common.config import ModelConfig
from plugins.backends.common.trunk import ColorTrunk


@dataclass
class PaletteConfig(ModelConfig):
    colors: int = 24  # K: the palette's colors, the head's classes
    widths: tuple[int, ...] = (256, 192, 128, 64, 32)  # decoder channels at strides 32, 16, 8, 4, 2
    fusion_channels: int = 256  # width of the projected global feature fused at stride 32
    out_stride: int = 4  # resolution of the logits (1/4 of the input); decoded ab is upsampled after
    negative_slope: float = 0.1  # the U-Net's LeakyReLU
    finetune_from: int = 5  # encoder blocks from this index on are trained (5: strides 16 and 32); -1 freezes it
    working_size: int = 256  # short side, in px, the model is meant to see at inference


class PaletteModel(nn.Module):
    def __init__(self, config: PaletteConfig):
        super().__init__()
        if config.colors < 2:
            raise ValueError(f"a palette needs at least 2 colors, not {config.colors}")
        self.config = config
        self.trunk = ColorTrunk(
            out_channels=config.colors,
            widths=config.widths,
            fusion_channels=config.fusion_channels,
            out_stride=config.out_stride,
            finetune_from=config.finetune_from,
            negative_slope=config.negative_slope,
        )
        self.register_buffer("palette", torch.zeros(config.colors, 2))
        self.register_buffer("shares", torch.full((config.colors,), 1.0 / config.colors))
        self.register_buffer("class_weights", torch.ones(config.colors))

    def forward(self, lightness: torch.Tensor) -> torch.Tensor:
        return self.trunk(lightness)
