"""Restoration before colorization, measured on a seeded, degraded copy of the test set.

    python bench/restoration.py [--data ../shared/data/test] [--limit N] [--backends regression cic] [--seed 0]
                                [--restore auto learned,tone] [--no-grain] [--no-12mp]

Each photo (evaluation protocol: short side 256, center crop) is degraded with
``plugins.restore.degrade`` (seeded by ``--seed`` and its position): faded, 3-8 scratches and
20-50 dust specks, then Gaussian and film-grain-like noise. Prints, per backend, the mean PSNR
(dB, sRGB, against the clean color truth) of colorizing three lightnesses: the degraded one as
is, the restored one (each plan of ``--restore``: ``auto``, the classic steps, and
``learned,tone``, the network and the levels, by default; the backend sees it with grain, as
in the pipeline: ``plugins.host.grain``), and the clean one (the ceiling), and the share of the
gap each restoration recovers. Also the dust and scratch detection's recall and false positives
on the defect pixels, and the time to restore a 12 MP photo (all three steps, in ``auto``'s order).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from plugins.color import srgb_to_lightness  # noqa: E402
from plugins.host import PluginHost, build_options  # noqa: E402
from plugins.host.pipeline import MergedSample, backend_lightness, colorize_lightness  # noqa: E402
from plugins.host.restoration import AUTO_ORDER, Restoration, Restored  # noqa: E402
from plugins.restore.degrade import degrade  # noqa: E402
from plugins.restore.scratches import find_defects  # noqa: E402
from training.evaluate import load_eval_image, photo_paths, to_uint8  # noqa: E402
from training.quality import psnr  # noqa: E402


def colorize(backend, options, lightness: np.ndarray, restored: bool = False) -> np.ndarray:
    """``lightness`` colorized as the pipeline does; a ``restored`` one is seen by the backend with grain."""
    seen = backend_lightness(lightness, options, restored)
    [merged] = [e for e in colorize_lightness(backend, lightness, options, seen=seen) if isinstance(e, MergedSample)]
    return to_uint8(merged.rgb)


def time_12mp(host: PluginHost, plan: str, repeats: int = 5) -> tuple[float, float]:
    """Median wall and CPU seconds (all threads) to restore a degraded 12 MP photo (``auto``: all three classic steps)."""
    rng = np.random.default_rng(0)
    from PIL import Image

    photo = Image.open(ROOT / "resources" / "samples" / "barn.jpg").convert("RGB").resize((4000, 3000), Image.BICUBIC)
    clean = srgb_to_lightness(np.asarray(photo, np.float32) / 255.0).astype(np.float32)
    damaged = degrade(clean, rng).lightness
    restoration = Restoration.for_host(host, ",".join(AUTO_ORDER) if plan == "auto" else plan)
    restoration.run(damaged)  # warm up: imports, OpenCV's first calls
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        restoration.run(damaged)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return float(np.median(walls)), float(np.median(cpus))


def restore_all(restoration: Restoration, damages) -> tuple[list[Restored], float]:
    """Each damaged photo restored, and the median milliseconds a photo took."""
    out, seconds = [], []
    for damage in damages:
        start = time.perf_counter()
        out.append(restoration.run(damage.lightness))
        seconds.append(time.perf_counter() - start)
    return out, 1000 * float(np.median(seconds))


def lightness_psnr(lightnesses, cleans) -> float:
    return float(np.mean([psnr(x * 2.55, c * 2.55) for x, c in zip(lightnesses, cleans)]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "test"))
    parser.add_argument("--limit", type=int, default=None, help="use the first N photos")
    parser.add_argument("--backends", nargs="+", default=["regression", "cic"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--restore", nargs="+", default=["auto", "learned,tone"],
                        help="restoration plans to compare, as `tinct colorize --restore` takes them")
    parser.add_argument("--no-grain", action="store_true",
                        help="the backend sees the restored photo without grain (plugins.host.grain)")
    parser.add_argument("--no-12mp", action="store_true", help="skip the 12 MP timing")
    args = parser.parse_args()
    paths = photo_paths(Path(args.data))[: args.limit]
    truths = [load_eval_image(p) for p in paths]
    cleans = [srgb_to_lightness(t / 255.0).astype(np.float32) for t in truths]
    damages = [degrade(c, np.random.default_rng([args.seed, i])) for i, c in enumerate(cleans)]
    host = PluginHost.discover()
    restored = {plan: restore_all(Restoration.for_host(host, plan), damages) for plan in args.restore}
    recall, false_positive = [], []
    for damage in damages:
        found = find_defects(damage.lightness).mask
        recall.append((found & damage.defects).sum() / max(1, damage.defects.sum()))
        false_positive.append((found & ~damage.defects).sum() / max(1, (~damage.defects).sum()))
    print(f"{len(paths)} photos, seed {args.seed}")
    print(f"dust and scratch detection (on the degraded photo): recall {100 * np.mean(recall):.1f} %, "
          f"false positives {100 * np.mean(false_positive):.2f} % (worst photo {100 * max(false_positive):.2f} %)")
    print(f"lightness PSNR against the clean L: degraded {lightness_psnr([d.lightness for d in damages], cleans):.2f} dB, "
          + ", ".join(f"restored ({plan}) {lightness_psnr([r.lightness for r in out], cleans):.2f} dB"
                      for plan, (out, _) in restored.items()))
    for plan, (_, ms) in restored.items():
        print(f"{plan}: {ms:.0f} ms/photo (median)")
    print("| backend | restoration | degraded, colorized as is | restored, then colorized | clean gray (the ceiling) | gap recovered |")
    print("|---|---|---|---|---|---|")
    for backend_id in args.backends:
        backend = host.loaded(backend_id, "cpu")
        options, _ = build_options(backend.info, device="cpu", seed=args.seed)
        degraded = np.mean([psnr(colorize(backend, options, d.lightness), t) for d, t in zip(damages, truths)])
        clean = np.mean([psnr(colorize(backend, options, c), t) for c, t in zip(cleans, truths)])
        for plan, (fixed, _) in restored.items():
            r = np.mean([psnr(colorize(backend, options, f.lightness, bool(f.applied) and not args.no_grain), t)
                         for f, t in zip(fixed, truths)])
            print(f"| `{backend_id}` | `{plan}` | {degraded:.2f} | {r:.2f} | {clean:.2f} | "
                  f"{100 * (r - degraded) / max(clean - degraded, 1e-9):.0f} % |")
    if not args.no_12mp:
        for plan in args.restore:
            wall, cpu = time_12mp(host, plan)
            print(f"12 MP photo, {plan}: {wall:.2f} s (median of 5; {cpu:.2f} s of CPU, "
                  f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
