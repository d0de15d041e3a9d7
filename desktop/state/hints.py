"""A photo's color hints as the user edits them, with undo and redo; and the suggested colors at a point.

A hint is a point in the photo's full-resolution pixels (0 at the center of the top-left pixel,
as ``plugins.types.ColorHint`` counts), a color ``#rrggbb`` (only its chroma counts: the lightness
stays the photo's) and a radius in full-resolution pixels. The same fields as a line of
``tinct colorize --hints HINTS.json``. No Qt and no model code here.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from plugins.types import ColorHint

HEX_COLOR = re.compile(r"^#[0-9a-f]{6}$")
DEFAULT_RADIUS_SHARE = 0.012
"""A new hint's radius as a share of the photo's long side: a few working-size pixels, a small patch."""
MAX_RADIUS_SHARE = 0.1
HISTORY_LIMIT = 200
RECENT_COLORS = 12
SIMILAR_DELTA = 4.0
"""Suggested colors closer than this in a*b* are one suggestion."""


@dataclass(frozen=True)
class Hint:
    x: float
    y: float
    color: str
    """``#rrggbb``, lower case."""
    radius: float

    def __post_init__(self) -> None:
        color = str(self.color).lower()
        if not HEX_COLOR.match(color):
            raise ValueError(f"a color is written #rrggbb, not {self.color!r}")
        values = (float(self.x), float(self.y), float(self.radius))
        if not all(math.isfinite(v) for v in values) or values[2] < 0:
            raise ValueError("a hint's x, y and radius are finite numbers, the radius at least 0")
        for name, value in zip(("x", "y", "radius"), values):
            object.__setattr__(self, name, value)
        object.__setattr__(self, "color", color)

    def color_hint(self) -> ColorHint:
        """The hint as the plugin API takes it (its chroma only)."""
        return ColorHint.from_hex(self.x, self.y, self.color, self.radius)

    def to_json(self) -> dict:
        return {"x": self.x, "y": self.y, "color": self.color, "radius": self.radius}


def hint_from_json(raw: object) -> Hint | None:
    """A hint from ``{"x", "y", "color", "radius"}``; None for anything else (a damaged entry is dropped alone)."""
    if not isinstance(raw, dict):
        return None
    try:
        return Hint(raw["x"], raw["y"], raw["color"], raw.get("radius", 0.0))
    except (KeyError, TypeError, ValueError):
        return None


def default_radius(size: tuple[int, int]) -> float:
    """A new hint's radius for a photo of ``size`` ``(width, height)``, in full-resolution px."""
    return max(1.0, round(DEFAULT_RADIUS_SHARE * max(size)))


def max_radius(size: tuple[int, int]) -> float:
    return max(2.0, round(MAX_RADIUS_SHARE * max(size)))


def clamp_point(x: float, y: float, size: tuple[int, int]) -> tuple[float, float]:
    """``(x, y)`` moved into a photo of ``size`` ``(width, height)``: ``0..W-1`` and ``0..H-1``."""
    width, height = size
    return min(max(x, 0.0), width - 1.0), min(max(y, 0.0), height - 1.0)


class HintEdits:
    """One photo's hints and their history: each edit can be undone and redone.

    ``version`` grows with every change (undo and redo included), so whoever shows the
    hints can tell whether what it shows is still current.
    """

    def __init__(self, hints: Iterable[Hint] = ()):
        self.hints: tuple[Hint, ...] = tuple(hints)
        self.version = 0
        self._done: list[tuple[Hint, ...]] = []  # the states before each edit
        self._undone: list[tuple[Hint, ...]] = []

    def __len__(self) -> int:
        return len(self.hints)

    def color_hints(self) -> tuple[ColorHint, ...]:
        return tuple(hint.color_hint() for hint in self.hints)

    # -- edits -----------------------------------------------------------------------------------
    def add(self, hint: Hint) -> int:
        """Add ``hint`` last (it wins where it overlaps others); returns its index."""
        self._change(self.hints + (hint,))
        return len(self.hints) - 1

    def move(self, index: int, x: float, y: float, record: bool = True) -> None:
        """Move hint ``index``; ``record=False`` folds the move into the last edit (the rest of a drag)."""
        self._replace(index, record, x=x, y=y)

    def recolor(self, index: int, color: str) -> None:
        self._replace(index, True, color=color)

    def resize(self, index: int, radius: float, record: bool = True) -> None:
        self._replace(index, record, radius=radius)

    def remove(self, index: int) -> None:
        if 0 <= index < len(self.hints):
            self._change(self.hints[:index] + self.hints[index + 1:])

    def clear(self) -> None:
        if self.hints:
            self._change(())

    def reset(self, hints: Sequence[Hint]) -> None:
        """Start over with ``hints`` and no history (a reopened session)."""
        self.hints, self._done, self._undone = tuple(hints), [], []
        self.version += 1

    def _replace(self, index: int, record: bool, **changes) -> None:
        if not 0 <= index < len(self.hints):
            return
        changed = replace(self.hints[index], **changes)
        if changed == self.hints[index]:
            return
        hints = self.hints[:index] + (changed,) + self.hints[index + 1:]
        if record or not self._done:
            self._change(hints)
        else:
            self.hints = hints
            self.version += 1

    def _change(self, hints: tuple[Hint, ...]) -> None:
        self._done = [*self._done, self.hints][-HISTORY_LIMIT:]
        self._undone = []
        self.hints = hints
        self.version += 1

    # -- history ---------------------------------------------------------------------------------
    @property
    def can_undo(self) -> bool:
        return bool(self._done)

    @property
    def can_redo(self) -> bool:
        return bool(self._undone)

    def undo(self) -> bool:
        if not self._done:
            return False
        self._undone.append(self.hints)
        self.hints = self._done.pop()
        self.version += 1
        return True

    def redo(self) -> bool:
        if not self._undone:
            return False
        self._done.append(self.hints)
        self.hints = self._undone.pop()
        self.version += 1
        return True


# -- suggested colors ----------------------------------------------------------------------------


def disc_mean_ab(ab: np.ndarray, x: float, y: float, radius: float, size: tuple[int, int]) -> tuple[float, float]:
    """The mean a*b* of a working-size ``ab (h, w, 2)`` over a full-resolution disc (photo ``size`` ``(W, H)``)."""
    h, w = ab.shape[:2]
    width, height = size
    sx, sy = w / width, h / height
    cx, cy = (x + 0.5) * sx - 0.5, (y + 0.5) * sy - 0.5
    r = max(radius * sx, 0.5)
    top, bottom = max(0, math.floor(cy - r)), min(h - 1, math.ceil(cy + r))
    left, right = max(0, math.floor(cx - r)), min(w - 1, math.ceil(cx + r))
    rows, cols = np.mgrid[top:bottom + 1, left:right + 1]
    inside = (rows - cy) ** 2 + (cols - cx) ** 2 <= r * r
    patch = ab[top:bottom + 1, left:right + 1]
    values = patch[inside] if inside.any() else ab[min(max(round(cy), 0), h - 1), min(max(round(cx), 0), w - 1)][None]
    a, b = values.reshape(-1, 2).mean(axis=0)
    return float(a), float(b)


def lightness_at(lightness: np.ndarray, x: float, y: float, size: tuple[int, int]) -> float:
    """L* of a preview ``lightness (h, w)`` at the full-resolution point ``(x, y)`` of a photo of ``size``."""
    h, w = lightness.shape
    width, height = size
    row = min(max(round((y + 0.5) * h / height - 0.5), 0), h - 1)
    col = min(max(round((x + 0.5) * w / width - 0.5), 0), w - 1)
    return float(lightness[row, col])


def lab_hex(lightness: float, a: float, b: float) -> str:
    """``#rrggbb`` of the Lab color (clipped into sRGB)."""
    from plugins.color import lab_to_srgb  # imports OpenCV

    rgb = lab_to_srgb(np.array([[[lightness, a, b]]], np.float32))[0, 0]
    return "#" + "".join(f"{round(float(v) * 255):02x}" for v in rgb)


def hex_ab(color: str) -> tuple[float, float]:
    return ColorHint.from_hex(0, 0, color).ab


def suggested_colors(samples_ab: Sequence[np.ndarray], lightness: np.ndarray, hint: Hint,
                     size: tuple[int, int]) -> list[str]:
    """The colors the samples have at ``hint`` (its disc), at the photo's lightness there, near-duplicates merged.

    ``samples_ab`` are the backend's own working-size chromas (before any hint), in the
    order to show; ``lightness`` is the photo's preview L*; ``size`` its full resolution.
    """
    lightness_here = lightness_at(lightness, hint.x, hint.y, size)
    found: list[tuple[float, float]] = []
    for ab in samples_ab:
        a, b = disc_mean_ab(ab, hint.x, hint.y, hint.radius, size)
        if all(math.hypot(a - fa, b - fb) >= SIMILAR_DELTA for fa, fb in found):
            found.append((a, b))
    return [lab_hex(lightness_here, a, b) for a, b in found]


def with_recent(recent: Sequence[str], color: str, limit: int = RECENT_COLORS) -> list[str]:
    """``recent`` with ``color`` first (once)."""
    color = color.lower()
    return [color, *[c for c in recent if c != color]][:limit]


@dataclass(frozen=True, eq=False)
class Reference:
    """A photo to take colors from: its file, and once read, its Lab (small) and a preview to show."""

    path: Path
    lab: np.ndarray | None = None
    """Lab ``float32 (h, w, 3)``, the short side at most ``REFERENCE_SIDE``; None while it is being read."""
    preview: np.ndarray | None = None
    """``uint8 (h, w, 3)`` sRGB to show beside the photo."""


REFERENCE_SIDE = 512
"""The short side a reference is read at: its color statistics need no more (runs shrink it to their working size)."""
