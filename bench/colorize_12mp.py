"""Colorize a 12-megapixel photo end to end on the CPU: read, backend, full-resolution merge, save.

    python bench/colorize_12mp.py [--backend ID] [--repeats 5] [--format jpg] [--workflow cli|app]

Two workflows, each timed for 1 and 8 samples:

* ``cli`` (default), what ``tinct colorize`` does: every sample is merged onto the
  full-resolution lightness and saved, so 8 samples means 8 full-size merges and
  8 files;
* ``app``, what the desktop app does, through its own jobs (``desktop.worker``):
  read the photo, make every sample with a display-size preview (1600 px long
  side), then merge the chosen sample (the first) at full resolution and save it.

Prints the median wall time over the repeats and the peak resident memory of a
fresh process doing it, plus the 8-to-1 ratio. Each configuration runs in its
own process so the peak belongs to that run alone.
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


def timed(once, repeats: int) -> dict:
    """Median wall time of ``once(out_dir, repeat)`` over ``repeats`` runs after one uncounted warm-up
    (backend loading, caches), and this process's peak resident memory; ``once`` returns samples made."""
    times, made = [], 0
    with tempfile.TemporaryDirectory() as out:
        for repeat in range(repeats + 1):
            start = time.perf_counter()
            made = once(Path(out), repeat)
            if repeat:
                times.append(time.perf_counter() - start)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"samples": made, "median_s": statistics.median(times), "times": times, "peak_mb": peak_mb}


def run_cli(photo: Path, backend_id: str, samples: int, fmt: str, repeats: int) -> dict:
    from plugins.host import PluginHost, build_options
    from plugins.host.pipeline import colorize_to_files
    from plugins.imageio import read_photo

    backend = PluginHost.discover().loaded(backend_id, "cpu")
    options, _ = build_options(backend.info, device="cpu", samples=samples, seed=0)

    def once(out: Path, repeat: int) -> int:  # what `tinct colorize` does
        targets = [out / f"r{repeat}.{index}.{fmt}" for index in range(options.samples)]
        for _ in colorize_to_files(backend, read_photo(photo), options, targets, fmt, 90):
            pass
        return options.samples

    return timed(once, repeats)


def run_app(photo: Path, backend_id: str, samples: int, fmt: str, repeats: int) -> dict:
    from desktop.messages import Chroma, SampleMade, SaveRequest
    from desktop.state.settings import ColorizeSettings
    from desktop.worker import colorize_job, save_job
    from plugins.host import PluginHost

    host = PluginHost.discover()
    settings = ColorizeSettings(backend_id=backend_id, samples=samples, device="cpu")

    def once(out: Path, repeat: int) -> int:  # the app's jobs: previews of every sample, then save the chosen one
        shown = [m for m in colorize_job(host, photo, settings) if isinstance(m, SampleMade)]
        for _ in save_job(SaveRequest(photo, ((out / f"r{repeat}.{fmt}", Chroma(ab=shown[0].ab)),), fmt, 90)):
            pass
        return len(shown)

    return timed(once, repeats)


def main() -> int:
    from desktop.cli import positive_int

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", help="default: the default backend")
    parser.add_argument("--repeats", type=positive_int, default=5)
    parser.add_argument("--format", default="jpg", choices=["jpg", "png", "tif"])
    parser.add_argument("--workflow", default="cli", choices=["cli", "app"],
                        help="cli: save every sample at full resolution; app: previews, then save the chosen one")
    parser.add_argument("--child", nargs=2, metavar=("PHOTO", "SAMPLES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run = run_app if args.workflow == "app" else run_cli
        print(json.dumps(run(Path(args.child[0]), args.backend, int(args.child[1]), args.format, args.repeats)))
        return 0
    from plugins.host import PluginHost

    backend_id = args.backend or PluginHost.discover().default_backend().info.id
    with tempfile.TemporaryDirectory() as tmp:
        photo = make_photo(Path(tmp) / "12mp.jpg")
        results = []
        for samples in (1, 8):
            command = [sys.executable, __file__, "--backend", backend_id, "--repeats", str(args.repeats),
                       "--format", args.format, "--workflow", args.workflow, "--child", str(photo), str(samples)]
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode != 0:  # the measuring process's own message, not just its exit status
                print(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}",
                      file=sys.stderr)
                return 1
            results.append(json.loads(done.stdout))
    saved = "every sample saved" if args.workflow == "cli" else "previews, the first sample saved"
    print(f"backend {backend_id}, 4000×3000 gray JPEG → {args.format} ({args.workflow}: {saved}), CPU, "
          f"median of {args.repeats}")
    print("| samples asked | samples made | median s | peak RSS MB |")
    print("|---|---|---|---|")
    for r, asked in zip(results, (1, 8)):
        print(f"| {asked} | {r['samples']} | {r['median_s']:.2f} | {r['peak_mb']:.0f} |")
    if results[1]["samples"] > results[0]["samples"]:  # a one-sample backend makes no ratio
        print(f"{results[1]['samples']} samples / 1 sample: {results[1]['median_s'] / results[0]['median_s']:.2f}×")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
