"""Encoder + decoder + head, shared by the regression and classification backends."""

from __future__ import annotations

import torch
from torch import nn

from plugins.backbones import EfficientNetLite0, normalize_lightness
from plugins.backends.common.decoder import FusionUNetDecoder


class ColorTrunk(nn.Module):
    """L* ``(N, 1, H, W)`` in 0..100 → head output ``(N, out_channels, H/s, W/s)`` at ``out_stride`` s.

    ``finetune_from``: encoder blocks from this index on (and the head) are
    trained; the stem and the earlier blocks run without autograd, which keeps
    the costly high-resolution backward passes out of training. ``-1`` freezes
    the whole encoder, ``0`` fine-tunes all of it. The encoder's BatchNorm
    statistics always stay frozen: small per-device batches would only make
    them noisy.
    """

    def __init__(
        self,
        out_channels: int,
        widths: tuple[int, ...],
        fusion_channels: int,
        out_stride: int,
        finetune_from: int,
        negative_slope: float = 0.0,
    ):
        super().__init__()
        self.encoder = EfficientNetLite0(num_classes=0)
        self.decoder = FusionUNetDecoder(
            EfficientNetLite0.feature_channels,
            EfficientNetLite0.global_channels,
            widths=tuple(widths),
            fusion_channels=fusion_channels,
            out_stride=out_stride,
            out_channels=out_channels,
            negative_slope=negative_slope,
        )
        n = len(self.encoder._blocks)
        self.grad_from = n + 1 if finetune_from < 0 else min(finetune_from, n)
        self.encoder.requires_grad_(False)
        if finetune_from >= 0:
            self.encoder._conv_head.requires_grad_(True)
            self.encoder._bn1.requires_grad_(True)
            for block in self.encoder._blocks[self.grad_from :]:
                block.requires_grad_(True)
            if self.grad_from == 0:
                self.encoder.requires_grad_(True)

    def train(self, mode: bool = True) -> "ColorTrunk":
        super().train(mode)
        self.encoder.eval()
        return self

    def encode(self, lightness: torch.Tensor, stem_extra: torch.Tensor | None = None) -> tuple[list[torch.Tensor], torch.Tensor]:
        """The encoder's feature maps (strides 2..32) and pooled global feature; ``stem_extra``: see
        :meth:`EfficientNetLite0.forward`."""
        return self.encoder(normalize_lightness(lightness), grad_from=self.grad_from, stem_extra=stem_extra)

    def decode(self, encoded: tuple[list[torch.Tensor], torch.Tensor], lightness: torch.Tensor, inject=None) -> torch.Tensor:
        features, pooled = encoded
        return self.decoder(features, pooled, lightness, inject)

    def forward(self, lightness: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(lightness), lightness)
