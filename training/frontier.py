"""``python -m training frontier``: the saturation frontier of a backend, and where other results sit against it.

    python -m training frontier --data ../shared/data/test --limit 200 --backend regression \\
        --point "cic 1=20.65@43.8" --point "gan 1=22.9@31.2"

Scaling a backend's chroma (a*, b* × k, L kept) trades PSNR for colorfulness along a curve; any
backend could slide along it with a saturation slider, so a method is only better if it sits above
it (``../shared/QUALITY.md``). This prints the curve (PSNR and colorfulness per k, evaluation
protocol of ``training eval``, sample 1) and, for each ``--point NAME=PSNR@CF``, its dB above the
curve at its colorfulness, by linear interpolation (extrapolated beyond the curve's ends).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from plugins.color import join_lab, lab_to_srgb, srgb_to_lightness
from plugins.host import PluginHost, build_options
from plugins.types import Sample
from training import quality
from training.evaluate import load_eval_image, photo_paths, to_uint8

DEFAULT_SCALES = (0.6, 0.8, 1.0, 1.25, 1.5, 1.8, 2.2)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True, type=Path, help="folder of color photos")
    parser.add_argument("--backend", default="regression", help="the backend whose chroma is scaled")
    parser.add_argument("--limit", type=int, help="only the first N photos (sorted by name)")
    parser.add_argument("--scales", type=float, nargs="+", default=list(DEFAULT_SCALES))
    parser.add_argument("--point", action="append", default=[], metavar="NAME=PSNR@CF",
                        help="a result to place against the curve, e.g. 'cic 1=20.65@43.8'")


def curve(backend, truths: list[np.ndarray], scales: list[float]) -> list[tuple[float, float, float]]:
    """``(k, mean PSNR, mean colorfulness)`` per scale, sample 1 of ``backend`` with its chroma × k."""
    options, _ = build_options(backend.info, device=backend.device, samples=1, seed=0)
    psnr = {k: [] for k in scales}
    colorfulness = {k: [] for k in scales}
    for truth in truths:
        lightness = srgb_to_lightness(truth / 255.0)
        ab = next(e.ab for e in backend.colorize(lightness, options) if isinstance(e, Sample))
        if ab.shape[:2] != lightness.shape:
            from plugins.host.merge import upsample_ab

            ab = upsample_ab(lightness, ab)
        for k in scales:
            result = to_uint8(np.clip(lab_to_srgb(join_lab(lightness, ab * k)), 0, 1))
            psnr[k].append(quality.psnr(result, truth))
            colorfulness[k].append(quality.colorfulness(result))
    return [(k, float(np.mean(psnr[k])), float(np.mean(colorfulness[k]))) for k in scales]


def above(points: list[tuple[float, float, float]], psnr: float, cf: float) -> float:
    """dB above the curve at colorfulness ``cf`` (linear between the nearest points, extrapolated at the ends)."""
    ordered = sorted(points, key=lambda p: p[2])
    cfs = [p[2] for p in ordered]
    i = int(np.clip(np.searchsorted(cfs, cf) - 1, 0, len(ordered) - 2))
    (_, p0, c0), (_, p1, c1) = ordered[i], ordered[i + 1]
    on_curve = p0 + (p1 - p0) * (cf - c0) / (c1 - c0) if c1 != c0 else p0
    return psnr - on_curve


def parse_point(text: str) -> tuple[str, float, float]:
    try:
        name, _, value = text.rpartition("=")
        psnr, _, cf = value.partition("@")
        return name, float(psnr), float(cf)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected NAME=PSNR@CF, got {text!r}") from None


def main(args: argparse.Namespace) -> int:
    paths = photo_paths(args.data)[: args.limit]
    if not paths:
        print(f"error: {args.data}: no photos found", file=sys.stderr)
        return 2
    truths = [load_eval_image(p) for p in paths]
    backend = PluginHost.discover().loaded(args.backend, "auto")
    points = curve(backend, truths, sorted(args.scales))
    print(f"Saturation frontier of {args.backend} on {len(truths)} photos of {args.data} (sample 1, chroma × k):\n")
    print("| chroma × | " + " | ".join(f"{k:g}" for k, _, _ in points) + " |")
    print("|---|" + "---|" * len(points))
    print("| PSNR dB | " + " | ".join(f"{p:.2f}" for _, p, _ in points) + " |")
    print("| colorfulness | " + " | ".join(f"{c:.1f}" for _, _, c in points) + " |")
    for name, psnr, cf in map(parse_point, args.point):
        print(f"\n{name}: {psnr:.2f} dB at colorfulness {cf:.1f} is {above(points, psnr, cf):+.2f} dB against the frontier")
    return 0
