"""``scratches``: dust and scratches found and inpainted.

Sizes below are given for a photo of short side 256 px and grow with the photo (a scan's
dust is as large, relative to the picture, as the print's). A photo larger than
:data:`DETECT_SIDE` is searched on a reduced copy and the mask enlarged.

1. A light blur (σ 0.7 px) takes the peaks off the grain.
2. Morphological top-hat (bright) and black-hat (dark) residuals with a 9 px square: what the
   square cannot fit inside, i.e. thin lines and small specks, with their contrast.
3. Thresholds follow the residual's own robust spread (grain and texture): *candidates* are
   above the low one, *strong* pixels above the high one. A candidate also has at least half
   the residual of its neighbourhood's peak, so the soft edge of a defect is left out (the
   inpainting grows the mask by a pixel anyway).
4. **Scratches** are straight: line segments through the strong pixels (probabilistic Hough,
   at least a quarter of the short side long). A segment is kept when, across it, the
   residual is a thin ridge: its median on the line at least :data:`LINE_CONTRAST` times the
   residual beside it, and more so the wider the ridge is (natural bars and edges are wide and
   have texture beside them). A scratch lies on the picture, so two more tests keep the
   picture's own lines: a segment running along the photo's edge is its frame (a border, a
   mount, the scan's edge; :data:`FRAME_MARGIN`), and a line whose two sides differ more than
   its own contrast parts two regions, as a sign's rim or a shadow's edge does
   (:data:`SIDE_MATCH`). A kept line is followed past the segment's ends along the
   candidates, so a scratch is taken whole where it crosses a darker or busier part.
5. **Specks** are compact candidate blobs, no larger than the square, with a strong pixel,
   whose peak residual is :data:`SPECK_CONTRAST` times the residual around them (which tells
   a speck from texture).

The mask, grown by a pixel, is filled by ``cv2.inpaint`` (Telea's fast marching, or
Navier–Stokes with :data:`METHOD`); on a large photo the fill comes from a reduced copy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from plugins.markers import hookimpl
from plugins.restore.base import Restorer
from plugins.restore.scale import enlarge, enlarge_mask, reduce, reduction
from plugins.types import RestoreResult, RestorerInfo

BASE_SIDE = 256
"""The short side (px) the sizes below are given at."""
DETECT_SIDE = 768
"""Defects are searched on a copy of at most this short side (px)."""
SQUARE = 9
"""Side (px) of the square the residuals are taken with."""
BLUR = 0.7
"""σ (px) of the blur before detection."""
LOW_SPREADS, HIGH_SPREADS = 1.75, 3.0
"""Candidate and strong thresholds: the residual's median plus these multiples of its robust spread …"""
LOW_MIN, HIGH_MIN = 4.0, 10.0
"""… and at least these (L*), at strength 0.5; strength 0..1 scales both by 1.5..0.5."""
HALF_PEAK = 0.5
"""A candidate's residual is at least this share of the highest one within 2 px."""
MIN_LENGTH, MAX_GAP = 0.25, 0.04
"""A scratch's segment is at least this long, with gaps at most this long (shares of the short side)."""
MIN_ON = 0.3
"""Strong pixels per pixel of a segment's length, at least."""
LINE_CONTRAST = 1.5
"""A scratch's median residual over the 75th percentile of the residual 2-5 px beside it, at least …"""
CONTRAST_PER_WIDTH = 0.7
"""… and at least this times its width (candidate pixels across it)."""
FRAME_MARGIN = 6
"""A line with both ends this close (px) to the same edge of the photo runs along its frame: a
border, a mount's edge or the scan's edge, which is kept, not a scratch."""
SIDE_MATCH = 1.0
"""A scratch's two sides differ (median over its length) by at most this times its own contrast."""
FOLLOW_GAP = 3
"""A kept line is followed along the candidates across gaps up to this long (px)."""
SPECK_FILL = 0.3
"""A speck covers at least this much of its bounding box."""
SPECK_CONTRAST = 6.0
"""A speck's peak residual over the mean residual around it (a window 4 squares wide), at least."""
DEFAULT_STRENGTH = 0.5
INPAINT_RADIUS = 3
FILL_PIXELS = 1_000_000
"""Larger photos are filled on a reduced copy of about this many pixels."""
METHOD = "telea"  # or "ns": Navier–Stokes
MIN_DEFECT_SHARE = 0.02
"""``auto`` runs the step when defects cover at least this share of the photo. On the
validation photos, what is found on an undamaged photo (thin natural lines and dots) covers a
median 1.1 % (18 % of the photos reach 2 %); on one scratched and dusted by
:mod:`plugins.restore.degrade`, 2.7-10 % (95 % reach 2 %)."""


@dataclass(frozen=True)
class Defects:
    mask: np.ndarray
    """``bool (H, W)``: the defect pixels found (before growing them for inpainting)."""
    scratches: int
    specks: int


def find_defects(lightness: np.ndarray, strength: float = DEFAULT_STRENGTH) -> Defects:
    """The dust and scratches of ``lightness`` (``float32 (H, W)``, L* 0..100)."""
    factor = reduction(lightness.shape, max_short_side=DETECT_SIDE)
    work = reduce(lightness, factor)
    mask, scratches, specks = _detect(work, strength)
    return Defects(enlarge_mask(mask, lightness.shape), scratches, specks)


def _odd(size: float) -> int:
    return max(3, 2 * int(round(size / 2)) + 1)


def _detect(image: np.ndarray, strength: float) -> tuple[np.ndarray, int, int]:
    import cv2

    unit = min(image.shape) / BASE_SIDE
    side = _odd(SQUARE * unit)
    smooth = cv2.GaussianBlur(image, (0, 0), BLUR * unit)
    factor = 1.5 - float(np.clip(strength, 0.0, 1.0))
    square = cv2.getStructuringElement(cv2.MORPH_RECT, (side, side))
    neighbourhood = np.ones((_odd(5 * unit),) * 2, np.uint8)
    step = max(1, max(image.shape) // 512)
    mask = np.zeros(image.shape, bool)
    scratches = specks = 0
    for operation in (cv2.MORPH_TOPHAT, cv2.MORPH_BLACKHAT):  # bright, then dark defects
        residual = cv2.morphologyEx(smooth, operation, square)
        sample = residual[::step, ::step]
        center = float(np.median(sample))
        spread = 1.4826 * float(np.median(np.abs(sample - center)))  # grain and texture, robustly
        low = factor * max(LOW_MIN, center + LOW_SPREADS * spread)
        high = factor * max(HIGH_MIN, center + HIGH_SPREADS * spread)
        candidates = (residual > low) & (residual >= HALF_PEAK * cv2.dilate(residual, neighbourhood))
        strong = candidates & (residual > high)
        # the picture without its thin features of this polarity (the opening, or the closing)
        beneath = smooth - residual if operation == cv2.MORPH_TOPHAT else smooth + residual
        lines, found_lines = _scratches(beneath, residual, candidates, strong, unit)
        dots, found_dots = _specks(residual, candidates, strong, side)
        mask |= lines | dots
        scratches += found_lines
        specks += found_dots
    return mask, scratches, specks


def _across(residual: np.ndarray, start: np.ndarray, direction: np.ndarray, steps: np.ndarray,
            offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pixels of ``residual`` along a line (rows: ``steps`` px from ``start``) and across it (columns: ``offsets`` px).

    Returns their rows and columns, ``int (len(steps), len(offsets))`` clipped to the image, and whether each lies inside."""
    normal = np.array([-direction[1], direction[0]])
    points = start + steps[:, None, None] * direction + offsets[None, :, None] * normal
    cols, rows = np.rint(points[..., 0]).astype(int), np.rint(points[..., 1]).astype(int)
    inside = (rows >= 0) & (rows < residual.shape[0]) & (cols >= 0) & (cols < residual.shape[1])
    return np.clip(rows, 0, residual.shape[0] - 1), np.clip(cols, 0, residual.shape[1] - 1), inside


def _sides_match(beneath: np.ndarray, rows: np.ndarray, cols: np.ndarray, inside: np.ndarray,
                 left: np.ndarray, right: np.ndarray, contrast: float) -> bool:
    """Whether the picture is alike on the two sides of a line of residual ``contrast`` (``rows``,
    ``cols`` as from :func:`_across`): a scratch lies on the picture, which goes on beneath it,
    while many of the picture's own thin lines part two different regions (a sign's rim, a
    shadow's edge). The sides are read off ``beneath``, the picture without its thin lines and
    specks, so that a second scratch beside the first does not count."""
    whole = inside[:, left].all(axis=1) & inside[:, right].all(axis=1)
    if not whole.any():
        return True
    one = beneath[rows[whole][:, left], cols[whole][:, left]].mean(axis=1)
    other = beneath[rows[whole][:, right], cols[whole][:, right]].mean(axis=1)
    return float(np.median(np.abs(one - other))) <= SIDE_MATCH * contrast


def _follow(near: np.ndarray, end: np.ndarray, direction: np.ndarray, gap: float) -> float:
    """How far (px) the candidates go on from ``end`` along ``direction``, across gaps up to ``gap``."""
    reach = np.arange(1, int(np.hypot(*near.shape)) + 1, dtype=np.float64)
    rows, cols, inside = _across(near, end, direction, reach, np.zeros(1))
    on = near[rows[:, 0], cols[:, 0]] & inside[:, 0]
    if not inside[:, 0].all():
        on[np.argmin(inside[:, 0]):] = False
    hits = np.flatnonzero(on)
    if hits.size == 0 or hits[0] + 1 > gap:
        return 0.0
    jumps = np.flatnonzero(np.diff(hits) > gap)
    return float(reach[hits[jumps[0]] if jumps.size else hits[-1]])


def _along_frame(ends: np.ndarray, shape: tuple[int, int], margin: float) -> bool:
    """Whether both ``ends`` (``(2, 2)``: x, y) lie within ``margin`` px of the same edge of a photo of ``shape``."""
    h, w = shape
    x, y = ends[:, 0], ends[:, 1]
    return bool((x <= margin).all() or (x >= w - 1 - margin).all() or (y <= margin).all() or (y >= h - 1 - margin).all())


def _scratches(beneath: np.ndarray, residual: np.ndarray, candidates: np.ndarray, strong: np.ndarray,
               unit: float) -> tuple[np.ndarray, int]:
    import cv2

    short = min(residual.shape)
    min_length = MIN_LENGTH * short
    segments = cv2.HoughLinesP(strong.astype(np.uint8), 1, np.pi / 360, max(1, int(0.5 * min_length)),
                               minLineLength=min_length, maxLineGap=MAX_GAP * short)
    lines = np.zeros(residual.shape, np.uint8)
    if segments is None:
        return lines.astype(bool), 0
    half_width = max(1, int(round(unit)))
    reach = half_width + max(1, round(4 * unit))
    offsets = np.arange(-reach, reach + 1, dtype=np.float64)
    on_line = np.abs(offsets) <= half_width
    beside = ~on_line  # 2-5 px away
    flank = np.abs(offsets) - half_width
    left = (offsets < 0) & (flank >= round(2 * unit)) & (flank <= round(3 * unit))
    right = (offsets > 0) & (flank >= round(2 * unit)) & (flank <= round(3 * unit))
    near = cv2.dilate(candidates.astype(np.uint8), np.ones((2 * half_width + 1,) * 2, np.uint8)).astype(bool)
    count = 0
    for x1, y1, x2, y2 in segments.reshape(-1, 4).astype(np.float64):
        start, length = np.array([x1, y1]), float(np.hypot(x2 - x1, y2 - y1))
        direction = np.array([x2 - x1, y2 - y1]) / length
        if _along_frame(np.array([[x1, y1], [x2, y2]]), residual.shape, FRAME_MARGIN * unit):
            continue
        rows, cols, inside = _across(residual, start, direction, np.arange(0.0, length + 1.0), offsets)
        centre = rows[:, len(offsets) // 2], cols[:, len(offsets) // 2]
        if lines[centre].mean() > 0.8:  # a parallel segment of a scratch already kept
            continue
        ridge = residual[rows[:, on_line], cols[:, on_line]][inside[:, on_line]]
        side_values = residual[rows[:, beside], cols[:, beside]][inside[:, beside]]
        if ridge.size == 0 or side_values.size == 0:
            continue
        strong_across = (strong[rows[:, on_line], cols[:, on_line]] & inside[:, on_line]).sum(axis=1).mean() / unit
        width = (candidates[rows[:, on_line], cols[:, on_line]] & inside[:, on_line]).sum(axis=1).mean() / unit
        contrast = float(np.median(ridge)) / max(float(np.percentile(side_values, 75)), 1e-3)
        if strong_across < MIN_ON or contrast < LINE_CONTRAST or contrast < CONTRAST_PER_WIDTH * width:
            continue
        if not _sides_match(beneath, rows, cols, inside, left, right, float(np.median(ridge))):
            continue
        back = _follow(near, start, -direction, FOLLOW_GAP * unit)
        ahead = _follow(near, start + length * direction, direction, FOLLOW_GAP * unit)
        first, last = start - back * direction, start + (length + ahead) * direction
        cv2.line(lines, tuple(int(v) for v in np.rint(first)), tuple(int(v) for v in np.rint(last)), 1, 2 * half_width + 1)
        count += 1
    return candidates & lines.astype(bool), count


def _specks(residual: np.ndarray, candidates: np.ndarray, strong: np.ndarray, side: int) -> tuple[np.ndarray, int]:
    import cv2

    count, labels, stats, centroids = cv2.connectedComponentsWithStats(candidates.astype(np.uint8), connectivity=8)
    if count <= 1:
        return np.zeros(residual.shape, bool), 0
    has_strong = np.zeros(count, bool)
    has_strong[np.unique(labels[strong])] = True
    width, height = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    area = stats[:, cv2.CC_STAT_AREA]
    peak = np.zeros(count, np.float32)
    inside = labels > 0
    np.maximum.at(peak, labels[inside], residual[inside])
    window = 4 * side + 1
    around = cv2.blur(residual, (window, window))
    cy = np.clip(np.rint(centroids[:, 1]).astype(int), 0, residual.shape[0] - 1)
    cx = np.clip(np.rint(centroids[:, 0]).astype(int), 0, residual.shape[1] - 1)
    speck = (has_strong & (np.maximum(width, height) <= side) & (area >= SPECK_FILL * width * height)
             & (peak >= SPECK_CONTRAST * around[cy, cx]))
    speck[0] = False
    return speck[labels], int(speck.sum())


def inpaint(lightness: np.ndarray, mask: np.ndarray, method: str = METHOD) -> np.ndarray:
    """``lightness`` with the ``mask``ed pixels (grown by one) filled from around them.

    A photo larger than :data:`FILL_PIXELS` is filled on a reduced copy, enlarged into the
    masked pixels only: a fill has no detail to lose, and this is many times faster."""
    import cv2

    lightness = np.ascontiguousarray(lightness, dtype=np.float32)
    grown = cv2.dilate(mask.astype(np.uint8), np.ones((3, 3), np.uint8))
    flag = cv2.INPAINT_NS if method == "ns" else cv2.INPAINT_TELEA
    factor = reduction(lightness.shape, max_pixels=FILL_PIXELS)
    if factor <= 1.0:
        filled = cv2.inpaint(lightness, grown, INPAINT_RADIUS, flag)
    else:
        small = reduce(lightness, factor)
        small_mask = cv2.dilate((reduce(grown, factor) > 0).astype(np.uint8), np.ones((3, 3), np.uint8))
        fill = enlarge(cv2.inpaint(small, small_mask, INPAINT_RADIUS, flag), lightness.shape)
        filled = lightness.copy()
        np.copyto(filled, fill, where=grown.astype(bool))
    return np.clip(filled, 0.0, 100.0).astype(np.float32)


class Scratches(Restorer):
    info = RestorerInfo(
        id="scratches",
        name="Dust and scratches",
        version="1.2.0",
        license="Apache-2.0",
        description="Thin bright or dark lines and specks: found by shape, filled from around them",
    )

    def __init__(self) -> None:
        self._last: tuple[np.ndarray, float, Defects] | None = None  # assess's detection, reused by restore

    def _detect(self, lightness: np.ndarray, strength: float) -> Defects:
        if self._last is not None and self._last[0] is lightness and self._last[1] == strength:
            return self._last[2]
        defects = find_defects(lightness, strength)
        self._last = (lightness, strength, defects)
        return defects

    def assess(self, lightness: np.ndarray) -> float | None:
        defects = self._detect(lightness, DEFAULT_STRENGTH)
        return DEFAULT_STRENGTH if defects.mask.mean() >= MIN_DEFECT_SHARE else None

    def restore(self, lightness: np.ndarray, strength: float | None) -> RestoreResult:
        strength = DEFAULT_STRENGTH if strength is None else float(strength)
        defects = self._detect(lightness, strength)
        self._last = None
        note = (f"scratches: {defects.scratches} scratch(es) and {defects.specks} speck(s), "
                f"{100 * defects.mask.mean():.2f} % of the photo")
        if not defects.mask.any():
            return RestoreResult(np.array(lightness, dtype=np.float32), defects.mask, (note,))
        return RestoreResult(inpaint(lightness, defects.mask), defects.mask, (note,))


@hookimpl
def register_restorers():
    return [Scratches]
