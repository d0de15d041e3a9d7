"""What running a backend in a worker process costs (plugins/host/isolation.py), in-process vs isolated.

For each backend and photo size: the median time of one photo's colorize (the backend's events, checked,
merged nowhere: ``colorize_samples``) in-process and in a worker, and the worker's one-off cost of
starting Python, importing the plugin and loading it. The difference per photo is what isolating a
built-in backend would add to every photo; the start is paid once per session (and after a crash).

    .venv/bin/python bench/isolation.py                          # regression and testbackend, 1 and 12 MP
    .venv/bin/python bench/isolation.py --backends cic --repeats 5
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from plugins.host import PluginHost, build_options
from plugins.host.isolation import IsolationPolicy
from plugins.host.pipeline import colorize_samples

SIZES = {"1 MP": (864, 1152), "12 MP": (3000, 4000)}


def one_photo(host: PluginHost, backend_id: str, lightness: np.ndarray) -> float:
    backend = host.loaded(backend_id, "cpu")
    options, _ = build_options(backend.info, device="cpu", samples=1)
    started = time.perf_counter()
    for _event in colorize_samples(backend, lightness, options):
        pass
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", nargs="+", default=["regression", "testbackend"])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print("| backend | photo | in-process s/photo | worker s/photo | worker adds | worker start + load s |")
    print("|---|---|---|---|---|---|")
    for backend_id in args.backends:
        for label, shape in SIZES.items():
            lightness = (rng.random(shape, dtype=np.float32) * 100).astype(np.float32)
            times = {}
            start = None
            for mode in ("none", "all"):
                host = PluginHost.discover(isolation=IsolationPolicy(mode))
                began = time.perf_counter()
                host.loaded(backend_id, "cpu")
                if mode == "all":
                    start = time.perf_counter() - began
                one_photo(host, backend_id, lightness)  # warm-up
                times[mode] = statistics.median(one_photo(host, backend_id, lightness) for _ in range(args.repeats))
                host.unload_all()
            print(f"| {backend_id} | {label} | {times['none']:.3f} | {times['all']:.3f} | "
                  f"{times['all'] - times['none']:+.3f} ({times['all'] / times['none'] - 1:+.0%}) | {start:.2f} |")


if __name__ == "__main__":
    main()
