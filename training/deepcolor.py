"""Training the ``deepcolor`` backend on pixels: each step samples pixels of the batch's photos.

Cheng et al. train their network on pixel samples, not whole photos. Here each
step still reads a batch of photo crops (the DataLoader's), computes their feature
maps once (the frozen encoder, DAISY, the L patches: no gradients), then draws
``--pixels`` pixels per photo uniformly at random (from torch's global generator,
which the checkpoints save, so a resumed run draws the same pixels) and trains the
per-pixel network on those only.
"""

from __future__ import annotations

import torch


def sample_pixels(n: int, h: int, w: int, count: int,
                  device: torch.device | str = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
    """``count`` distinct pixels of each of ``n`` photos of ``h``×``w``: (rows, cols), int64 ``(n, count)``.

    Distinct within a photo (a random permutation's first ``count``); all of them when ``count`` ≥ h·w."""
    count = min(count, h * w)
    index = torch.rand(n, h * w).argsort(dim=1)[:, :count].to(device)
    return index // w, index % w


def ab_at(ab: torch.Tensor, rows: torch.Tensor, cols: torch.Tensor) -> torch.Tensor:
    """ab ``(N, 2, H, W)`` → ab ``(N, P, 2)`` at the pixels (rows, cols) ``(N, P)``."""
    batch = torch.arange(ab.shape[0], device=ab.device)[:, None]
    return ab.permute(0, 2, 3, 1)[batch, rows, cols]
