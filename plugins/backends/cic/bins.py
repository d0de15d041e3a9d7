"""The ab quantization of Zhang et al. 2016: grid-10 bins of the sRGB gamut, soft encoding, annealed mean.

Bins are the points of the 10-unit ab grid (multiples of 10) that lie within one
grid step of the sRGB gamut: a center (a, b) is kept when some sRGB color, at any
L* in 0..100, has a*b* within 10 of it in both a and b (Chebyshev distance ≤ 10,
i.e. the center's 20×20 neighbourhood touches the gamut's ab projection). That
gives **Q = 309** bins (the paper reports 313 with its own, unpublished test).
Keeping the ring just outside the gamut lets soft encodings and annealed means
reach the most saturated in-gamut colors. (Stricter tests give fewer: 229 centers
are themselves in gamut at some L*, 262 cells of side 10 contain an sRGB color.)
``reachable_centers(10.0, samples=1024, step=0.1)`` recomputes the set (2 s); it
is stored below as a constant so importing this module is instant.

Tensors: ab ``(N, 2, H, W)`` in Lab units; distributions and logits ``(N, Q, H, W)``.
"""

from __future__ import annotations

import numpy as np
import torch

REACH = 10.0  # a center is kept when an sRGB color's ab is within this (Chebyshev) of it
NEIGHBOURS = 5  # soft encoding: the nearest bins that share a pixel's mass
SIGMA = 5.0  # soft encoding: Gaussian width in ab units
DEFAULT_TEMPERATURE = 0.38  # the paper's annealed-mean temperature

# (a, lowest b, highest b) of the kept centers: for every a the kept b form one run.
_B_RUNS = (
    (-90, 50, 90), (-80, 20, 90), (-70, 0, 90), (-60, -20, 90), (-50, -30, 100),
    (-40, -40, 100), (-30, -50, 100), (-20, -50, 100), (-10, -60, 100), (0, -70, 100),
    (10, -80, 90), (20, -80, 90), (30, -90, 90), (40, -100, 80), (50, -100, 80),
    (60, -110, 80), (70, -110, 80), (80, -110, 70), (90, -110, 70), (100, -80, -20),
)
_CENTERS = np.array([(a, b) for a, lo, hi in _B_RUNS for b in range(lo, hi + 1, 10)], dtype=np.float32)
Q = len(_CENTERS)  # 309


def bin_centers() -> np.ndarray:
    """The bin centers, ``float32 (Q, 2)`` as (a, b), sorted by a then b."""
    return _CENTERS.copy()


def reachable_centers(reach: float = REACH, samples: int = 512, step: float = 0.25) -> np.ndarray:
    """Grid centers with an sRGB color whose ab is within ``reach`` (Chebyshev) of them, ``(K, 2)``.

    Samples the six faces of the RGB cube (``samples``² colors each: the ab
    projection of the gamut solid is that of its surface), marks the ab cells of
    size ``step`` they fall in, and asks of each center's box whether it holds a
    marked cell, with a summed-area table. Accurate to about ``step`` + sampling.
    """
    from plugins.color import srgb_to_lab

    t = np.linspace(0.0, 1.0, samples, dtype=np.float32)
    u, v = (x.ravel() for x in np.meshgrid(t, t, indexing="ij"))
    faces = []
    for channel in range(3):
        for value in (0.0, 1.0):
            face = np.empty((u.size, 3), np.float32)
            face[:, channel] = value
            face[:, [c for c in range(3) if c != channel]] = np.stack([u, v], axis=1)
            faces.append(face)
    ab = srgb_to_lab(np.concatenate(faces))[:, 1:]
    lo, n = -140.0, int(round(280.0 / step))
    cells = np.clip(np.floor((ab - lo) / step).astype(np.int64), 0, n - 1)
    occupied = np.zeros((n + 1, n + 1), np.int64)
    np.add.at(occupied, (cells[:, 0] + 1, cells[:, 1] + 1), 1)
    table = occupied.cumsum(0).cumsum(1)  # table[i, j] = marked cells with index < (i, j)
    grid = np.arange(-130, 131, 10, dtype=np.float32)
    centers = np.stack(np.meshgrid(grid, grid, indexing="ij"), axis=-1).reshape(-1, 2)
    first = np.clip(np.floor((centers - reach - lo) / step).astype(np.int64), 0, n)
    last = np.clip(np.floor((centers + reach - lo) / step).astype(np.int64) + 1, 0, n)
    (a0, b0), (a1, b1) = first.T, last.T
    count = table[a1, b1] - table[a0, b1] - table[a1, b0] + table[a0, b0]
    return centers[count > 0]


def _centers_like(x: torch.Tensor) -> torch.Tensor:
    return torch.from_numpy(_CENTERS).to(device=x.device, dtype=x.dtype)


def nearest_bins(ab: torch.Tensor, k: int = NEIGHBOURS) -> tuple[torch.Tensor, torch.Tensor]:
    """ab ``(N, 2, H, W)`` → indices ``int64 (N, k, H, W)`` of the k nearest bins (nearest first) and their distances."""
    n, _, h, w = ab.shape
    flat = ab.detach().float().permute(0, 2, 3, 1).reshape(-1, 2)
    dist = torch.cdist(flat, _centers_like(flat), compute_mode="donot_use_mm_for_euclid_dist")
    dist, index = dist.topk(k, dim=1, largest=False, sorted=True)
    shape = lambda x: x.reshape(n, h, w, k).permute(0, 3, 1, 2)  # noqa: E731
    return shape(index), shape(dist)


def soft_encode_sparse(ab: torch.Tensor, k: int = NEIGHBOURS, sigma: float = SIGMA) -> tuple[torch.Tensor, torch.Tensor]:
    """ab ``(N, 2, H, W)`` → (bin indices ``(N, k, H, W)``, weights ``(N, k, H, W)`` summing to 1 over k)."""
    index, dist = nearest_bins(ab, k)
    weight = torch.exp(-0.5 * (dist**2 - dist[:, :1] ** 2) / sigma**2)  # relative to the nearest: no underflow
    return index, weight / weight.sum(dim=1, keepdim=True)


def soft_encode(ab: torch.Tensor, k: int = NEIGHBOURS, sigma: float = SIGMA) -> torch.Tensor:
    """ab ``(N, 2, H, W)`` → target distribution ``float32 (N, Q, H, W)``: k nearest bins, Gaussian weights."""
    index, weight = soft_encode_sparse(ab, k, sigma)
    n, _, h, w = ab.shape
    return torch.zeros(n, Q, h, w, dtype=weight.dtype, device=weight.device).scatter_(1, index, weight)


def expected_ab(probs: torch.Tensor) -> torch.Tensor:
    """A distribution over bins ``(N, Q, H, W)`` → its mean ab ``(N, 2, H, W)``."""
    return torch.einsum("nqhw,qc->nchw", probs, _centers_like(probs))


def annealed_mean(logits: torch.Tensor, temperature: float = DEFAULT_TEMPERATURE) -> torch.Tensor:
    """Logits ``(N, Q, H, W)`` → ab ``(N, 2, H, W)``: the mean of softmax(logits / T), i.e. of p^(1/T) renormalized.

    T = 1 is the distribution's mean (desaturated where the model is unsure), T → 0
    its mode (vivid but patchy); the paper's 0.38 sits between.
    """
    return expected_ab(torch.softmax(logits.float() / max(temperature, 1e-4), dim=1))
