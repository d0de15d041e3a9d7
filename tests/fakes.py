"""Throwaway plugins and fake distributions for discovery and failure tests."""

from __future__ import annotations

import importlib
import textwrap
import types
from pathlib import Path

import numpy as np

from plugins import ColorizeOptions, Colorizer, ColorizerInfo, Sample, hookimpl


def make_plugin(name: str, *classes: type) -> types.SimpleNamespace:
    """A plugin object whose register_colorizers returns ``classes``."""

    @hookimpl
    def register_colorizers():
        return list(classes)

    return types.SimpleNamespace(__name__=name, register_colorizers=register_colorizers)


def backend_class(backend_id: str, colorize, *, max_samples: int = 4, load=None) -> type[Colorizer]:
    """A Colorizer subclass whose colorize (and optionally load) are the given functions."""
    namespace = {
        "info": ColorizerInfo(id=backend_id, name=backend_id, version="0.0.1", license="MIT", max_samples=max_samples),
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


def install_fake_distribution(site: Path, dist_name: str, module_name: str, module_source: str) -> None:
    """Write a module and a ``*.dist-info`` with a ``tinct.colorizers`` entry point into ``site``."""
    site.mkdir(parents=True, exist_ok=True)
    (site / f"{module_name}.py").write_text(textwrap.dedent(module_source))
    info = site / f"{dist_name.replace('-', '_')}-1.2.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist_name}\nVersion: 1.2.3\n")
    (info / "entry_points.txt").write_text(f"[tinct.colorizers]\n{module_name} = {module_name}\n")
    importlib.invalidate_caches()
