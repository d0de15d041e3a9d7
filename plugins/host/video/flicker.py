"""Flicker as Lai et al. (2018, *Learning blind video temporal consistency*) measure it: the warping error."""

from __future__ import annotations

import numpy as np

from plugins.host.video.flow import warp


def warping_error(current: np.ndarray, following: np.ndarray, flow: np.ndarray, valid: np.ndarray) -> float:
    """Mean over the ``valid`` pixels of ``‖current(x) − following(x + flow(x))‖²``, summed over channels.

    ``current`` and ``following`` are frames t and t+1 (e.g. ab, ``(H, W, C)``), ``flow`` the flow of
    the input from t to t+1 at their size and ``valid`` (``bool (H, W)``) the pixels of t not occluded
    in t+1. Lai et al. average this over a clip's frame pairs.
    """
    if not valid.any():
        raise ValueError("no valid pixels to compare")
    difference = np.asarray(current, np.float32) - warp(np.asarray(following, np.float32), flow)
    squared = (difference * difference).reshape(valid.shape + (-1,)).sum(axis=-1)
    return float(squared[valid].mean())
