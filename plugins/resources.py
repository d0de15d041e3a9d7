"""Where Tinct's shipped files are: ``resources/`` beside the source, or ``<prefix>/share/tinct``."""

from __future__ import annotations

import os
import sys
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=1)
def resources_dir() -> Path:
    source_checkout = Path(__file__).resolve().parents[1] / "resources"
    if source_checkout.is_dir():
        return source_checkout
    return Path(sys.prefix) / "share" / "tinct" / "resources"


MODELS_DIR_VARIABLE = "TINCT_MODELS_DIR"
"""Names a folder to take the built-in backends' weights and cards from instead (``training export`` scores
the weights it has just written this way)."""


def model_path(filename: str) -> Path:
    """A shipped weights file or model card, by file name."""
    override = os.environ.get(MODELS_DIR_VARIABLE)
    return (Path(override) if override else resources_dir() / "models") / filename


def sample_photo(filename: str) -> Path:
    return resources_dir() / "samples" / filename
