"""The combine mask: which sample each part of the photo takes its color from.

All samples of a run share the photo's lightness, so mixing their chroma (ab)
with smooth weights and merging the mix onto L stays seamless: there is no seam
in brightness to hide. The mask lives at the preview's resolution; strokes are
stored in photo-relative units so that undo/redo simply replays them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import cv2
import numpy as np

from plugins.host.merge import upsample_ab


@dataclass(frozen=True)
class Stroke:
    """A brush stroke painting sample ``source``.

    ``points`` are ``(x, y)`` in 0..1 of the photo's width and height, ``radius``
    is a fraction of the photo's long side and ``softness`` the fraction of the
    radius over which the brush fades out (0 = hard edge).
    """

    source: int
    points: tuple[tuple[float, float], ...]
    radius: float
    softness: float = 0.5


class _Clear:
    """A history entry that removes every stroke before it (undoable like a stroke)."""

    def __repr__(self) -> str:
        return "CLEAR"


CLEAR = _Clear()


@dataclass(frozen=True)
class StrokeHistory:
    """A mask's edits, enough to rebuild it: ``done`` replays in order (each a Stroke or CLEAR);
    ``undone`` is what redo brings back, the next one last."""

    done: tuple[Stroke | _Clear, ...] = ()
    undone: tuple[Stroke | _Clear, ...] = ()


class CombineMask:
    """Per-pixel weights of each sample; the base sample takes whatever is left."""

    def __init__(self, shape: tuple[int, int], base: int):
        self.shape = (int(shape[0]), int(shape[1]))
        self.base = base
        self._history: list[Stroke | _Clear] = []
        self._undone: list[Stroke | _Clear] = []
        self._weights: dict[int, np.ndarray] = {}
        self.version = 0
        """Counts edits, so a preview rendered from an older state can be recognised."""

    # -- editing ---------------------------------------------------------------
    def paint(self, stroke: Stroke) -> None:
        self._history.append(stroke)
        self._undone.clear()
        self._apply(stroke)
        self.version += 1

    def clear(self) -> None:
        if not self.is_blank:
            self._history.append(CLEAR)
            self._undone.clear()
            self._weights = {}
            self.version += 1

    def undo(self) -> bool:
        if not self._history:
            return False
        self._undone.append(self._history.pop())
        self._replay()
        self.version += 1
        return True

    def redo(self) -> bool:
        if not self._undone:
            return False
        action = self._undone.pop()
        self._history.append(action)
        self._apply(action)
        self.version += 1
        return True

    def set_base(self, base: int) -> None:
        if base != self.base:
            self.base = base
            self._replay()
            self.version += 1

    def history(self) -> StrokeHistory:
        return StrokeHistory(tuple(self._history), tuple(self._undone))

    def restore_history(self, history: StrokeHistory) -> None:
        """Replace every edit with ``history`` (undo and redo then go on from where it was saved)."""
        self._history, self._undone = list(history.done), list(history.undone)
        self._replay()
        self.version += 1

    @property
    def can_undo(self) -> bool:
        return bool(self._history)

    @property
    def can_redo(self) -> bool:
        return bool(self._undone)

    @property
    def is_blank(self) -> bool:
        return not any(np.any(w > 0) for w in self._weights.values())

    def copy(self) -> "CombineMask":
        twin = CombineMask(self.shape, self.base)
        twin._history, twin._undone = list(self._history), list(self._undone)
        twin._weights = {k: w.copy() for k, w in self._weights.items()}
        twin.version = self.version
        return twin

    # -- reading ---------------------------------------------------------------
    def sources(self) -> list[int]:
        """The samples that contribute somewhere, base first."""
        return [self.base] + sorted(k for k, w in self._weights.items() if np.any(w > 0))

    def weight(self, index: int) -> np.ndarray:
        """Float32 ``(h, w)`` weight of sample ``index``; the weights of all samples sum to 1."""
        if index == self.base:
            others = sum(self._weights.values(), np.zeros(self.shape, np.float32))
            return np.clip(1.0 - others, 0.0, 1.0).astype(np.float32)
        found = self._weights.get(index)
        return found.copy() if found is not None else np.zeros(self.shape, np.float32)

    def blend(self, lightness: np.ndarray, samples_ab: Mapping[int, np.ndarray]) -> np.ndarray:
        """The mixed chroma at the mask's size: Σ weight_k · ab_k, each ab brought up along L's edges.

        ``lightness`` is the photo's L at the mask's size; merge the result onto the
        full-resolution L with the host's ``merge``.
        """
        if lightness.shape != self.shape:
            raise ValueError(f"lightness {lightness.shape} does not match the mask {self.shape}")
        mixed = np.zeros(self.shape + (2,), np.float32)
        for index in self.sources():
            mixed += upsample_ab(lightness, samples_ab[index]) * self.weight(index)[..., None]
        return mixed

    # -- internals -------------------------------------------------------------
    def _replay(self) -> None:
        self._weights = {}
        for action in self._history:
            self._apply(action)

    def _apply(self, action: Stroke | _Clear) -> None:
        if isinstance(action, _Clear):
            self._weights = {}
            return
        found = stroke_alpha(action, self.shape)
        if found is None:
            return
        rows, cols, alpha = found
        for weights in self._weights.values():
            weights[rows, cols] *= 1.0 - alpha
        if action.source != self.base:
            target = self._weights.setdefault(action.source, np.zeros(self.shape, np.float32))
            target[rows, cols] += alpha


def stroke_alpha(stroke: Stroke, shape: tuple[int, int]) -> tuple[slice, slice, np.ndarray] | None:
    """The stroke's coverage 0..1 inside its bounding box: ``(rows, cols, alpha)``, or None if off the photo."""
    height, width = shape
    radius = max(0.5, stroke.radius * max(height, width))
    feather = max(0.0, min(1.0, stroke.softness)) * radius
    points = np.array([(x * width, y * height) for x, y in stroke.points], np.float64).reshape(-1, 2)
    if points.size == 0:
        return None
    pad = int(np.ceil(radius)) + 2
    left, top = np.floor(points.min(axis=0)).astype(int) - pad
    right, bottom = np.ceil(points.max(axis=0)).astype(int) + pad + 1
    x0, y0, x1, y1 = max(left, 0), max(top, 0), min(right, width), min(bottom, height)
    if x0 >= x1 or y0 >= y1:
        return None
    # Draw on a canvas padded to the full box, so the distance transform sees the
    # brush's own edge rather than the photo's border.
    canvas = np.zeros((bottom - top, right - left), np.uint8)
    local = np.round((points - (left, top)) * 4).astype(np.int32)  # 2 bits of sub-pixel precision
    thickness = max(1, int(round(2 * radius)))
    for a, b in zip(local[:-1], local[1:]):
        cv2.line(canvas, tuple(map(int, a)), tuple(map(int, b)), 255, thickness, cv2.LINE_8, shift=2)
    for p in local:
        cv2.circle(canvas, tuple(map(int, p)), int(round(radius * 4)), 255, -1, cv2.LINE_8, shift=2)
    if feather >= 1.0:
        inside = cv2.distanceTransform(canvas, cv2.DIST_L2, 5)
        alpha = np.clip(inside / np.float32(feather), 0.0, 1.0).astype(np.float32)
    else:
        alpha = (canvas > 0).astype(np.float32)
    alpha = alpha[y0 - top : y1 - top, x0 - left : x1 - left]
    return slice(y0, y1), slice(x0, x1), alpha
