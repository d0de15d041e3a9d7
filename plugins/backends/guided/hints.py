"""The user's :class:`plugins.ColorHint` list → the guided model's hint inputs at working size."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from plugins.types import ColorHint


def rasterize_hints(hints: Sequence[ColorHint], full_shape: tuple[int, ...],
                    small_shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Hints in the pixels of a photo of ``full_shape`` ``(H, W)`` → a hint map ``float32 (h, w, 2)``
    (each hint's a*, b* over its disc, 0 elsewhere) and a mask ``float32 (h, w)`` (1 on the discs)
    at ``small_shape`` ``(h, w)``.

    The discs are the host's (:func:`plugins.host.hints.hint_targets`): the pixels within the
    scaled radius, and always the nearest one; where hints overlap the later one wins.
    """
    from plugins.host.hints import hint_targets, scale_hints  # scipy and OpenCV: only once hints are given

    shape = tuple(small_shape[:2])
    if not hints:
        return np.zeros(shape + (2,), np.float32), np.zeros(shape, np.float32)
    mask, ab = hint_targets(scale_hints(hints, full_shape, shape), shape)
    return ab, mask.astype(np.float32)
