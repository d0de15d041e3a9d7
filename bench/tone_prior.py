"""Measure the tone prior (``plugins/restore/tone_prior_weights.py``) on the training photos.

    python bench/tone_prior.py [--train ../shared/data/train ../shared/data/train-extra]
                               [--check ../shared/data/val-extra] [--every 1] [--write]

Each photo is read as for evaluation (short side 256, center crop) and converted to L*. The
prior is fitted on the ``--train`` photos (:func:`plugins.restore.tone_prior.fit_prior`) and
checked on the ``--check`` photos, each faded as the restoration bench fades it (seeded by its
position) and as it is: the mean PSNR (dB) of its lightness against the photo's own once the
levels are set by the prior, which is what ``tone`` makes of it; for comparison, the faded photo
stretched to fixed levels (the training photos' median black and white points).
``--write`` stores the fitted weights.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from plugins.color import srgb_to_lightness  # noqa: E402
from plugins.restore.degrade import fade  # noqa: E402
from plugins.restore.tone_prior import ENDS, SHAPE_LEVELS, Levels, PhotoSums, TonePrior, fit_sums, measure_shape  # noqa: E402
from training.evaluate import load_eval_image, photo_paths  # noqa: E402

WEIGHTS_PATH = ROOT / "plugins" / "restore" / "tone_prior_weights.py"


def weights_module(prior: TonePrior, photos: int, folders: list[str]) -> str:
    def numbers(values) -> str:
        values = [f"{float(v):.5f}" for v in values]
        lines = [", ".join(values[i : i + 8]) for i in range(0, len(values), 8)]
        return "(" + ",\n    ".join(lines) + ")" if len(lines) > 1 else "(" + lines[0] + ")"

    return (f'"""The tone prior\'s weights (see :mod:`plugins.restore.tone_prior`), measured on {photos} photos of\n'
            f"{' and '.join(folders)} (short side 256, center crop) by ``python bench/tone_prior.py --write``.\n"
            f'Written by that script: measure again rather than edit."""\n\n'
            f"ENDS = {numbers(ENDS)}\nSHAPE_LEVELS = {numbers(SHAPE_LEVELS)}\n"
            f"BLACK_WEIGHTS = {numbers(prior.black_weights)}\nWHITE_WEIGHTS = {numbers(prior.white_weights)}\n"
            f"BLACK_QUARTILES = {numbers(prior.black_quartiles)}\nWHITE_QUARTILES = {numbers(prior.white_quartiles)}\n")


def lightness_of(path: Path) -> np.ndarray:
    return srgb_to_lightness(load_eval_image(path) / 255.0).astype(np.float32)


def psnr(result: np.ndarray, truth: np.ndarray) -> float:
    return float(10 * np.log10(100.0**2 / max(np.mean((result.astype(np.float64) - truth) ** 2), 1e-10)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    data = ROOT.parent / "shared" / "data"
    parser.add_argument("--train", nargs="+", default=[str(data / "train"), str(data / "train-extra")])
    parser.add_argument("--check", default=str(data / "val-extra"))
    parser.add_argument("--every", type=int, default=1, help="use every Nth training photo")
    parser.add_argument("--seed", type=int, default=0, help="seeds the check photos' fading")
    parser.add_argument("--write", action="store_true", help=f"store the prior in {WEIGHTS_PATH.name}")
    args = parser.parse_args()
    paths = [p for folder in args.train for p in photo_paths(Path(folder))][:: args.every]
    sums = [PhotoSums.of(lightness_of(p)) for p in paths]
    prior = fit_sums(sums)
    typical = prior.black_quartiles[1], prior.white_quartiles[1]
    print(f"fitted on {len(paths)} photos; their {ENDS[0]:g} and {ENDS[1]:g} % points (black and white), "
          f"quartiles: L* {', '.join(f'{v:.1f}' for v in prior.black_quartiles)} and "
          f"{', '.join(f'{v:.1f}' for v in prior.white_quartiles)}")
    checks = [lightness_of(p) for p in photo_paths(Path(args.check))]
    faded = [np.clip(fade(c, np.random.default_rng([args.seed, i])), 0, 100) for i, c in enumerate(checks)]
    fixed = [psnr(Levels(*measure_shape(f)[:2], *typical).apply(f), c) for f, c in zip(faded, checks)]
    learned = [psnr(prior.levels(f).apply(f), c) for f, c in zip(faded, checks)]
    kept = [psnr(prior.levels(c).apply(c), c) for c in checks]
    taken = np.mean([prior.faded(prior.levels(c)) for c in checks])
    print(f"on {len(checks)} photos of {Path(args.check).name}, faded as the bench fades them (seed {args.seed}) "
          f"and given levels: the median levels {np.mean(fixed):.2f} dB, the prior's {np.mean(learned):.2f} dB "
          f"(faded as they are: {np.mean([psnr(f, c) for f, c in zip(faded, checks)]):.2f} dB); "
          f"unfaded photos through the prior: {np.mean(kept):.2f} dB; unfaded photos taken for faded: {100 * taken:.1f} %")
    if args.write:
        WEIGHTS_PATH.write_text(weights_module(prior, len(paths), [Path(f).name for f in args.train]))
        print(f"wrote {WEIGHTS_PATH.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
