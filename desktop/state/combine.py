"""The combine mask: which sample each part of the photo takes its color from.

All samples of a run share the photo's lightness, so mixing their chroma (ab)
with smooth weights and merging the mix onto L stays seamless: there is no seam
in brightness to hide. The mask lives at the preview's resolution; strokes are
stored in photo-relative units so that undo/redo simply replays them.

Edge-aware strokes (the default) follow the photo's own edges: once the mask has
the photo's lightness as its guide, each such stroke's feathered coverage is kept
only where the photo looks like what the stroke's core covers, so a stroke painted
inside an object stops at the object's outline instead of spilling a brush-wide
band of color across it (``follow_edges``; ``bench/brush_leak.py`` measures how much).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import cv2
import numpy as np

from plugins.filters import guided_filter
from plugins.host.merge import upsample_ab

MIN_RADIUS, MAX_RADIUS = 0.005, 0.25
"""The brush's radius, as a fraction of the photo's long side, at the ends of its 1..100 size scale."""
DEFAULT_SIZE = 54
"""About 4 % of the long side (65 px on a 1600 px preview): a region in a few strokes. The old
default (30, 1.6 %) made a thin line at a photo's full view, and painting took many strokes."""
DEFAULT_SOFTNESS = 0.6
COVERAGE_CACHE_BYTES = 64 * 2**20


def size_to_radius(size: int) -> float:
    """The brush radius for a size on the 1..100 scale: even steps on a log scale."""
    fraction = (min(max(size, 1), 100) - 1) / 99
    return MIN_RADIUS * (MAX_RADIUS / MIN_RADIUS) ** fraction


@dataclass(frozen=True)
class Stroke:
    """A brush stroke painting sample ``source``.

    ``points`` are ``(x, y)`` in 0..1 of the photo's width and height, ``radius``
    is a fraction of the photo's long side and ``softness`` the fraction of the
    radius over which the brush fades out (0 = hard edge). ``edge_aware`` snaps the
    coverage to the photo's edges, when the mask has a guide (see ``CombineMask.set_guide``).
    """

    source: int
    points: tuple[tuple[float, float], ...]
    radius: float
    softness: float = 0.5
    edge_aware: bool = True


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

    def __init__(self, shape: tuple[int, int], base: int, guide: np.ndarray | None = None):
        """``guide``: the photo's lightness (L* 0..100) that edge-aware strokes snap to; see ``set_guide``."""
        self.shape = (int(shape[0]), int(shape[1]))
        self.base = base
        self._history: list[Stroke | _Clear] = []
        self._undone: list[Stroke | _Clear] = []
        self._weights: dict[int, np.ndarray] = {}
        self._guide: np.ndarray | None = None
        self._coverage: dict[Stroke, tuple] = {}  # each stroke's coverage, so undo's replay does not redo the work
        self.version = 0
        """Counts edits, so a preview rendered from an older state can be recognised."""
        if guide is not None:
            self.set_guide(guide)

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

    def set_guide(self, lightness: np.ndarray | None) -> None:
        """The photo's lightness (L* 0..100, any size: it is resized to the mask's) that edge-aware strokes
        snap to. Setting a new guide replays the strokes, so those painted before it was there snap too."""
        guide = None if lightness is None else _guide_image(lightness, self.shape)
        if guide is None and self._guide is None:
            return
        if guide is not None and self._guide is not None and np.array_equal(guide, self._guide):
            return
        self._guide = guide
        self._coverage = {}
        if any(isinstance(action, Stroke) and action.edge_aware for action in self._history):
            self._replay()
            self.version += 1

    @property
    def has_guide(self) -> bool:
        return self._guide is not None

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
        twin._guide = self._guide  # never written to in place: shared, like the coverage of each stroke
        twin._coverage = dict(self._coverage)
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

    def _remember(self, stroke: Stroke, found) -> None:
        """Keep the coverage of the latest strokes, up to COVERAGE_CACHE_BYTES (replaying the rest recomputes it)."""
        if found is None:
            return
        self._coverage[stroke] = found
        total = sum(alpha.nbytes for _rows, _cols, alpha in self._coverage.values())
        while total > COVERAGE_CACHE_BYTES and len(self._coverage) > 1:
            oldest = next(iter(self._coverage))
            total -= self._coverage.pop(oldest)[2].nbytes

    def _apply(self, action: Stroke | _Clear) -> None:
        if isinstance(action, _Clear):
            self._weights = {}
            return
        found = self._coverage.get(action)
        if found is None:
            found = stroke_alpha(action, self.shape, self._guide if action.edge_aware else None)
            self._remember(action, found)
        if found is None:
            return
        rows, cols, alpha = found
        for weights in self._weights.values():
            weights[rows, cols] *= 1.0 - alpha
        if action.source != self.base:
            target = self._weights.setdefault(action.source, np.zeros(self.shape, np.float32))
            target[rows, cols] += alpha


def stroke_alpha(stroke: Stroke, shape: tuple[int, int],
                 guide: np.ndarray | None = None) -> tuple[slice, slice, np.ndarray] | None:
    """The stroke's coverage 0..1 inside its bounding box: ``(rows, cols, alpha)``, or None if off the photo.

    With ``guide`` (the photo's L* at ``shape``) the coverage follows the photo's edges:
    see :func:`follow_edges`. It never reaches past the brush.
    """
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
    inside = None
    if feather >= 1.0 or guide is not None:
        inside = cv2.distanceTransform(canvas, cv2.DIST_L2, 5)[y0 - top : y1 - top, x0 - left : x1 - left]
    if feather >= 1.0:
        alpha = np.clip(inside / np.float32(feather), 0.0, 1.0).astype(np.float32)
    else:
        alpha = (canvas[y0 - top : y1 - top, x0 - left : x1 - left] > 0).astype(np.float32)
    if guide is not None:
        alpha = follow_edges(alpha, inside, radius, guide[y0:y1, x0:x1])
    return slice(y0, y1), slice(x0, x1), alpha


# Edge-aware strokes: tuned on bench/brush_leak.py's synthetic photos only (the bench photos were held out).
CORE = 0.35
"""The stroke's core: within this many brush radii of its path, the region the user means to paint."""
TOLERANCE_SPREAD = 2.0
"""Lightness within this many standard deviations of the core's own (its texture, grain, shading) is alike."""
TOLERANCE_L = 3.0
"""Beyond that, the coverage falls off as a Gaussian of this many L* units: a step of 8 L* keeps 3 %."""


def follow_edges(alpha: np.ndarray, inside: np.ndarray, radius: float, lightness: np.ndarray) -> np.ndarray:
    """The coverage ``alpha`` kept only where the photo looks like the stroke's core, then smoothed along edges.

    ``inside`` is each pixel's distance inside the brush's outline (px), ``lightness`` the
    photo's L* there. The core (the band around the path) gives, near each pixel (within a
    brush radius), the lightness the user is painting and its spread. A pixel whose lightness
    is further from that than the spread allows (by TOLERANCE_SPREAD deviations plus a
    TOLERANCE_L Gaussian) is across an edge: it belongs to the neighbour, and keeps little
    of the stroke. So color follows the object rather than the brush's circle, like the
    auto-mask of Lightroom's brush. Last a 3×3 guided filter (L as the guide) evens out the
    grain without blurring across edges.

    A plain guided filter of the feathered coverage (the first idea) does not help: it keeps
    the local mean of the coverage, so the share spilled across an edge stays the same
    (bench/brush_leak.py measured 16.7 % against 15.5 % feathered), and it thins the paint.
    """
    core = (inside >= (1.0 - CORE) * radius).astype(np.float32)
    smooth = cv2.boxFilter(lightness, -1, (3, 3), borderType=cv2.BORDER_REFLECT)
    sums = _sums_within(np.dstack([core, smooth * core, smooth * smooth * core]), radius)
    count = sums[..., 0]
    seen = count > 1e-3
    count = np.maximum(count, 1e-3)
    mean = sums[..., 1] / count
    spread = np.sqrt(np.maximum(sums[..., 2] / count - mean * mean, 0.0))
    beyond = np.maximum(np.abs(smooth - mean) - np.float32(TOLERANCE_SPREAD) * spread, 0.0) / np.float32(TOLERANCE_L)
    kept = alpha * np.exp(-0.5 * beyond * beyond) * seen
    return _snapped(kept.astype(np.float32), lightness / np.float32(100.0), 1, 0.03**2)


def _sums_within(planes: np.ndarray, radius: float) -> np.ndarray:
    """Each plane's mean over a box of ``radius`` around every pixel (zero outside the image).

    The means change slowly (over a brush radius), so a big brush has them computed on a
    grid up to radius/8 coarser and brought back with bilinear interpolation: a long stroke
    over a 1600 px preview then takes tens of milliseconds, not hundreds."""
    height, width = planes.shape[:2]
    step = max(1, int(radius // 8))
    if step > 1:
        planes = cv2.resize(planes, (max(1, -(-width // step)), max(1, -(-height // step))), interpolation=cv2.INTER_AREA)
    window = 2 * max(1, int(round(radius / step))) + 1
    means = cv2.boxFilter(planes, -1, (window, window), borderType=cv2.BORDER_CONSTANT)
    if step > 1:
        means = cv2.resize(means, (width, height), interpolation=cv2.INTER_LINEAR)
    return means


def _snapped(source: np.ndarray, guide: np.ndarray, window: int, eps: float) -> np.ndarray:
    """The guided filter of a coverage ``source`` (0..1), clipped to 0..1 with rounding leftovers snapped."""
    refined = np.clip(guided_filter(source, guide, window, eps), 0.0, 1.0).astype(np.float32)
    refined[refined < 1e-3] = 0.0  # rounding leftovers where the window saw no stroke at all
    refined[refined > 1.0 - 1e-3] = 1.0
    return refined


def _guide_image(lightness: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    guide = np.asarray(lightness, np.float32)
    if guide.shape != shape:
        guide = cv2.resize(guide, (shape[1], shape[0]), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(guide)
