"""How far one color hint reaches: the share of a photo whose color it changes.

Scores reward hints that spread far (a hint's color is often right well beyond its object), but a
user who gives a parrot's chest its yellow does not want the other parrot yellow. For each bench
photo, one hint is placed at a seeded spot with a color far from the backend's there (its hue
turned half-way round, chroma 60), and the share of pixels whose a*b* moved by more than 10 is
measured, at working size, beyond three times the hint's radius. Prints the median and the 90th percentile
over the photos: compare them between propagation settings or backends, lower is tamer (a hint
on a sky or a wall may rightly reach a third of the photo).

    .venv/bin/python bench/hint_leak.py [FOLDER] [--backend regression]

On the 42 photos of ../shared/data/bench (one run): the host's propagation over `regression`
recolors a median 9.2 % of the photo (90th percentile 60.8 %); with Levin's plain affinities
(`GRADIENT_WEIGHT` 0) 99.8 % (100 %); `guided` with learnt links and no limit on what they
spread 28.0 % (89.5 %); the shipped `guided` (`--backend guided`), whose learnt links spread at
most 40 · n / (n + 8) ab of a hint's change for n hinted spots, 13.0 % (61.7 %).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from plugins.color import srgb_to_lightness  # noqa: E402
from plugins.host import PluginHost, build_options  # noqa: E402
from plugins.host.pipeline import colorize_samples  # noqa: E402
from plugins.types import ColorHint, Sample  # noqa: E402

MOVED = 10.0  # ab units: a change a viewer sees at once
CHROMA = 60.0
RADIUS = 4.0  # px of the photo


def contrary_hint(ab: np.ndarray, full_shape: tuple[int, int], rng: np.random.Generator) -> ColorHint:
    """A hint at a random spot (away from the border) whose chroma points away from the backend's there."""
    height, width = full_shape
    x, y = int(rng.integers(width // 8, width - width // 8)), int(rng.integers(height // 8, height - height // 8))
    here = ab[y * ab.shape[0] // height, x * ab.shape[1] // width]
    angle = np.arctan2(here[1], here[0]) + np.pi if np.hypot(*here) > 2 else rng.uniform(0, 2 * np.pi)
    return ColorHint(x, y, (float(CHROMA * np.cos(angle)), float(CHROMA * np.sin(angle))), radius=RADIUS)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, nargs="?", default=REPO.parent / "shared" / "data" / "bench")
    parser.add_argument("--backend", default="regression")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    photos = sorted(p for p in args.folder.iterdir() if p.suffix.lower() in {".png", ".jpg", ".jpeg"})
    host = PluginHost.discover()
    backend = host.loaded(args.backend, "cpu")
    options, _ = build_options(backend.info, device="cpu", samples=1, seed=args.seed)
    shares = []
    for number, path in enumerate(photos):
        lightness = srgb_to_lightness(np.asarray(Image.open(path).convert("RGB"), dtype=np.float32) / 255.0)

        def ab_of(opts) -> np.ndarray:
            return next(e.ab for e in colorize_samples(backend, lightness, opts) if isinstance(e, Sample))

        plain = ab_of(options)
        hint = contrary_hint(plain, lightness.shape, np.random.default_rng([args.seed, number]))
        hinted = ab_of(replace(options, hints=(hint,)))
        moved = np.linalg.norm(hinted - plain, axis=-1) > MOVED
        rows, cols = np.mgrid[: moved.shape[0], : moved.shape[1]]
        scale = moved.shape[1] / lightness.shape[1]
        disc = np.hypot(rows - hint.y * scale, cols - hint.x * scale) <= max(1.0, 3 * RADIUS * scale)
        shares.append(float(moved[~disc].mean()))
    shares.sort()
    print(f"backend {args.backend}, {len(shares)} photos of {args.folder}: one contrary hint each")
    print(f"share of the photo it recolors (Δab > {MOVED:g}): median {100 * statistics.median(shares):.1f} %, "
          f"90th percentile {100 * shares[int(0.9 * (len(shares) - 1))]:.1f} %, most {100 * shares[-1]:.1f} %")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
