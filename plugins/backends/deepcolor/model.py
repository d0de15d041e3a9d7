"""Deep Colorization model: L float32 (N,1,H,W) in 0..100 → ab float32 (N,2,H,W) in Lab units.

Cheng, Yang and Sheng (ICCV 2015) regress each pixel's chroma with a small fully
connected network from three kinds of features of that pixel:

* low level: the ``patch``×``patch`` L patch around it (replicate-padded at the border);
* mid level: its DAISY descriptor (:mod:`.daisy`);
* high level: the pretrained EfficientNet-Lite0 encoder's feature maps at strides
  8, 16 and 32 (``semantic_levels``), bilinearly sampled at the pixel, and the
  photo's pooled global feature. The encoder stays frozen, as the paper's features are.

Training feeds sampled pixels (``forward(lightness, at=(rows, cols))`` → ``(N, P, 2)``);
inference evaluates every pixel at once (``forward(lightness)``) with the same
weights as convolutions: the first layer on the patch is a ``patch``×``patch``
convolution of L, on DAISY a 1×1 convolution, and on the encoder's maps a 1×1
convolution at their own resolution, bilinearly upsampled after (a linear layer
commutes with bilinear interpolation, so this equals sampling first, far cheaper);
the hidden layers then run on all pixels as one batch. The post-filter (a guided filter with L as
the guide, the paper's joint bilateral filter) is the plugin's, after this.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from plugins.backbones import EfficientNetLite0, normalize_lightness
from plugins.backends.common.config import ModelConfig
from plugins.backends.deepcolor.daisy import daisy_at, daisy_channels, dense_daisy, smoothed_maps


@dataclass
class DeepColorConfig(ModelConfig):
    patch: int = 7  # side of the L patch, odd
    daisy_radius: int = 12  # px at working size: the outer ring's radius
    daisy_rings: int = 2
    daisy_histograms: int = 8  # points per ring
    daisy_orientations: int = 8
    semantic_levels: tuple[int, ...] = (2, 3, 4)  # encoder feature maps read: 0..4 are strides 2..32
    hidden: tuple[int, ...] = (128, 64)  # the fully connected network's hidden widths
    ab_scale: float = 110.0  # output × ab_scale = a*b* in Lab units
    working_size: int = 256  # short side, in px, the model is meant to see at inference


class FeatureTrunk(nn.Module):
    """The frozen pretrained encoder (named ``trunk.encoder`` as in the other backends, so training
    loads its ImageNet weights and builds its optimizer the same way)."""

    def __init__(self):
        super().__init__()
        self.encoder = EfficientNetLite0(num_classes=0)
        self.encoder.requires_grad_(False)
        self.grad_from = len(self.encoder._blocks) + 1  # no block runs with autograd

    def train(self, mode: bool = True) -> "FeatureTrunk":
        super().train(mode)
        self.encoder.eval()
        return self

    def encode(self, lightness: torch.Tensor) -> tuple[list[torch.Tensor], torch.Tensor]:
        return self.encoder(normalize_lightness(lightness), grad_from=self.grad_from)


@dataclass
class PixelFeatures:
    """A batch's per-pixel features as maps: L (scaled to -1..1), the smoothed orientation maps DAISY reads,
    the encoder's maps and its pooled vector."""

    light: torch.Tensor  # (N, 1, H, W)
    smoothed: list[torch.Tensor]  # DAISY's smoothed orientation maps, one (N, O, H, W) per ring
    semantic: list[torch.Tensor]  # (N, C_i, H/s_i, W/s_i)
    pooled: torch.Tensor  # (N, 1280)


class DeepColorModel(nn.Module):
    def __init__(self, config: DeepColorConfig):
        super().__init__()
        if config.patch % 2 != 1:
            raise ValueError(f"the L patch's side must be odd, not {config.patch}")
        self.config = config
        self.trunk = FeatureTrunk()
        width = config.hidden[0]
        channels = [EfficientNetLite0.feature_channels[i] for i in config.semantic_levels]
        # The first layer, one linear map per kind of feature; their sum (with patch_in's bias) is its output.
        self.patch_in = nn.Linear(config.patch**2, width)
        self.daisy_in = nn.Linear(daisy_channels(config.daisy_rings, config.daisy_histograms,
                                                 config.daisy_orientations), width, bias=False)
        self.semantic_in = nn.ModuleList(nn.Linear(c, width, bias=False) for c in channels)
        self.global_in = nn.Linear(EfficientNetLite0.global_channels, width, bias=False)
        layers: list[nn.Module] = []
        for cin, cout in zip(config.hidden, (*config.hidden[1:], 2)):
            layers += [nn.BatchNorm1d(cin), nn.ReLU(inplace=True), nn.Linear(cin, cout)]
        self.body = nn.Sequential(*layers)
        nn.init.zeros_(self.body[-1].weight)  # start from the gray answer, not random color
        nn.init.zeros_(self.body[-1].bias)

    @torch.no_grad()
    def features(self, lightness: torch.Tensor) -> PixelFeatures:
        features, pooled = self.trunk.encode(lightness)
        c = self.config
        smoothed = smoothed_maps(lightness / 100.0, c.daisy_radius, c.daisy_rings, c.daisy_orientations)
        return PixelFeatures(lightness / 50.0 - 1.0, smoothed, [features[i] for i in c.semantic_levels], pooled)

    def forward(self, lightness: torch.Tensor, at: tuple[torch.Tensor, torch.Tensor] | None = None) -> torch.Tensor:
        """``at`` = (rows, cols), int64 ``(N, P)``: ab ``(N, P, 2)`` at those pixels; without: ab ``(N, 2, H, W)``."""
        features = self.features(lightness)
        if at is None:
            return self.dense(features)
        n, p = at[0].shape
        hidden = self.first_layer_at(features, *at)
        return (self.body(hidden.reshape(n * p, -1)) * self.config.ab_scale).reshape(n, p, 2)

    def first_layer_at(self, f: PixelFeatures, rows: torch.Tensor, cols: torch.Tensor) -> torch.Tensor:
        """The first layer's output ``(N, P, width)`` at the given pixels."""
        n, _, h, w = f.light.shape
        r = self.config.patch // 2
        batch = torch.arange(n, device=rows.device)[:, None]
        offsets = torch.arange(2 * r + 1, device=rows.device)
        padded = F.pad(f.light, (r, r, r, r), mode="replicate")[:, 0]
        patches = padded[batch[..., None, None], rows[..., None, None] + offsets[:, None], cols[..., None, None] + offsets]
        x = self.patch_in(patches.flatten(2))  # (N, P, k·k), row-major like a conv kernel
        x = x + self.daisy_in(daisy_at(f.smoothed, rows, cols, self.config.daisy_radius, self.config.daisy_histograms))
        # Pixel centres in grid_sample's coordinates: the same points bilinear upsampling reads.
        grid = torch.stack([(cols + 0.5) / w * 2 - 1, (rows + 0.5) / h * 2 - 1], dim=-1)[:, None].to(f.light.dtype)
        for maps, layer in zip(f.semantic, self.semantic_in):
            projected = F.conv2d(maps, layer.weight[:, :, None, None])  # at the map's own resolution
            sampled = F.grid_sample(projected, grid, mode="bilinear", padding_mode="border", align_corners=False)
            x = x + sampled[:, :, 0].transpose(1, 2)
        return x + self.global_in(f.pooled)[:, None]

    def dense(self, f: PixelFeatures) -> torch.Tensor:
        """Every pixel at once: the first layer as convolutions, the rest per pixel."""
        size = f.light.shape[-2:]
        k, r = self.config.patch, self.config.patch // 2
        x = F.conv2d(F.pad(f.light, (r, r, r, r), mode="replicate"), self.patch_in.weight.view(-1, 1, k, k),
                     self.patch_in.bias)
        daisy = dense_daisy(f.smoothed, self.config.daisy_radius, self.config.daisy_histograms)
        x = x + F.conv2d(daisy, self.daisy_in.weight[:, :, None, None])
        for maps, layer in zip(f.semantic, self.semantic_in):
            projected = F.conv2d(maps, layer.weight[:, :, None, None])
            x = x + F.interpolate(projected, size=size, mode="bilinear", align_corners=False)
        x = x + self.global_in(f.pooled)[:, :, None, None]
        n, width, h, w = x.shape
        # The hidden layers are 1×1 convolutions; as one matrix product over all pixels (channels last)
        # they are the very modules training runs, and about twice as fast on a CPU.
        ab = self.body(x.permute(0, 2, 3, 1).reshape(n * h * w, width)) * self.config.ab_scale
        return ab.reshape(n, h, w, 2).permute(0, 3, 1, 2)


def predict_ab(model: DeepColorModel, lightness_small: np.ndarray) -> np.ndarray:
    """L* ``float32 (h, w)`` in 0..100, already at working size → ab ``float32 (h, w, 2)`` in Lab units."""
    param = next(model.parameters())
    x = torch.tensor(lightness_small, dtype=torch.float32)[None, None]  # a copy: the photo is read-only
    model.eval()
    with torch.no_grad():
        ab = model(x.to(device=param.device, dtype=param.dtype))
    return ab[0].permute(1, 2, 0).float().cpu().numpy().astype(np.float32)
