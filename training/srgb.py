"""Lab → sRGB in torch, differentiable, for losses and teachers that look at the photo a user would see."""

from __future__ import annotations

import torch


def lab_to_srgb(lightness: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:
    """L ``(N, 1, H, W)`` and ab ``(N, 2, H, W)`` → sRGB ``(N, 3, H, W)`` in 0..1 (D65, clipped), in torch."""
    fy = (lightness + 16.0) / 116.0
    f = torch.cat([fy + ab[:, :1] / 500.0, fy, fy - ab[:, 1:] / 200.0], dim=1)
    xyz = torch.where(f > 6 / 29, f**3, 3 * (6 / 29) ** 2 * (f - 4 / 29))
    xyz = xyz * torch.tensor([0.95047, 1.0, 1.08883], device=f.device, dtype=f.dtype).view(1, 3, 1, 1)
    m = torch.tensor([[3.2404542, -1.5371385, -0.4985314], [-0.9692660, 1.8760108, 0.0415560],
                      [0.0556434, -0.2040259, 1.0572252]], device=f.device, dtype=f.dtype)
    linear = torch.einsum("ij,njhw->nihw", m, xyz).clamp(0, 1)
    return torch.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear.clamp_min(1e-8) ** (1 / 2.4) - 0.055)
