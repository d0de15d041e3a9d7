"""Ring-shaped seams in smooth skies: the ``palette`` backend's top-3 average vs its argmax.

The University of Toronto report notes rings where a smooth sky crosses from one palette
color's cell to the next. This bench picks photos with a large smooth sky from ``val-extra``
and ``val`` (never ``test``), colorizes each as ``python -m training eval`` does (short side
256, 256×256 center crop, the host's ``colorize_lightness``, sample 1, seed 0) with
``top_colors`` 1 (the argmax) and 3 (the default), each with ``smoothing`` 0 and 0.5 (the
default), and measures inside the sky mask (the top third's pixels with b* < −5 and a low L
gradient, eroded by 3 px; a photo counts when it covers 25 % of it):

* **Laplacian**: the mean magnitude of the (slightly blurred) ab Laplacian: a ramp scores 0, a seam does not;
* **seams**: the share of pixel pairs :data:`SEAM_STEP` px apart (horizontal and vertical)
  whose ab differs by more than :data:`SEAM_AB` while L differs by less than :data:`SEAM_L`:
  a color contour that the photo's lightness does not explain. The step is the model's
  output stride, since its seams are bilinear ramps that wide; **hard seams** the same with
  Δab > :data:`HARD_SEAM_AB`;

and the same on the true photo as the reference, plus PSNR on the whole photo.

    nice -n 10 .venv/bin/python bench/palette_rings.py [--limit 40] [--strip /work/runs/palette-rings.jpg]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # idle OpenMP threads sleep on a shared machine; before torch

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from plugins.color import srgb_to_lab  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
FOLDERS = ("val-extra", "val")
SKY_ROWS = 1 / 3  # the sky is looked for in the top third of the photo
SMOOTH_GRADIENT = 1.0  # L units per px (Sobel of the photo's L blurred with σ = 1) below which L is smooth
SKY_B = -5.0  # b* below which a pixel is blue enough to be sky (bright-L alone let in white studio backdrops)
MIN_COVER = 0.25  # the mask's share of the whole photo (3/4 of the top third) for it to count as a sky photo
ERODE = 3  # px the mask keeps away from L's edges and other colors
LAPLACIAN_SIGMA = 1.5
SEAM_STEP = 4  # px between the compared pixels: the palette model's output stride
SEAM_AB = 3.0
HARD_SEAM_AB = 6.0  # a hard contour, as the report's rings
SEAM_L = 1.0
VARIANTS = ((1, 0.0), (3, 0.0), (1, 0.5), (3, 0.5))  # (top_colors, smoothing)


def sky_mask(lab: np.ndarray) -> np.ndarray:
    """Lab ``(H, W, 3)`` → bool ``(H, W)``: smooth, blue pixels of the top third, eroded by :data:`ERODE`."""
    lightness, b = lab[..., 0], lab[..., 2]
    blurred = cv2.GaussianBlur(lightness, (0, 0), 1.0)
    gradient = np.hypot(cv2.Sobel(blurred, cv2.CV_32F, 1, 0, ksize=3), cv2.Sobel(blurred, cv2.CV_32F, 0, 1, ksize=3)) / 8.0
    mask = (gradient < SMOOTH_GRADIENT) & (b < SKY_B)
    mask[round(lab.shape[0] * SKY_ROWS):] = False
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (2 * ERODE + 1, 2 * ERODE + 1))
    return cv2.erode(mask.astype(np.uint8), kernel).astype(bool)


def laplacian_magnitude(ab: np.ndarray, mask: np.ndarray) -> float:
    """Mean |∇²ab| (the two channels' Laplacians as a vector, of ab blurred with σ = :data:`LAPLACIAN_SIGMA`
    so that 8-bit and JPEG noise does not drown the seams) over ``mask``."""
    ab = cv2.GaussianBlur(np.ascontiguousarray(ab, dtype=np.float32), (0, 0), LAPLACIAN_SIGMA)
    lap = np.stack([cv2.Laplacian(np.ascontiguousarray(ab[..., c]), cv2.CV_32F) for c in (0, 1)], -1)
    return float(np.linalg.norm(lap, axis=-1)[mask].mean())


def seam_fraction(lightness: np.ndarray, ab: np.ndarray, mask: np.ndarray, step: int = SEAM_STEP,
                  jump_ab: float = SEAM_AB) -> float:
    """Share of pixel pairs ``step`` px apart, both in ``mask``, whose ab differs by more than
    ``jump_ab`` while L differs by less than :data:`SEAM_L`."""
    seams = pairs = 0
    for axis in (0, 1):
        near = [slice(None), slice(None)]
        far = [slice(None), slice(None)]
        near[axis], far[axis] = slice(None, -step), slice(step, None)
        near, far = tuple(near), tuple(far)
        both = mask[near] & mask[far]
        jump = np.linalg.norm(ab[far] - ab[near], axis=-1) > jump_ab
        flat = np.abs(lightness[far] - lightness[near]) < SEAM_L
        seams += int((both & jump & flat).sum())
        pairs += int(both.sum())
    return seams / pairs if pairs else 0.0


def sky_photos(limit: int) -> list[tuple[Path, np.ndarray, np.ndarray]]:
    """Up to ``limit`` (path, truth uint8 256×256, mask) of photos with a large smooth sky, in folder then name order."""
    from training.evaluate import load_eval_image, photo_paths

    found = []
    for folder in FOLDERS:
        for path in photo_paths(DATA / folder):
            truth = load_eval_image(path)
            mask = sky_mask(srgb_to_lab(truth / 255.0))
            if mask.mean() >= MIN_COVER:
                found.append((path, truth, mask))
                if len(found) == limit:
                    return found
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=40, help="at most this many sky photos")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--strip", type=Path, help="save gray | top-1 | top-3 | truth (smoothing 0) of the photo with most top-1 seams here (JPEG)")
    args = parser.parse_args()

    import torch
    from PIL import Image

    from plugins.color import srgb_to_lightness
    from plugins.host import PluginHost, build_options
    from plugins.host.pipeline import MergedSample, colorize_lightness
    from training import quality
    from training.evaluate import grayscale_of, to_uint8

    torch.set_num_threads(args.threads)
    photos = sky_photos(args.limit)
    if not photos:
        print(f"error: no photo with a smooth sky covering {MIN_COVER:.0%} of it under {DATA}", file=sys.stderr)
        return 2
    cover = np.mean([m.mean() for _, _, m in photos])
    print(f"{len(photos)} sky photos from {' + '.join(FOLDERS)} (sky mask: {cover:.0%} of the photo on average, at most {SKY_ROWS:.0%})")

    host = PluginHost.discover()
    backend = host.loaded("palette", "cpu")
    rows, results = [], {}
    for top, smoothing in VARIANTS:
        options, _ = build_options(backend.info, device=backend.device, samples=1, seed=0,
                                   params={"top_colors": top, "smoothing": smoothing})
        lap, seam, hard, psnr = [], [], [], []
        for number, (_, truth, mask) in enumerate(photos):
            lightness = srgb_to_lightness(truth / 255.0)
            merged = next(e for e in colorize_lightness(backend, lightness, options) if isinstance(e, MergedSample))
            result = to_uint8(merged.rgb)
            lab = srgb_to_lab(result / 255.0)
            lap.append(laplacian_magnitude(lab[..., 1:], mask))
            seam.append(seam_fraction(lab[..., 0], lab[..., 1:], mask))
            hard.append(seam_fraction(lab[..., 0], lab[..., 1:], mask, jump_ab=HARD_SEAM_AB))
            psnr.append(quality.psnr(result, truth))
            results[top, smoothing, number] = (result, seam[-1])
        rows.append((f"top-{top}, smoothing {smoothing}", lap, seam, hard, psnr))
    truth_lab = [srgb_to_lab(t / 255.0) for _, t, _ in photos]
    rows.append(("ground truth", [laplacian_magnitude(lab[..., 1:], m) for lab, (_, _, m) in zip(truth_lab, photos)],
                 [seam_fraction(lab[..., 0], lab[..., 1:], m) for lab, (_, _, m) in zip(truth_lab, photos)],
                 [seam_fraction(lab[..., 0], lab[..., 1:], m, jump_ab=HARD_SEAM_AB) for lab, (_, _, m) in zip(truth_lab, photos)],
                 None))

    print(f"\n| | ab Laplacian in the sky (mean) | seams in the sky (pairs {SEAM_STEP} px apart, Δab > {SEAM_AB:g}, "
          f"ΔL < {SEAM_L:g}) | photos with seams > 1 % | hard seams (Δab > {HARD_SEAM_AB:g}) | PSNR dB (whole photo) |")
    print("|---|---|---|---|---|---|")
    for name, lap, seam, hard, psnr in rows:
        share = sum(s > 0.01 for s in seam)
        print(f"| {name} | {np.mean(lap):.3f} | {100 * np.mean(seam):.2f} % | {share} of {len(seam)} | {100 * np.mean(hard):.2f} % | "
              + (f"{np.mean(psnr):.2f} |" if psnr else "|"))

    if args.strip:
        number = max(range(len(photos)), key=lambda n: results[1, 0.0, n][1])
        path, truth, mask = photos[number]
        top1, top3 = results[1, 0.0, number][0], results[3, 0.0, number][0]
        strip = np.concatenate([grayscale_of(truth), top1, top3, truth], axis=1)
        Image.fromarray(strip).save(args.strip, quality=85)
        print(f"\nstrip (gray | top-1 | top-3 | truth, smoothing 0) of {path.name}: {args.strip}; "
              f"seams there {100 * results[1, 0.0, number][1]:.1f} % vs {100 * results[3, 0.0, number][1]:.1f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
