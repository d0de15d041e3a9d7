"""Shrink folders of color photos into one compact training set, e.g. for a GPU machine's carry.

    python -m training pack ../shared/data/train ../shared/data/train-extra --to ~/carry/train \\
        --side 192 --quality 60

Each photo becomes its centre square at ``--side`` px (Lanczos), saved as lossy WebP; about
4.9 KB a photo at 192 px and quality 60, so the 9,300 photos of ``train`` + ``train-extra`` fit in
45 MiB. Black-and-white files and ones that cannot be read are left out and counted. Train on
the result with ``--size`` at most ``--side``: the photos hold no more pixels than that.
"""

from __future__ import annotations

import argparse
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from PIL import Image, ImageOps

from training.data import check_color_mode, find_images


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folders", nargs="+", type=Path, help="folders of color photos (searched recursively)")
    parser.add_argument("--to", required=True, type=Path, help="output folder (one subfolder per input folder)")
    parser.add_argument("--side", type=int, default=192, help="side of the square each photo becomes, in px")
    parser.add_argument("--quality", type=int, default=60, help="WebP quality, 0..100")
    parser.add_argument("--every", type=int, default=1, help="keep every Nth photo of each folder (a smaller set)")
    parser.add_argument("--workers", type=int, default=2)


def pack_one(source: Path, target: Path, side: int, quality: int) -> int:
    """``source`` → ``target`` (WebP); its size in bytes, 0 if it was left out."""
    try:
        with Image.open(source) as im:
            check_color_mode(im)
            square = ImageOps.fit(im.convert("RGB"), (side, side), Image.Resampling.LANCZOS)
    except (OSError, ValueError, Image.DecompressionBombError):  # unreadable, truncated, gray (NotAColorPhoto), huge
        return 0
    square.save(target, "WEBP", quality=quality, method=6)
    return target.stat().st_size


def main(args: argparse.Namespace) -> int:
    jobs = []
    for folder in args.folders:
        out = args.to / folder.name
        out.mkdir(parents=True, exist_ok=True)
        for i, source in enumerate(find_images(folder)[:: args.every]):
            jobs.append((source, out / f"{i:05d}_{source.stem[:60]}.webp", args.side, args.quality))
    with ProcessPoolExecutor(max(1, args.workers)) as pool:
        sizes = list(pool.map(pack_one, *zip(*jobs), chunksize=64)) if jobs else []
    kept = sum(1 for s in sizes if s)
    print(f"{kept} photos packed into {args.to} ({sum(sizes) / 2**20:.1f} MiB), {len(jobs) - kept} left out")
    return 0
