"""Where Tinct's shipped files are: ``resources/`` of a source checkout, or where pip put the wheel's data files."""

from __future__ import annotations

import importlib.metadata
import os
import sys
from functools import lru_cache
from pathlib import Path

DISTRIBUTION = "tinct"
DATA_FILES = "share/tinct/resources"  # where pyproject.toml's data-files put resources/, under the install prefix

MODELS_DIR_VARIABLE = "TINCT_MODELS_DIR"
"""Names a folder to take the built-in backends' weights and cards from instead (``training export`` scores
the weights it has just written this way)."""


@lru_cache(maxsize=1)
def resources_dir() -> Path:
    checkout = Path(__file__).resolve().parents[1]
    # Only a real checkout: an unrelated top-level resources/ beside an installed copy must not count.
    if (checkout / "pyproject.toml").is_file() and (checkout / "resources" / "models").is_dir():
        return checkout / "resources"
    return installed_resources() or Path(sys.prefix) / DATA_FILES


def installed_resources(distribution: str = DISTRIBUTION) -> Path | None:
    """The data-files folder as the installed distribution records it: under ``sys.prefix`` for a
    virtualenv, under the user base for ``pip install --user``, under ``--prefix`` for that."""
    try:
        dist = importlib.metadata.distribution(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None
    for file in dist.files or ():
        text = file.as_posix()
        at = text.find(DATA_FILES + "/")
        if at >= 0:
            return Path(os.path.normpath(dist.locate_file(text[: at + len(DATA_FILES)])))
    return None


def model_path(filename: str) -> Path:
    """A shipped weights file or model card, by file name."""
    override = os.environ.get(MODELS_DIR_VARIABLE)
    return (Path(override) if override else resources_dir() / "models") / filename


def sample_photo(filename: str) -> Path:
    return resources_dir() / "samples" / filename
