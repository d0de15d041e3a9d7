"""Self-contained training checkpoints (inside the run dir; never shipped).

A checkpoint holds only tensors and plain Python values, so it loads with
``torch.load(weights_only=True)``: model_args (the backend and its config as a
dict), the run's arguments, model/optimizer/scheduler/scaler states, step,
epoch, the best validation PSNR and every RNG state.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import torch


def rng_state() -> dict:
    np_state = np.random.get_state()
    state = {
        "python": random.getstate(),
        "numpy": [np_state[0], torch.from_numpy(np_state[1].astype(np.int64)), *map(int, np_state[2:4]), float(np_state[4])],
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    random.setstate(_tuples(state["python"]))
    name, keys, pos, has_gauss, gauss = state["numpy"]
    np.random.set_state((name, keys.numpy().astype(np.uint32), pos, has_gauss, gauss))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _tuples(x):
    return tuple(_tuples(v) for v in x) if isinstance(x, (list, tuple)) else x


def save(path: str | os.PathLike, checkpoint: dict) -> None:
    """Write atomically: a crash mid-write never leaves a truncated file at ``path``."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(checkpoint, tmp)
    os.replace(tmp, path)


def load(path: str | os.PathLike) -> dict:
    return torch.load(path, map_location="cpu", weights_only=True)
