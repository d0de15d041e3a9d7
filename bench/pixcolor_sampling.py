"""Time the pixcolor backend's colorize on one photo for N = 1, 4 and 8 samples.

    python bench/pixcolor_sampling.py [--threads 2] [--repeats 3] [--size 224] [--shipped]

Prints, per N, the median wall time over the repeats of the whole ``colorize``
(encoder, autoregressive sampling, one refinement per sample) and of its
sampling part alone. Speed does not depend on what the weights learned, so by
default the model is randomly initialized (with a random output head, so draws
are not all alike); ``--shipped`` loads resources/models/pixcolor.safetensors.
The photo is the bundled barn.jpg stretched to ``--aspect`` (4:3), at ``--size`` px short side.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# Idle OpenMP threads sleep instead of spinning (as `python -m training` sets): on a machine shared with
# other jobs, spinning threads make the timings erratic. Must precede torch.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def main() -> int:
    from desktop.cli import positive_int

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=positive_int, default=3, help="counted runs (at least 1)")
    parser.add_argument("--size", type=int, default=224, help="working size (short side, px)")
    parser.add_argument("--aspect", type=float, default=4 / 3, help="the photo is stretched to this width/height")
    parser.add_argument("--samples", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--shipped", action="store_true", help="the shipped weights instead of random ones")
    args = parser.parse_args()

    import numpy as np
    import torch
    from PIL import Image

    from plugins import ColorizeOptions, Sample
    from plugins.backends.pixcolor import backend
    from plugins.backends.pixcolor.model import PixColorConfig, PixColorModel
    from plugins.backends.pixcolor.sampling import RowSampler
    from plugins.color import fit_short_side, gray_to_lightness

    torch.set_num_threads(args.threads)
    colorizer = backend.PixColorColorizer()
    if args.shipped:
        colorizer.load("cpu")
    else:
        torch.manual_seed(0)
        model = PixColorModel(PixColorConfig())
        with torch.no_grad():
            model.pixelcnn.head[-1].weight.normal_(0, 0.3)
        colorizer.model = model.eval()
    photo = Image.open(ROOT / "resources" / "samples" / "barn.jpg").convert("L")
    photo = photo.resize((round(photo.height * args.aspect), photo.height), Image.BICUBIC)
    gray = np.asarray(photo, dtype=np.float32) / 255.0
    lightness = gray_to_lightness(gray)
    small = fit_short_side(lightness, args.size)
    print(f"photo {lightness.shape[1]}x{lightness.shape[0]} -> working {small.shape[1]}x{small.shape[0]}, "
          f"{args.threads} thread(s), {args.repeats} repeat(s)")

    for n in args.samples:
        options = ColorizeOptions(samples=n, seed=0, working_size=args.size, temperature=1.0)
        totals, sampling = [], []
        for repeat in range(args.repeats + 1):  # the first run warms up and is not counted
            with torch.inference_mode():
                start = time.perf_counter()
                samples = [e for e in colorizer.colorize(lightness, options) if isinstance(e, Sample)]
                total = time.perf_counter() - start
                x = torch.from_numpy(small)[None, None]
                cond = colorizer.model.encode(x).cond
                start = time.perf_counter()
                RowSampler(colorizer.model.pixelcnn, cond, n, 1.0, 0).run()
                sampled = time.perf_counter() - start
            assert len(samples) == n
            if repeat:
                totals.append(total)
                sampling.append(sampled)
        grid = tuple(cond.shape[-2:])
        print(f"N={n}: colorize {statistics.median(totals):.2f} s median "
              f"(sampling {statistics.median(sampling):.2f} s for a {grid[0]}x{grid[1]} grid)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
