"""Class-rebalancing weights for the ``cic`` backend, from a folder of color photos.

    python -m training prior --data /work/shared/data/train --out runs/cic-prior.npz

(``--palette K`` computes the ``palette`` backend's k-means palette instead: :mod:`training.palette`.)

Zhang et al. 2016, eq. 4: the empirical distribution p of ab over the Q bins of
:mod:`plugins.backends.cic.bins` is counted over every pixel of the photos
(scaled to a short side of ``--size`` px: plenty for color statistics) on a
1-unit ab grid, smoothed there with a Gaussian of σ = 5 ab units, and read off
at the bins by giving each grid cell's mass to its nearest bin. Then
w ∝ ((1 - λ) p + λ / Q)⁻¹ with λ = 0.5, normalized so that Σ_q p_q w_q = 1.

The ``.npz`` holds ``probs`` ``(Q,)``, ``weights`` ``(Q,)``, ``centers`` ``(Q, 2)``
(to check it matches this version's bins), ``photos``, ``sigma`` and ``lam``.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import cv2
import numpy as np
from PIL import Image
from tqdm import tqdm

from plugins.backends.cic.bins import Q, bin_centers
from plugins.color import fit_short_side, srgb_to_lab
from training.data import find_images

log = logging.getLogger(__name__)
GRID_LO, GRID_N = -128, 256  # the fine ab grid: 1-unit cells [-128, 128) in a and in b
SIGMA, LAM = 5.0, 0.5


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", required=True, nargs="+", help="folders of color photos (searched recursively)")
    p.add_argument("--out", required=True, help="the .npz to write")
    p.add_argument("--palette", type=int, metavar="K",
                   help="instead: the palette backend's K colors, by k-means of the photos' ab (training/palette.py)")
    p.add_argument("--size", type=int, default=128, help="short side photos are scaled to before counting")
    p.add_argument("--limit", type=int, default=0, help="use only the first N photos (0: all)")
    p.add_argument("--no-progress", action="store_true")


def load_small(path: Path, size: int) -> np.ndarray:
    """sRGB ``float32 (h, w, 3)`` in 0..1 with short side ``size`` (JPEGs decoded at reduced scale)."""
    with Image.open(path) as im:
        im.draft("RGB", (size, size))
        rgb = np.asarray(im.convert("RGB"), dtype=np.float32) / 255.0
    return fit_short_side(rgb, size) if min(rgb.shape[:2]) > size else rgb


def ab_histogram(files: list[Path], size: int = 128, progress: bool = False) -> tuple[np.ndarray, int]:
    """Pixel counts on the fine ab grid, ``float64 (256, 256)`` indexed [a + 128, b + 128]; and photos used."""
    hist, used = np.zeros(GRID_N * GRID_N, np.float64), 0
    for path in tqdm(files, disable=not progress, desc="counting colors", mininterval=2):
        try:
            ab = srgb_to_lab(load_small(path, size))[..., 1:].reshape(-1, 2)
        except Exception as exc:  # noqa: BLE001 - an unreadable photo is skipped, like in training
            log.warning("skipping %s: %s", path, exc)
            continue
        cells = np.clip(np.floor(ab).astype(np.int64) - GRID_LO, 0, GRID_N - 1)
        hist += np.bincount(cells[:, 0] * GRID_N + cells[:, 1], minlength=GRID_N * GRID_N)
        used += 1
    return hist.reshape(GRID_N, GRID_N), used


def nearest_bin_of_cells() -> np.ndarray:
    """``int64 (256, 256)``: the bin nearest to each fine grid cell's center."""
    mid = np.arange(GRID_LO, GRID_LO + GRID_N, dtype=np.float32) + 0.5
    centers = bin_centers()
    rows = [((np.stack([np.full_like(mid, a), mid], -1)[:, None] - centers) ** 2).sum(-1).argmin(1) for a in mid]
    return np.stack(rows)


def prior_from_histogram(hist: np.ndarray, sigma: float = SIGMA, lam: float = LAM) -> tuple[np.ndarray, np.ndarray]:
    """Fine-grid counts ``(256, 256)`` → (smoothed bin probabilities p ``(Q,)``, weights w ``(Q,)``, Σ p w = 1)."""
    smooth = cv2.GaussianBlur(hist.astype(np.float64), (0, 0), sigmaX=sigma, sigmaY=sigma, borderType=cv2.BORDER_CONSTANT)
    probs = np.bincount(nearest_bin_of_cells().ravel(), weights=smooth.ravel(), minlength=Q)
    probs = probs / probs.sum()
    weights = 1.0 / ((1.0 - lam) * probs + lam / Q)
    weights = weights / (probs * weights).sum()
    return probs.astype(np.float32), weights.astype(np.float32)


def compute_prior(data, size: int = 128, limit: int = 0, progress: bool = False) -> dict:
    files = find_images(data)
    if limit:
        files = files[:limit]
    hist, used = ab_histogram(files, size, progress)
    if not used:
        raise SystemExit(f"error: no readable photos under {data}")
    probs, weights = prior_from_histogram(hist)
    return {"probs": probs, "weights": weights, "centers": bin_centers(), "photos": used, "sigma": SIGMA, "lam": LAM}


def save_prior(path, prior: dict) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:  # a file object: np.savez would append .npz to a path
        np.savez(f, **prior)


def load_prior(path) -> dict:
    """The saved prior; refuses one made for other bins."""
    with np.load(path) as z:
        prior = {k: z[k] for k in z.files}
    if prior["centers"].shape != (Q, 2) or not np.array_equal(prior["centers"], bin_centers()):
        raise SystemExit(f"error: {path} was computed for other ab bins than this version's {Q}")
    return prior


def main(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.palette is not None:
        return palette_main(args)
    prior = compute_prior(args.data, args.size, args.limit, progress=not args.no_progress)
    save_prior(args.out, prior)
    p, w = prior["probs"], prior["weights"]
    print(f"{prior['photos']} photos → {args.out}: {int((p > 0).sum())} of {Q} bins seen, "
          f"weights {w.min():.3g}..{w.max():.3g} (Σ p·w = {(p * w).sum():.4f})")
    return 0


def palette_main(args: argparse.Namespace) -> int:
    from training.palette import compute_palette, save_palette

    if args.palette < 2:
        raise SystemExit(f"error: --palette needs at least 2 colors, not {args.palette}")
    palette = compute_palette(args.data, args.palette, args.size, args.limit, progress=not args.no_progress)
    save_palette(args.out, palette)
    colors = ", ".join(f"({a:.0f}, {b:.0f}) {100 * s:.1f} %" for (a, b), s in zip(palette["palette"], palette["shares"]))
    print(f"{palette['photos']} photos → {args.out}: {args.palette} colors (ab, share of pixels): {colors}")
    return 0
