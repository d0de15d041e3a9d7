"""The ``palette`` backend's k-means palette and its training loss.

    python -m training prior --palette 24 --data ../shared/data/train ../shared/data/train-extra \\
        --out runs/palette24.npz

Every pixel of the photos (scaled to a short side of ``--size`` px) is counted on
the 1-unit ab grid of :func:`training.prior.ab_histogram`; k-means (Lloyd's
iterations from a k-means++ start, seeded) then runs on the grid cells weighted
by their counts, which is k-means over all the pixels to within half an ab unit,
at the cost of a few thousand points instead of millions.

The ``.npz`` holds ``palette`` ``(K, 2)`` (ab, Lab units, most frequent color
first), ``shares`` ``(K,)`` (the fraction of pixels nearest each color) and
``photos``. Training copies both into the model's buffers, so the shipped
weights carry the palette.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from training.prior import GRID_LO, GRID_N

MAX_ITERATIONS = 300


def weighted_kmeans(points: np.ndarray, weights: np.ndarray, k: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """k-means of ``points`` ``(M, 2)`` with ``weights`` ``(M,)`` → (centers ``(k, 2)``, the weight share of each).

    A k-means++ start (each next center drawn with probability ∝ weight × squared
    distance to the nearest center so far), then Lloyd's iterations until no
    point changes cluster. A cluster left empty restarts at the point that costs most."""
    if len(points) < k:
        raise ValueError(f"{len(points)} distinct colors cannot make a palette of {k}")
    rng = np.random.default_rng(seed)
    points, weights = points.astype(np.float64), weights.astype(np.float64)
    centers = [points[rng.choice(len(points), p=weights / weights.sum())]]
    nearest = ((points - centers[0]) ** 2).sum(1)
    for _ in range(1, k):
        cost = weights * nearest
        centers.append(points[rng.choice(len(points), p=cost / cost.sum())])
        nearest = np.minimum(nearest, ((points - centers[-1]) ** 2).sum(1))
    centers = np.stack(centers)
    labels = None
    for _ in range(MAX_ITERATIONS):
        dist = ((points[:, None] - centers[None]) ** 2).sum(-1)
        new = dist.argmin(1)
        if labels is not None and np.array_equal(new, labels):
            break
        labels = new
        mass = np.bincount(labels, weights, minlength=k)
        for axis in range(2):
            sums = np.bincount(labels, weights * points[:, axis], minlength=k)
            centers[:, axis] = np.where(mass > 0, sums / np.maximum(mass, 1e-12), centers[:, axis])
        for empty in np.flatnonzero(mass == 0):
            worst = (weights * dist[np.arange(len(points)), labels]).argmax()
            centers[empty] = points[worst]
    dist = ((points[:, None] - centers[None]) ** 2).sum(-1)
    shares = np.bincount(dist.argmin(1), weights, minlength=k) / weights.sum()
    return centers, shares


def palette_from_histogram(hist: np.ndarray, k: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Fine-grid counts ``(256, 256)`` → (palette ``float32 (k, 2)``, shares ``float32 (k,)``), most frequent first."""
    a, b = np.nonzero(hist)
    points = np.stack([a, b], axis=1) + (GRID_LO + 0.5)  # each cell's center in ab
    centers, shares = weighted_kmeans(points, hist[a, b], k, seed)
    order = np.argsort(-shares, kind="stable")
    return centers[order].astype(np.float32), shares[order].astype(np.float32)


def compute_palette(data, k: int, size: int = 128, limit: int = 0, progress: bool = False) -> dict:
    from training.data import find_images
    from training.prior import ab_histogram

    files = find_images(data)
    if limit:
        files = files[:limit]
    hist, used = ab_histogram(files, size, progress)
    if not used:
        raise SystemExit(f"error: no readable photos under {data}")
    palette, shares = palette_from_histogram(hist, k)
    return {"palette": palette, "shares": shares, "photos": used}


def save_palette(path, palette: dict) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:  # a file object: np.savez would append .npz to a path
        np.savez(f, **palette)


def load_palette(path) -> dict:
    """The saved palette; a clear error for a file that is not one (e.g. cic's prior)."""
    try:
        with np.load(path) as z:
            saved = {k: z[k] for k in z.files}
    except (OSError, ValueError) as error:
        raise SystemExit(f"error: cannot read the palette {path}: {error}") from error
    if "palette" not in saved or saved["palette"].ndim != 2 or saved["palette"].shape[1] != 2:
        raise SystemExit(f"error: {path} is not a palette (make one with `python -m training prior --palette K`)")
    return saved


def class_weights(shares: np.ndarray, rebalance: float) -> np.ndarray:
    """Per-color loss weights w ∝ (r·p + (1 - r)/K)⁻¹ with Σ p·w = 1: ``rebalance`` r = 0 weighs every
    pixel alike (the report's plain cross-entropy), 0.5 is cic's rebalancing, 1 the inverse frequency."""
    if not 0.0 <= rebalance <= 1.0:
        raise SystemExit(f"error: --rebalance is a strength from 0 to 1, not {rebalance}")
    p = np.asarray(shares, dtype=np.float64)
    p = p / p.sum()  # shares read back from fp16 weights are a little off
    weights = 1.0 / (rebalance * p + (1.0 - rebalance) / len(p) + 1e-12)
    return (weights / (p * weights).sum()).astype(np.float32)


def nearest_color(ab: torch.Tensor, palette: torch.Tensor) -> torch.Tensor:
    """ab ``(N, 2, H, W)`` → the index ``int64 (N, H, W)`` of each pixel's nearest palette color."""
    flat = ab.detach().float().permute(0, 2, 3, 1).reshape(-1, 2)
    index = torch.cdist(flat, palette.to(flat), compute_mode="donot_use_mm_for_euclid_dist").argmin(1)
    return index.reshape(ab.shape[0], *ab.shape[2:])


def palette_cross_entropy(logits: torch.Tensor, ab: torch.Tensor, palette: torch.Tensor,
                          weights: torch.Tensor | None = None) -> torch.Tensor:
    """The cross-entropy of ``logits`` ``(N, K, h, w)`` against each full-resolution pixel's nearest
    palette color: a logit cell's target is the share of its pixels nearest each color (the one-hot
    labels area-downsampled), each pixel weighted by its color's ``weights`` ``(K,)`` if given."""
    k = logits.shape[1]
    labels = nearest_color(ab, palette)
    one_hot = F.one_hot(labels, k).permute(0, 3, 1, 2).float()
    if weights is not None:
        one_hot = one_hot * weights.to(one_hot)[None, :, None, None]
    target = F.interpolate(one_hot, size=logits.shape[-2:], mode="area")
    return -(target * torch.log_softmax(logits.float(), dim=1)).sum(dim=1).mean()
