"""Checking and reading weights files: safetensors only, sha256-verified."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from plugins.errors import WeightsError
from plugins.types import WeightsFile

if TYPE_CHECKING:
    import numpy as np
    import torch

_digest_cache: dict[tuple[str, int, int], str] = {}
_cache_lock = threading.Lock()


def user_models_dir() -> Path:
    """The user's models folder, for weights too large for a plugin's wheel.

    A plugin declares such a file as ``WeightsFile(user_models_dir() / "name.safetensors", sha256)``;
    the user brings it with ``tinct models add FILE``, which checks the sha256 and copies it here.
    """
    import platformdirs

    return Path(platformdirs.user_data_dir("tinct", appauthor=False)) / "models"


def sha256_of(path: Path) -> str:
    """The file's sha256, remembered per (path, size, mtime) so a second check is free."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    with _cache_lock:
        if key in _digest_cache:
            return _digest_cache[key]
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    hexdigest = digest.hexdigest()
    with _cache_lock:
        _digest_cache[key] = hexdigest
    return hexdigest


def verify(file: WeightsFile | str | os.PathLike, sha256: str | None = None) -> str:
    """Raise :class:`WeightsError` unless the file exists, is readable and matches its sha256;
    return its sha256.

    ``file`` is a :class:`WeightsFile`, or a path with the ``sha256`` it must have. A path without
    one is only checked for being there and readable, and its digest returned (what to write into
    the plugin's ``WeightsFile``).
    """
    if isinstance(file, WeightsFile):
        path, expected = file.path, file.sha256
    else:
        path, expected = Path(file), None if sha256 is None else WeightsFile(Path(file), sha256).sha256
    if not path.is_file():
        raise WeightsError(f"weights file {path.name} is missing (expected at {path})")
    if not os.access(path, os.R_OK):
        raise WeightsError(f"weights file {path.name} is not readable")
    actual = sha256_of(path)
    if expected is not None and actual != expected:
        raise WeightsError(
            f"weights file {path.name} is corrupt or the wrong version: "
            f"sha256 {actual[:12]}… does not match the expected {expected[:12]}…"
        )
    return actual


def load_arrays(file: WeightsFile) -> dict[str, "np.ndarray"]:
    """Verify ``file`` and read its tensors with safetensors as numpy arrays: for backends without torch."""
    from safetensors.numpy import load_file

    verify(file)
    try:
        return load_file(str(file.path))
    except Exception as error:  # safetensors raises its own error types for bad headers
        raise WeightsError(f"weights file {file.path.name} cannot be read: {error}") from error


def load_state_dict(file: WeightsFile, device: str = "cpu") -> dict[str, "torch.Tensor"]:
    """Verify ``file`` and read its tensors with safetensors onto ``device`` (never unpickles)."""
    from safetensors.torch import load_file

    verify(file)
    try:
        return load_file(str(file.path), device=device)
    except Exception as error:  # safetensors raises its own error types for bad headers
        raise WeightsError(f"weights file {file.path.name} cannot be read: {error}") from error
