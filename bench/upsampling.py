"""Color bleeding at edges: guided vs bilinear upsampling of ab, and 12 MP merge time.

For each bench photo: L, ab = Lab(photo); ab is shrunk to a working size (INTER_AREA,
as a backend's input would be) and upsampled back onto the full L with each method.
The error is the mean Euclidean ab distance to the true ab, over all pixels and over
edge pixels only (the 10% with the strongest Sobel gradient of L): the "bleeding".

    .venv/bin/python bench/upsampling.py [FOLDER]          # the table
    .venv/bin/python bench/upsampling.py [FOLDER] --tune   # radius/eps grid on 6 photos
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from plugins import color  # noqa: E402
from plugins.host import merge as merging  # noqa: E402

WORKING_SIZES = (128, 64, 42)  # short side; the bench photos are 500 px, so factors ~4, 8, 12
EDGE_FRACTION = 0.10
TUNE_PHOTOS = 6


def load_lab(path: Path) -> tuple[np.ndarray, np.ndarray]:
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise SystemExit(f"cannot read {path}")
    lab = color.srgb_to_lab(bgr[..., ::-1].astype(np.float32) / 255.0)
    return color.split_lab(lab)


def edge_mask(lightness: np.ndarray) -> np.ndarray:
    gx = cv2.Sobel(lightness, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(lightness, cv2.CV_32F, 0, 1, ksize=3)
    magnitude = np.hypot(gx, gy)
    return magnitude >= np.quantile(magnitude, 1.0 - EDGE_FRACTION)


def ab_errors(lightness: np.ndarray, ab: np.ndarray, working_size: int, method: str) -> tuple[float, float]:
    """(mean ab error over all pixels, over edge pixels) after a round trip through working_size."""
    small = color.fit_short_side(ab, working_size)
    distance = np.linalg.norm(merging.upsample_ab(lightness, small, method) - ab, axis=-1)
    return float(distance.mean()), float(distance[edge_mask(lightness)].mean())


def error_table(photos: list[tuple[np.ndarray, np.ndarray]]) -> dict[tuple[str, int], np.ndarray]:
    """(method, working size) → array (photos, 2) of (all, edge) errors."""
    return {
        (method, size): np.array([ab_errors(lightness, ab, size, method) for lightness, ab in photos])
        for method in merging.UPSAMPLERS
        for size in WORKING_SIZES
    }


def median_seconds(run, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def merge_seconds(lightness: np.ndarray, ab: np.ndarray, method: str) -> float:
    """A one-off ``merge``: float output, and everything that depends on L made for it alone."""
    return median_seconds(lambda: merging.merge(lightness, ab, method))


def sample_seconds(lightness: np.ndarray, ab: np.ndarray) -> float:
    """Each further sample of a photo with 8-bit output, as the CLI merges: a shared ``Merger``."""
    merger = merging.Merger(lightness)
    merger.merge_uint8(ab)
    return median_seconds(lambda: merger.merge_uint8(ab))


def twelve_megapixel_case(lightness: np.ndarray, ab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A 4000×3000 L (a bench photo enlarged) and its ab at a 256 px working size."""
    big_l = cv2.resize(lightness, (4000, 3000), interpolation=cv2.INTER_CUBIC).clip(0, 100)
    big_ab = cv2.resize(ab, (4000, 3000), interpolation=cv2.INTER_CUBIC)
    return big_l, color.fit_short_side(big_ab, 256)


def print_results(photos: list[tuple[np.ndarray, np.ndarray]]) -> None:
    table = error_table(photos)
    print(f"{len(photos)} photos, guided radius {merging.GUIDED_RADIUS}, eps {merging.GUIDED_EPS:g}\n")
    print("| working size (factor) | method | ab error, all pixels | ab error, edge pixels (bleeding) "
          "| photos where guided bleeds less |")
    print("|---|---|---|---|---|")
    for size in WORKING_SIZES:
        guided_wins = int((table["guided", size][:, 1] < table["bilinear", size][:, 1]).sum())
        for method in merging.UPSAMPLERS:
            every, edge = table[method, size].mean(axis=0)
            wins = f"{guided_wins}/{len(photos)}" if method == "guided" else ""
            print(f"| {size} px (×{500 / size:.0f}) | {method} | {every:.3f} | {edge:.3f} | {wins} |")
    big_l, big_ab = twelve_megapixel_case(*photos[0])
    wild = np.random.default_rng(0).uniform(-150, 150, big_ab.shape).astype(np.float32)
    print("\n| 12 MP merge (4000×3000 from 256×341 ab), median of 5 | seconds |")
    print("|---|---|")
    for method in merging.UPSAMPLERS:
        print(f"| {method} | {merge_seconds(big_l, big_ab, method):.3f} |")
    print(f"| guided, every pixel out of gamut (ab uniform ±150) | {merge_seconds(big_l, wild, 'guided'):.3f} |")
    print(f"| guided, each further sample, 8-bit (`Merger.merge_uint8`) | {sample_seconds(big_l, big_ab):.3f} |")


def tune(photos: list[tuple[np.ndarray, np.ndarray]]) -> None:
    print(f"guided ab error at 64 px (×8) on {len(photos)} photos spread over the bench\n")
    print("| radius | eps | all | edge |\n|---|---|---|---|")
    for radius in (1, 2, 3):
        for eps in (1e-3, 3e-3, 5e-3, 1e-2, 2e-2, 4e-2):
            merging.GUIDED_RADIUS, merging.GUIDED_EPS = radius, eps
            errors = np.array([ab_errors(lightness, ab, 64, "guided") for lightness, ab in photos]).mean(axis=0)
            print(f"| {radius} | {eps:g} | {errors[0]:.3f} | {errors[1]:.3f} |")
    errors = np.array([ab_errors(lightness, ab, 64, "bilinear") for lightness, ab in photos]).mean(axis=0)
    print(f"| bilinear | | {errors[0]:.3f} | {errors[1]:.3f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=REPO / ".." / "shared" / "data" / "bench",
                        help="color photos (PNG or JPEG) to measure on (default: ../shared/data/bench, the Kodak "
                             "and McMaster crops beside the repository)")
    parser.add_argument("--tune", action="store_true", help=f"grid-search radius/eps on {TUNE_PHOTOS} photos")
    args = parser.parse_args()
    paths = sorted(p for p in args.folder.glob("*") if p.suffix.lower() in (".png", ".jpg", ".jpeg"))
    if not paths:
        raise SystemExit(f"no PNG or JPEG photos in {args.folder} (give a folder of color photos)")
    if args.tune:
        # Every 7th photo of 42, so the tuning set covers both of the bench's sources.
        tune([load_lab(path) for path in paths[:: max(1, len(paths) // TUNE_PHOTOS)][:TUNE_PHOTOS]])
    else:
        print_results([load_lab(path) for path in paths])


if __name__ == "__main__":
    main()
