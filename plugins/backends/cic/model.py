"""CIC model: L float32 (N,1,H,W) in 0..100 → logits float32 (N,Q,H/s,W/s) over the ab bins.

The shared trunk (EfficientNet-Lite0 encoder, U-Net/fusion decoder; see
:mod:`plugins.backends.common`) with a Q-way classification head at ``out_stride``
s. The logits stay at that resolution: training compares them with the
area-downsampled target there, and decoding (:mod:`.bins`, :mod:`.sampling`)
turns them into ab first and upsamples only the 2-channel result.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from plugins.backends.cic.bins import Q
from plugins.backends.common.config import ModelConfig
from plugins.backends.common.trunk import ColorTrunk


@dataclass
class CICConfig(ModelConfig):
    widths: tuple[int, ...] = (256, 192, 128, 64, 32)  # decoder channels at strides 32, 16, 8, 4, 2
    fusion_channels: int = 256  # width of the projected global feature fused at stride 32
    out_stride: int = 4  # resolution of the logits (1/4 of the input); decoded ab is upsampled after
    bins: int = Q  # classes of the head: the in-gamut ab bins of plugins.backends.cic.bins
    finetune_from: int = 5  # encoder blocks from this index on are trained (5: strides 16 and 32); -1 freezes it
    working_size: int = 256  # short side, in px, the model is meant to see at inference


class CICModel(nn.Module):
    def __init__(self, config: CICConfig):
        super().__init__()
        if config.bins != Q:
            raise ValueError(f"this CIC model predicts {config.bins} bins; this version of Tinct quantizes ab into {Q}")
        self.config = config
        self.trunk = ColorTrunk(
            out_channels=config.bins,
            widths=config.widths,
            fusion_channels=config.fusion_channels,
            out_stride=config.out_stride,
            finetune_from=config.finetune_from,
        )
        # The class-rebalancing weights the model was trained with. The rebalanced loss makes the model
        # predict q ∝ w·p, so logits − log w recover the plain posterior p (plugins.backends.common.rebalance).
        self.register_buffer("class_weights", torch.ones(config.bins))
        self._register_load_state_dict_pre_hook(_weights_of_older_files)

    def forward(self, lightness: torch.Tensor) -> torch.Tensor:
        return self.trunk(lightness)


def _weights_of_older_files(state, prefix, *args) -> None:
    """Weights exported before the rebalancing weights were kept load as 'no rebalancing known' (all ones)."""
    state.setdefault(prefix + "class_weights", torch.ones(Q))


def predict_logits(model: CICModel, lightness_small: np.ndarray) -> torch.Tensor:
    """L* ``float32 (h, w)`` in 0..100, already at working size → logits ``float32 (1, Q, h/s, w/s)`` on the CPU.

    The logits come back on the CPU in float32 whatever the model's device and
    dtype, so that seeded sampling gives the same samples on every device.
    """
    param = next(model.parameters())
    x = torch.tensor(lightness_small, dtype=torch.float32)[None, None]  # a copy: the photo is read-only
    model.eval()
    with torch.no_grad():
        logits = model(x.to(device=param.device, dtype=param.dtype))
    return logits.float().cpu()


def upsample_ab(ab: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """ab ``(N, 2, h, w)`` → ``(N, 2, *size)``, bilinear."""
    if tuple(ab.shape[-2:]) == tuple(size):
        return ab
    return F.interpolate(ab, size=tuple(size), mode="bilinear", align_corners=False)
