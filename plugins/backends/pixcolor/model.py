"""PixColor model (Guadarrama et al. 2017): encoder, conditioning, gated PixelCNN over ab bins, refinement.

Shapes: lightness L* ``(N, 1, H, W)`` in 0..100, ab ``(N, 2, H, W)`` in Lab units.
Everything low-resolution lives on the **grid**, the encoder's stride-8 map:
``(gh, gw) = (ceil(H/8), ceil(W/8))``, 28×28 for a 224 crop.

1. **Encoder.** The shared EfficientNet-Lite0 (as in the other built-in
   backends' :class:`~plugins.backends.common.trunk.ColorTrunk`) runs once on the
   gray photo.
2. **Conditioning.** A small adaptation network sums 1×1 projections of the
   stride-8, 16 and 32 features (upsampled to the grid) and of the pooled global
   feature, then refines them with residual 3×3 blocks: ``cond (N, C, gh, gw)``.
3. **PixelCNN.** A conditional gated PixelCNN (van den Oord et al. 2016) over the
   grid in raster order. Each grid cell's chroma is one of the ``Q = 309`` ab bins
   of the ``cic`` backend (:mod:`plugins.backends.cic.bins`): one categorical per
   cell. The previous cells' chosen bins enter through a learned embedding. Each
   layer has a vertical stack that sees only the rows above and a horizontal
   stack that sees the cells to the left in the current row plus the vertical
   stack (no blind spot). The first layer is masked "A" (the current cell's own
   bin is excluded), the others "B". Conditioning enters every gate:
   ``tanh(W_f * x + V_f c) ⊙ σ(W_g * x + V_g c)``. Masks are realised by padding
   and kernel shapes rather than by zeroed weights:

   * vertical, first layer: a ``(k//2, k)`` kernel over the ``k//2`` rows above;
     later layers: ``(k//2 + 1, k)`` over the previous layer's rows ``i-k//2 .. i``
     (which already see only rows above ``i``);
   * horizontal, first layer: ``(1, k//2)`` over the cells strictly to the left;
     later layers: ``(1, k//2 + 1)`` over the previous layer's cells ``j-k//2 .. j``.

   Trained with teacher forcing and cross-entropy against the soft-encoded
   target (5 nearest bins, as ``cic``); sampled by :mod:`.sampling`.
4. **Refinement.** The shared encoder's features plus the low-resolution chroma
   (2 channels, ab / 110) concatenated at strides 8, 16 and 32, decoded by the
   U-Net/fusion decoder of the other backends to stride 4; its output is a
   residual on the bilinearly upsampled chroma, then upsampled to the input
   size. In training it gets the ground truth's grid chroma quantized to bin
   centers, with a few cells swapped for draws from the PixelCNN's own
   distribution and a little Gaussian noise, so it accepts sampled chroma. At
   inference it gets each grid cell's expected chroma given the cells drawn
   before it (:class:`~.sampling.RowSampler`'s ``expected``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from plugins.backbones import EfficientNetLite0, normalize_lightness
from plugins.backends.cic.bins import Q, annealed_mean, bin_centers, nearest_bins
from plugins.backends.common.config import ModelConfig
from plugins.backends.common.decoder import FusionUNetDecoder, conv_bn_relu
from plugins.backends.common.trunk import ColorTrunk

AB_SCALE = 110.0  # chroma enters the networks as ab / AB_SCALE
GRID_STRIDE = 8  # the PixelCNN's grid is the encoder's stride-8 map
CHROMA_LEVELS = (2, 3, 4)  # encoder feature maps (strides 8, 16, 32) the refinement's chroma joins
SWAP_PROBABILITY = 0.1  # training: share of grid cells whose chroma is a draw from the model instead of the truth
CHROMA_NOISE = 3.0  # training: Gaussian noise (ab units) on the refinement's chroma
VALIDATION_TEMPERATURE = 0.38  # eval-mode forward: annealed mean of the teacher-forced logits


@dataclass
class PixColorConfig(ModelConfig):
    hidden: int = 64  # channels of the PixelCNN's stacks (and of the bin embedding)
    layers: int = 8  # gated layers: the first masked "A", the rest "B"
    kernel: int = 5  # odd width of the masked convolutions; each layer reaches kernel//2 cells further
    cond_channels: int = 64  # width of the conditioning network
    cond_blocks: int = 2  # residual 3×3 blocks in the conditioning network
    refine_widths: tuple[int, ...] = (128, 96, 64, 32, 16)  # refinement decoder at strides 32, 16, 8, 4 (2 unused)
    fusion_channels: int = 128  # refinement: width of the projected global feature
    bins: int = Q  # classes per grid cell: the ab bins of plugins.backends.cic.bins
    finetune_from: int = 5  # encoder blocks from this index on are trained (5: strides 16 and 32); -1 freezes it
    working_size: int = 224  # short side, in px, the model is meant to see at inference

    def __post_init__(self) -> None:
        if self.kernel < 3 or self.kernel % 2 == 0:
            raise ValueError("kernel must be odd and at least 3")
        if self.layers < 1:
            raise ValueError("the PixelCNN needs at least one layer")


def gate(x: torch.Tensor, dim: int = 1) -> torch.Tensor:
    """The gated activation ``tanh(a) ⊙ σ(b)`` of ``x = [a, b]`` split along ``dim``."""
    a, b = x.chunk(2, dim=dim)
    return torch.tanh(a) * torch.sigmoid(b)


class GatedLayer(nn.Module):
    """One layer of both stacks. ``first``: masked "A" (no residuals: the input is the current cell's bin)."""

    def __init__(self, hidden: int, kernel: int, first: bool):
        super().__init__()
        self.first, self.reach = first, kernel // 2
        span = self.reach if first else self.reach + 1
        self.v_conv = nn.Conv2d(hidden, 2 * hidden, (span, kernel))
        self.h_conv = nn.Conv2d(hidden, 2 * hidden, (1, span))
        self.link = nn.Conv2d(2 * hidden, 2 * hidden, 1, bias=False)  # vertical → horizontal
        self.h_out = nn.Conv2d(hidden, hidden, 1)

    def forward(self, v, h, cond_v, cond_h):
        rows, cols, c = v.shape[-2], v.shape[-1], self.reach
        v_pre = self.v_conv(F.pad(v, (c, c, c, 0)))[:, :, :rows] + cond_v
        h_pre = self.h_conv(F.pad(h, (c, 0, 0, 0)))[:, :, :, :cols] + self.link(v_pre) + cond_h
        v_new, h_new = gate(v_pre), self.h_out(gate(h_pre))
        if self.first:
            return v_new, h_new
        return v + v_new, h + h_new


class GatedPixelCNN(nn.Module):
    """``bins int64 (N, gh, gw)`` + ``cond (N or 1, C, gh, gw)`` → logits ``(N, Q, gh, gw)``.

    The logits at a cell depend only on the bins of the cells before it in raster
    order (and on ``cond`` anywhere).
    """

    def __init__(self, bins: int, hidden: int, layers: int, kernel: int, cond_channels: int):
        super().__init__()
        self.hidden, self.kernel = hidden, kernel
        self.embed = nn.Embedding(bins, hidden)
        self.cond_proj = nn.Conv2d(cond_channels, layers * 4 * hidden, 1)  # per layer: vertical and horizontal gates
        self.layers = nn.ModuleList(GatedLayer(hidden, kernel, first=i == 0) for i in range(layers))
        self.head = nn.Sequential(nn.ReLU(), nn.Conv2d(hidden, hidden, 1), nn.ReLU(), nn.Conv2d(hidden, bins, 1))
        nn.init.zeros_(self.head[-1].weight)  # start from the uniform answer
        nn.init.zeros_(self.head[-1].bias)

    def layer_conditions(self, cond: torch.Tensor) -> torch.Tensor:
        """``cond (N, C, gh, gw)`` → ``(N, layers, 2, 2·hidden, gh, gw)``: what each gate adds, vertical then horizontal."""
        n, _, gh, gw = cond.shape
        return self.cond_proj(cond).view(n, len(self.layers), 2, 2 * self.hidden, gh, gw)

    def forward(self, bins: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        x = self.embed(bins).permute(0, 3, 1, 2)
        conds = self.layer_conditions(cond)
        v = h = x
        for i, layer in enumerate(self.layers):
            v, h = layer(v, h, conds[:, i, 0], conds[:, i, 1])
        return self.head(h)


class Conditioning(nn.Module):
    """Encoder features (strides 2..32) + pooled global feature → ``cond (N, C, gh, gw)`` on the stride-8 grid."""

    def __init__(self, feature_channels: tuple[int, ...], global_channels: int, channels: int, blocks: int):
        super().__init__()
        self.project = nn.ModuleList(nn.Conv2d(feature_channels[i], channels, 1, bias=False) for i in (2, 3, 4))
        self.glob = nn.Linear(global_channels, channels)
        self.bn = nn.BatchNorm2d(channels)
        self.blocks = nn.ModuleList(
            nn.Sequential(conv_bn_relu(channels, channels),
                          nn.Conv2d(channels, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels))
            for _ in range(blocks)
        )

    def forward(self, features: list[torch.Tensor], pooled: torch.Tensor) -> torch.Tensor:
        size = features[2].shape[-2:]
        x = self.glob(pooled)[:, :, None, None]
        for proj, f in zip(self.project, features[2:]):
            y = proj(f)
            x = x + (y if y.shape[-2:] == size else F.interpolate(y, size=size, mode="bilinear", align_corners=False))
        x = F.relu(self.bn(x))
        for block in self.blocks:
            x = F.relu(x + block(x))
        return x


class RefineTrunk(ColorTrunk):
    """The shared encoder (``.encoder``, fine-tuned from ``finetune_from`` as in ColorTrunk) and the
    refinement decoder, whose stride-8, 16 and 32 inputs carry 2 more channels: the low-resolution chroma."""

    def __init__(self, widths: tuple[int, ...], fusion_channels: int, finetune_from: int):
        super().__init__(out_channels=2, widths=widths, fusion_channels=fusion_channels, out_stride=4,
                         finetune_from=finetune_from)
        channels = tuple(c + 2 * (i in CHROMA_LEVELS) for i, c in enumerate(EfficientNetLite0.feature_channels))
        self.decoder = FusionUNetDecoder(channels, EfficientNetLite0.global_channels, widths=tuple(widths),
                                         fusion_channels=fusion_channels, out_stride=4, out_channels=2)


class Encoded(NamedTuple):
    features: list[torch.Tensor]  # encoder maps at strides 2, 4, 8, 16, 32
    pooled: torch.Tensor  # (N, 1280)
    cond: torch.Tensor  # (N, C, gh, gw)


class PixColorModel(nn.Module):
    """``forward(lightness, ab)`` (teacher forcing) → ``(logits (N, Q, gh, gw), refined ab (N, 2, H, W))``.

    In training mode the refinement gets the perturbed ground-truth chroma; in
    eval mode (validation) the annealed mean of the teacher-forced logits. The
    plugin instead calls :meth:`encode`, samples with :mod:`.sampling` and calls
    :meth:`refine` per sample.
    """

    def __init__(self, config: PixColorConfig):
        super().__init__()
        if config.bins != Q:
            raise ValueError(f"this PixColor model predicts {config.bins} bins; this version of Tinct quantizes ab into {Q}")
        self.config = config
        self.trunk = RefineTrunk(config.refine_widths, config.fusion_channels, config.finetune_from)
        self.conditioning = Conditioning(EfficientNetLite0.feature_channels, EfficientNetLite0.global_channels,
                                         config.cond_channels, config.cond_blocks)
        self.pixelcnn = GatedPixelCNN(config.bins, config.hidden, config.layers, config.kernel, config.cond_channels)
        self.register_buffer("centers", torch.from_numpy(bin_centers()), persistent=False)

    def encode(self, lightness: torch.Tensor) -> Encoded:
        features, pooled = self.trunk.encoder(normalize_lightness(lightness), grad_from=self.trunk.grad_from)
        return Encoded(features, pooled, self.conditioning(features, pooled))

    def refine(self, features: list[torch.Tensor], pooled: torch.Tensor, lightness: torch.Tensor,
               chroma: torch.Tensor) -> torch.Tensor:
        """Grid chroma ``(N, 2, gh, gw)`` in Lab units → ab ``(N, 2, H, W)``; features of 1 photo serve N samples."""
        n = chroma.shape[0]
        if pooled.shape[0] != n:
            features = [f.expand(n, -1, -1, -1) for f in features]
            pooled, lightness = pooled.expand(n, -1), lightness.expand(n, -1, -1, -1)
        scaled = chroma / AB_SCALE
        features = list(features)
        for i in CHROMA_LEVELS:
            f = features[i]
            c = scaled if scaled.shape[-2:] == f.shape[-2:] else F.interpolate(scaled, size=f.shape[-2:], mode="area")
            features[i] = torch.cat([f, c.to(f.dtype)], dim=1)
        residual = self.trunk.decoder(features, pooled, lightness)
        base = F.interpolate(chroma, size=residual.shape[-2:], mode="bilinear", align_corners=False)
        ab = base + residual * AB_SCALE
        return F.interpolate(ab, size=lightness.shape[-2:], mode="bilinear", align_corners=False)

    def chroma_of_bins(self, bins: torch.Tensor) -> torch.Tensor:
        """Bin indices ``(N, gh, gw)`` → their centers as chroma ``(N, 2, gh, gw)``."""
        return self.centers.to(bins.device)[bins].permute(0, 3, 1, 2)

    def forward(self, lightness: torch.Tensor, ab: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features, pooled, cond = self.encode(lightness)
        target = grid_bins(ab, cond.shape[-2:])
        logits = self.pixelcnn(target, cond)
        if self.training:
            with torch.no_grad():
                u = torch.rand(logits.shape, device=logits.device).clamp_(1e-10, 1 - 1e-7)
                drawn = (logits.float() - torch.log(-torch.log(u))).argmax(1)
                swap = torch.rand(target.shape, device=target.device) < SWAP_PROBABILITY
                chroma = self.chroma_of_bins(torch.where(swap, drawn, target))
                chroma = chroma + CHROMA_NOISE * torch.randn_like(chroma)
        else:
            chroma = annealed_mean(logits.detach().float(), VALIDATION_TEMPERATURE)
        return logits, self.refine(features, pooled, lightness, chroma.to(pooled.dtype))


def grid_ab(ab: torch.Tensor, size) -> torch.Tensor:
    """ab ``(N, 2, H, W)`` → its mean over each grid cell, ``(N, 2, *size)``."""
    return ab if tuple(ab.shape[-2:]) == tuple(size) else F.interpolate(ab.float(), size=tuple(size), mode="area")


def grid_bins(ab: torch.Tensor, size) -> torch.Tensor:
    """ab ``(N, 2, H, W)`` → the bin nearest each grid cell's mean ab, ``int64 (N, *size)``."""
    return nearest_bins(grid_ab(ab, size), k=1)[0][:, 0]


def grid_size(height: int, width: int) -> tuple[int, int]:
    """The grid of a ``height``×``width`` input: the encoder's stride-8 map."""
    return -(-height // GRID_STRIDE), -(-width // GRID_STRIDE)
