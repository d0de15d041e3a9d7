"""Throwaway plugins and fake distributions for discovery and failure tests."""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import numpy as np
from PIL import Image

from plugins import Capability, ColorizeOptions, Colorizer, ColorizerInfo, Sample, hookimpl


def make_plugin(name: str, *classes: type) -> types.SimpleNamespace:
    """A plugin object whose register_colorizers returns ``classes``."""

    @hookimpl
    def register_colorizers():
        return list(classes)

    return types.SimpleNamespace(__name__=name, register_colorizers=register_colorizers)


def backend_class(backend_id: str, colorize, *, max_samples: int = 4, load=None) -> type[Colorizer]:
    """A Colorizer subclass whose colorize (and optionally load) are the given functions."""
    capabilities = {Capability.SAMPLES} if max_samples > 1 else set()
    namespace = {
        "info": ColorizerInfo(id=backend_id, name=backend_id, version="0.0.1", license="MIT", max_samples=max_samples,
                              capabilities=capabilities),
        "colorize": colorize,
    }
    if load is not None:
        namespace["load"] = load
    return type(f"Backend_{backend_id}", (Colorizer,), namespace)


def flat_samples(value: float = 10.0, size: int = 32):
    """A colorize function that yields flat-chroma samples at ``size`` px, the right aspect ratio."""

    def colorize(self, lightness: np.ndarray, options: ColorizeOptions):
        h, w = lightness.shape
        scale = size / min(h, w)
        shape = (max(1, round(h * scale)), max(1, round(w * scale)), 2)
        for index in range(options.samples):
            yield Sample(index, np.full(shape, value, dtype=np.float32))

    return colorize


def install_fake_distribution(site: Path, dist_name: str, module_name: str, module_source: str,
                              entry_point: str | None = None) -> None:
    """Write a module and a ``*.dist-info`` with a ``tinct.colorizers`` entry point (named
    ``entry_point``, default the module's name) into ``site``."""
    site.mkdir(parents=True, exist_ok=True)
    (site / f"{module_name}.py").write_text(textwrap.dedent(module_source))
    info = site / f"{dist_name.replace('-', '_')}-1.2.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist_name}\nVersion: 1.2.3\n")
    (info / "entry_points.txt").write_text(f"[tinct.colorizers]\n{entry_point or module_name} = {module_name}\n")
    importlib.invalidate_caches()


def synthetic_color_photo(rng: np.random.Generator, height: int = 56, width: int = 64) -> np.ndarray:
    """A smooth photo of random hues, ``uint8 (height, width, 3)``: tiny training data."""
    y, x = np.mgrid[0:height, 0:width] / 64.0
    c = rng.random(6)
    rgb = np.stack([0.5 + 0.4 * np.sin(6 * x * c[0] + c[3]), y * c[1], 0.5 * (x + y) * c[2]], axis=-1)
    return (np.clip(rgb, 0, 1) * 255).astype(np.uint8)


def write_train_and_val(root: Path, seed: int, train: int = 6, val: int = 2) -> Path:
    """``root/train`` and ``root/val`` folders of synthetic color PNGs."""
    rng = np.random.default_rng(seed)
    for split, count in (("train", train), ("val", val)):
        (root / split).mkdir(parents=True, exist_ok=True)
        for i in range(count):
            Image.fromarray(synthetic_color_photo(rng)).save(root / split / f"p{i}.png")
    return root


def interrupting_loss(loss, at_call: int = 2):
    """``loss`` that presses Ctrl-C during its ``at_call``-th call: the step finishes, saves and stops."""
    calls = 0

    def wrapped(pred, target):
        nonlocal calls
        calls += 1
        if calls == at_call:
            signal.raise_signal(signal.SIGINT)
        return loss(pred, target)

    return wrapped


def run_torchrun(nproc: int, args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """``python -m torch.distributed.run --standalone --nproc_per_node N -m <args>`` on one thread per process."""
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(cwd))
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(nproc), "-m", *args]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def ship_restorer(folder, model, monkeypatch) -> None:
    """Make ``model`` (a :class:`plugins.restore.learned_model.RestorerNet`) the ``learned`` step's
    weights, from ``folder`` (a tmp_path), as ``training export`` writes them."""
    import json

    from safetensors.torch import save_file

    from plugins.weights import sha256_of

    path = folder / "restorer.safetensors"
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(path))
    card = {"backend": "restorer", "sha256": sha256_of(path), "config": model.config.to_dict()}
    (folder / "restorer.json").write_text(json.dumps(card))
    monkeypatch.setenv("TINCT_MODELS_DIR", str(folder))
