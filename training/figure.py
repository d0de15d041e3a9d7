"""``python -m training figure``: picture grids of installed backends for the README and model cards.

    python -m training figure --data ../shared/data/test --count 4 --out docs/results.jpg
    python -m training figure --data ../shared/data/test --photo NAME.jpg --backends pixcolor \\
        --samples 8 --out docs/pixcolor-samples.jpg

Without ``--samples`` each row is one photo: gray | each backend's first sample |
truth. With ``--samples N`` it is one row per backend: gray | its N samples | truth.
Photos go through the evaluation protocol (short side 256, center crop) and the
same host API as the app.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from plugins.color import srgb_to_lightness
from plugins.host import PluginHost, build_options
from plugins.host.pipeline import MergedSample, colorize_lightness
from training.evaluate import grayscale_of, load_eval_image, photo_paths, to_uint8

TILE, GAP, LABEL_H = 256, 4, 18


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True, type=Path, help="folder of color photos")
    parser.add_argument("--photo", nargs="*", default=[], help="file names inside --data (default: evenly spaced picks)")
    parser.add_argument("--count", type=int, default=4, help="photos to pick when --photo is not given")
    parser.add_argument("--backends", nargs="*", help="backend ids (default: every installed backend with weights)")
    parser.add_argument("--samples", type=int, default=0, help="show N samples of each backend for the first photo")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True, type=Path)


def pick_photos(data: Path, names: list[str], count: int) -> list[Path]:
    if names:
        return [data / name for name in names]
    paths = photo_paths(data)
    step = max(1, len(paths) // count)
    return paths[::step][:count]


def colorize(host: PluginHost, backend_id: str, truth: np.ndarray, samples: int, seed: int) -> list[np.ndarray]:
    backend = host.loaded(backend_id, "auto")
    options, _ = build_options(backend.info, device=backend.device, samples=samples, seed=seed)
    lightness = srgb_to_lightness(truth / 255.0)
    return [to_uint8(e.rgb) for e in colorize_lightness(backend, lightness, options) if isinstance(e, MergedSample)]


def grid(rows: list[list[tuple[str, np.ndarray]]]) -> Image.Image:
    """Tiles with a label above each; every row as long as the longest."""
    columns = max(len(row) for row in rows)
    sheet = Image.new("RGB", (columns * (TILE + GAP) - GAP, len(rows) * (TILE + LABEL_H + GAP) - GAP), "white")
    draw = ImageDraw.Draw(sheet)
    for r, row in enumerate(rows):
        top = r * (TILE + LABEL_H + GAP)
        for c, (label, pixels) in enumerate(row):
            left = c * (TILE + GAP)
            draw.text((left + 2, top + 3), label, fill="black")
            sheet.paste(Image.fromarray(pixels).resize((TILE, TILE)), (left, top + LABEL_H))
    return sheet


def main(args: argparse.Namespace) -> int:
    host = PluginHost.discover()
    backend_ids = args.backends if args.backends is not None else [
        e.info.id for e in host.backends if e.info.weights and host.weights_status(e).ok
    ]
    photos = pick_photos(args.data, args.photo, 1 if args.samples else args.count)
    rows = []
    for path in photos:
        truth = load_eval_image(path)
        if args.samples:
            for backend_id in backend_ids:
                made = colorize(host, backend_id, truth, args.samples, args.seed)
                rows.append([("gray", grayscale_of(truth))]
                             + [(f"{backend_id} {k}", rgb) for k, rgb in enumerate(made, start=1)]
                             + [("truth", truth)])
        else:
            rows.append([("gray", grayscale_of(truth))]
                        + [(b, colorize(host, b, truth, 1, args.seed)[0]) for b in backend_ids]
                        + [("truth", truth)])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    grid(rows).save(args.out, quality=88)
    print(f"{args.out}: {len(rows)} row(s) from {', '.join(p.name for p in photos)}")
    return 0
