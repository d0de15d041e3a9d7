"""Separable Gaussian blur of torch maps, shared by training losses and the guided backend's hint fields."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def gaussian_blur(x: torch.Tensor, sigma: float, padding: str = "reflect") -> torch.Tensor:
    """Per-channel Gaussian blur of ``x`` ``(N, C, H, W)``, kernel radius 2σ; ``padding`` "reflect"
    or "zeros" (beyond the map there is nothing, e.g. no hints)."""
    radius = math.ceil(2 * sigma)
    t = torch.arange(-radius, radius + 1, dtype=x.dtype, device=x.device)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    k = k / k.sum()
    c = x.shape[1]
    if padding == "reflect":
        x = F.pad(x, (radius, radius, radius, radius), mode="reflect")
        pad_w = pad_h = (0, 0)
    elif padding == "zeros":
        pad_w, pad_h = (0, radius), (radius, 0)
    else:
        raise ValueError(f"padding is 'reflect' or 'zeros', not {padding!r}")
    x = F.conv2d(x, k.view(1, 1, 1, -1).expand(c, 1, 1, -1), padding=pad_w, groups=c)
    return F.conv2d(x, k.view(1, 1, -1, 1).expand(c, 1, -1, 1), padding=pad_h, groups=c)
