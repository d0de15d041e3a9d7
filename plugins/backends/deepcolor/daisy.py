"""Dense DAISY descriptors (Tola, Lepetit and Fua 2010) of a lightness map, as torch maps.

At every pixel: ``orientations`` maps of the positive part of the directional
derivative, ``G_o = max(0, ∂L/∂x cos θ_o + ∂L/∂y sin θ_o)`` with θ_o = 2πo/O
(x to the right, y down), each smoothed by a Gaussian; the descriptor is the
histogram (the O smoothed values) at the pixel itself and at ``histograms`` points
on each of ``rings`` circles around it, ring i at radius R(i+1)/rings, smoothed
with σ_i = R(i+1)/(2·rings) (the centre with σ_0), as in Tola et al. Each
histogram is scaled to unit length, softly: ``h / sqrt(|h|² + floor²)``, so flat
regions keep small histograms instead of amplified noise.

Written in torch rather than with OpenCV or ``skimage.feature.daisy`` because it is
part of the model's forward pass: it runs batched on the model's device, for the
training crops as for the photo at working size. At inference every pixel's
descriptor comes out at once as ``(N, D, H, W)`` maps (D = (1 + rings·histograms)·O,
:func:`daisy_map`), which the per-pixel network's first layer reads as a 1×1
convolution; training reads the smoothed maps at its sampled pixels only
(:func:`daisy_at`), which is the same numbers without building D full-size maps.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from plugins.backends.cic.sampling import blur

FLOOR = 0.005  # |h| below which a histogram is shrunk rather than normalized; L/100 per px


def daisy_channels(rings: int, histograms: int, orientations: int) -> int:
    return (1 + rings * histograms) * orientations


def orientation_maps(image: torch.Tensor, orientations: int) -> torch.Tensor:
    """``(N, 1, H, W)`` → ``(N, O, H, W)``: the positive part of the derivative along each orientation
    (central differences, replicate-padded)."""
    padded = F.pad(image, (1, 1, 1, 1), mode="replicate")
    gx = (padded[..., 1:-1, 2:] - padded[..., 1:-1, :-2]) / 2
    gy = (padded[..., 2:, 1:-1] - padded[..., :-2, 1:-1]) / 2
    angles = torch.arange(orientations, dtype=image.dtype, device=image.device) * (2 * math.pi / orientations)
    return torch.relu(gx * angles.cos()[:, None, None] + gy * angles.sin()[:, None, None])


def sample_points(radius: int, rings: int, histograms: int) -> list[tuple[int, int, int]]:
    """``(ring, dy, dx)`` of each histogram: the centre (ring 0's smoothing, no offset), then ring by
    ring the points at angles 2πt/T from +x toward +y (clockwise on screen), rounded to whole pixels."""
    points = [(0, 0, 0)]
    for ring in range(rings):
        r = radius * (ring + 1) / rings
        for t in range(histograms):
            phi = 2 * math.pi * t / histograms
            points.append((ring, round(r * math.sin(phi)), round(r * math.cos(phi))))
    return points


def smoothed_maps(image: torch.Tensor, radius: int = 12, rings: int = 2, orientations: int = 8) -> list[torch.Tensor]:
    """``image`` ``(N, 1, H, W)`` (L / 100) → each ring's smoothed orientation maps ``(N, O, H, W)``, innermost first."""
    gradients = orientation_maps(image, orientations)
    return [blur(gradients, radius * (ring + 1) / (2 * rings)) for ring in range(rings)]


def _normalize(hists: torch.Tensor, dim: int) -> torch.Tensor:
    return hists / torch.sqrt(hists.square().sum(dim=dim, keepdim=True) + FLOOR**2)


def daisy_map(image: torch.Tensor, radius: int = 12, rings: int = 2, histograms: int = 8,
              orientations: int = 8) -> torch.Tensor:
    """``image`` ``(N, 1, H, W)`` (L / 100) → DAISY descriptors ``(N, D, H, W)``: histogram j's
    orientation o is channel ``j·O + o``, histograms in :func:`sample_points` order."""
    return dense_daisy(smoothed_maps(image, radius, rings, orientations), radius, histograms)


def dense_daisy(smoothed: list[torch.Tensor], radius: int = 12, histograms: int = 8) -> torch.Tensor:
    """:func:`daisy_map` from :func:`smoothed_maps`' output."""
    h, w = smoothed[0].shape[-2:]
    padded = [F.pad(s, (radius, radius, radius, radius), mode="replicate") for s in smoothed]
    hists = torch.stack([padded[ring][..., radius + dy : radius + dy + h, radius + dx : radius + dx + w]
                         for ring, dy, dx in sample_points(radius, len(smoothed), histograms)], dim=1)  # (N, P, O, H, W)
    return _normalize(hists, dim=2).flatten(1, 2)


def daisy_at(smoothed: list[torch.Tensor], rows: torch.Tensor, cols: torch.Tensor, radius: int = 12,
             histograms: int = 8) -> torch.Tensor:
    """The descriptors of :func:`daisy_map` at the pixels (rows, cols) ``(N, P)`` only: ``(N, P, D)``.

    ``smoothed`` is :func:`smoothed_maps`' output. Training needs a few pixels per photo, and
    building every pixel's descriptor would cost D maps of the photo's size."""
    n, orientations, h, w = smoothed[0].shape
    batch = torch.arange(n, device=rows.device)[:, None]
    hists = [smoothed[ring].permute(0, 2, 3, 1)[batch, (rows + dy).clamp(0, h - 1), (cols + dx).clamp(0, w - 1)]
             for ring, dy, dx in sample_points(radius, len(smoothed), histograms)]  # replicate padding
    return _normalize(torch.stack(hists, dim=2), dim=3).flatten(2)  # (N, P, points, O) → (N, P, D)
