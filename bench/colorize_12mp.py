"""Colorize a 12-megapixel photo end to end on the CPU: read, backend, full-resolution merge, save.

    python bench/colorize_12mp.py [--backend ID] [--repeats 5] [--format jpg]

Prints, for 1 and 8 samples, the median wall time over the repeats and the peak
resident memory of a fresh process doing it, plus the 8-to-1 ratio. Each
configuration runs in its own process so the peak belongs to that run alone.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as the tinct command sets it
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def make_photo(path: Path, width: int = 4000, height: int = 3000) -> Path:
    sample = Image.open(ROOT / "resources" / "samples" / "barn.jpg").convert("L")
    sample.resize((width, height), Image.BICUBIC).save(path, quality=92)
    return path


def run_once(photo: Path, backend_id: str, samples: int, fmt: str, repeats: int) -> dict:
    from plugins.host import PluginHost, build_options
    from plugins.host.pipeline import colorize_to_files
    from plugins.imageio import read_photo

    host = PluginHost.discover()
    backend = host.loaded(backend_id, "cpu")
    options, _ = build_options(backend.info, device="cpu", samples=samples, seed=0)
    times = []
    with tempfile.TemporaryDirectory() as out:
        for repeat in range(repeats + 1):  # the first run warms up caches and is not counted
            start = time.perf_counter()
            photo_data = read_photo(photo)
            targets = [Path(out) / f"r{repeat}.{index}.{fmt}" for index in range(options.samples)]
            for _ in colorize_to_files(backend, photo_data, options, targets, fmt, 90):  # what `tinct colorize` does
                pass
            if repeat:
                times.append(time.perf_counter() - start)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"samples": options.samples, "median_s": statistics.median(times), "times": times, "peak_mb": peak_mb}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", help="default: the default backend")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--format", default="jpg", choices=["jpg", "png", "tif"])
    parser.add_argument("--child", nargs=2, metavar=("PHOTO", "SAMPLES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_once(Path(args.child[0]), args.backend, int(args.child[1]), args.format, args.repeats)))
        return 0
    from plugins.host import PluginHost

    backend_id = args.backend or PluginHost.discover().default_backend().info.id
    with tempfile.TemporaryDirectory() as tmp:
        photo = make_photo(Path(tmp) / "12mp.jpg")
        results = []
        for samples in (1, 8):
            command = [sys.executable, __file__, "--backend", backend_id, "--repeats", str(args.repeats),
                       "--format", args.format, "--child", str(photo), str(samples)]
            results.append(json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout))
    print(f"backend {backend_id}, 4000×3000 gray JPEG → {args.format}, CPU, median of {args.repeats}")
    print("| samples asked | samples made | median s | peak RSS MB |")
    print("|---|---|---|---|")
    for r, asked in zip(results, (1, 8)):
        print(f"| {asked} | {r['samples']} | {r['median_s']:.2f} | {r['peak_mb']:.0f} |")
    print(f"8 samples / 1 sample: {results[1]['median_s'] / results[0]['median_s']:.2f}×")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
