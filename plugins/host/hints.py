"""Color hints for any backend: the host spreads them over the backend's chroma, edge-aware.

After Levin, Lischinski and Weiss, *Colorization using Optimization* (SIGGRAPH 2004):
neighbouring pixels of similar lightness get similar chroma, the hints are constraints,
and the backend's chroma D is a weak data term. The unknown is the *correction* δ added
to D (so with no hints the result is D exactly, texture included); it minimizes

    Σ_(r,s neighbours) w_rs (δ_r − δ_s)²  +  Σ_r λ_r δ_r²,   with δ = hint − D inside every hint's disc.

- w_rs = exp(−max((Y_r − Y_s)², g·|∇Y|²) / σ²) on the 8-neighbour grid (Y = L/100), σ² from
  the 3×3 variance of Y as in Levin's code, floored (:data:`VARIANCE_FACTOR`, :data:`MIN_SIGMA2`),
  and |∇Y|² the larger squared Sobel gradient at the link's ends (:data:`GRADIENT_WEIGHT`):
  textured and gently shaded areas join up; strong edges separate, blurred ones too, which a
  path along the edge could otherwise climb in small steps.
- λ_r is tiny near a hint, so a hint fills its region (about :data:`REACH` short sides of
  even lightness), and grows tenfold per :data:`DECADE` of geodesic distance from the
  nearest hint (Dijkstra over the same graph, each step costing −log w_rs plus a little),
  up to :data:`LAMBDA_FAR`: across strong edges and far from every hint the backend's chroma holds.

The hints are hard constraints. The system is solved on a grid of at most :data:`SOLVE_SIDE`
px (the short side), and the correction is brought to the sample's working size with the
merge's edge-aware guided upsampling, the hints' discs then set exactly. Both chroma channels
share one sparse symmetric positive-definite matrix, factorized once per photo and set of
hints (SuperLU) and solved per sample: about 0.1 s for a photo, a few ms per further sample,
on a 2-core CPU. Pure numpy, scipy and OpenCV: no torch, nothing a backend must know about.
"""

from __future__ import annotations

import json
import math
import os
from typing import Sequence

import cv2
import numpy as np
from scipy import sparse
from scipy.sparse import csgraph
from scipy.sparse import linalg as sparse_linalg

from plugins.errors import TinctError
from plugins.host.merge import Merger
from plugins.types import ColorHint

# Tuned on 30 BSDS500 validation photos with `regression` and hints drawn as `training eval --hints`
# draws them (PSNR +0.76 dB at 2 hints, +2.11 dB at 10), under the constraint that a hint stays
# in its object (tests/test_hints.py): it fills a region bounded by a 40-L* edge blurred with
# σ = 1.3 px at the solve grid and tints the far side by under 2 %. Letting hints spread
# further scores higher (+2.65 dB at 10 hints with GRADIENT_WEIGHT 1, +3 dB without it) by
# tinting across blurred edges, and at worst whole photos. So did letting gradients up to 4 L* per px
# count for nothing (+0.24 dB at 10 hints on 100 val-extra photos, and the tests pass), but on Kodak 23
# (soft background) one yellow hint on a parrot's chest then moved the other parrot's red by 21 ab units
# on average, against 2 without.
REACH = 4.0
"""How far a hint carries across even lightness, in short sides: ``λ_near = 1 / (REACH · short side)²``."""
VARIANCE_FACTOR = 0.1
"""σ²_r = max(0.1 · the 3×3 variance of Y around r, ...): texture joins up (Levin's code uses 0.6)."""
MIN_SIGMA2 = 0.04**2
"""σ² floor in (L/100)² units: neighbours 2 L* apart keep 78 % of full weight, 8 apart 2 %."""
GRADIENT_WEIGHT = 2.0
"""A link's squared difference is at least this times the larger squared gradient (Sobel) at its
ends: a path running along a blurred edge, climbing it in small steps, still pays for crossing it."""
STEP_COST = 0.01
"""Geodesic cost of one pixel's step at 256 px working size (scaled with the size), on top of −log w."""
DECADE = 32.0
"""Geodesic distance from the nearest hint over which the data term grows tenfold."""
LAMBDA_FAR = 1.0
"""The data term's ceiling, reached far from every hint: there the backend's chroma holds."""
SOLVE_SIDE = 128
"""The short side, in px, of the grid the system is solved on: 0.1 s rather than 0.5 s at 256 px, and
bounded at any working size; on 30 validation photos it scored as well as solving at 256 px or better."""
MAX_CHROMA = 128.0  # the result stays within Lab's sRGB range; the merge clips to the gamut anyway
_DIAGONAL_WEIGHT = 0.5  # diagonal neighbours are √2 away: halved, the grid spreads nearly isotropically


def check_hints_inside(hints: Sequence[ColorHint], shape: tuple[int, ...]) -> None:
    """TinctError naming the first hint outside a photo of ``shape`` ``(H, W)``."""
    height, width = shape[:2]
    for number, hint in enumerate(hints, start=1):
        if not (0 <= hint.x <= width - 1 and 0 <= hint.y <= height - 1):
            raise TinctError(f"hint {number} at ({hint.x:g}, {hint.y:g}) lies outside the photo "
                             f"({width}×{height} px: x 0..{width - 1}, y 0..{height - 1})")


HINT_KEYS = ("x", "y", "color", "radius")


def hints_from_json(text: str) -> tuple[ColorHint, ...]:
    """Hints from JSON: a list of ``{"x": px, "y": px, "color": "#rrggbb", "radius": px}``.

    ``x`` and ``y`` are full-resolution photo pixels; ``radius`` may be left out (0: the
    nearest working-size pixel). Raises TinctError with a one-line message for anything else.
    """
    try:
        items = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as error:
        raise TinctError(f"not valid JSON: {getattr(error, 'msg', error)} (line {getattr(error, 'lineno', '?')})") from None
    if not isinstance(items, list):
        raise TinctError('hints are a JSON list of {"x": px, "y": px, "color": "#rrggbb", "radius": px}')
    hints = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise TinctError(f'hint {number} is not an object like {{"x": 10, "y": 20, "color": "#c02020", "radius": 8}}')
        unknown = sorted(set(item) - set(HINT_KEYS))
        missing = [key for key in ("x", "y", "color") if key not in item]
        if unknown or missing:
            what = f"has no {', '.join(missing)}" if missing else f"has unknown key {', '.join(map(repr, unknown))}"
            raise TinctError(f"hint {number} {what} (keys: {', '.join(HINT_KEYS)})")
        numbers = [item[key] for key in ("x", "y", "radius") if key in item]
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in numbers):
            raise TinctError(f"hint {number}: x, y and radius must be numbers")
        try:
            hints.append(ColorHint.from_hex(item["x"], item["y"], item["color"], item.get("radius", 0)))
        except ValueError as error:
            raise TinctError(f"hint {number}: {error}") from None
    return tuple(hints)


def read_hints_file(path: str | os.PathLike[str]) -> tuple[ColorHint, ...]:
    """:func:`hints_from_json` of a UTF-8 file; TinctError for a file that cannot be read."""
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read()
    except (OSError, UnicodeDecodeError) as error:
        raise TinctError(f"cannot read the hints file: {getattr(error, 'strerror', None) or error}") from None
    return hints_from_json(text)


def scale_hints(hints: Sequence[ColorHint], full_shape: tuple[int, ...], small_shape: tuple[int, ...]) -> tuple[ColorHint, ...]:
    """``hints`` in full-resolution pixels → the same hints in the pixels of an image of ``small_shape``.

    Pixel centers map onto pixel centers, as ``cv2.resize`` samples: the top-left pixel stays the
    top-left pixel and the bottom-right the bottom-right. The radius scales with the width.
    """
    (height, width), (h, w) = full_shape[:2], small_shape[:2]
    sx, sy = w / width, h / height
    return tuple(
        ColorHint(
            min(max((hint.x + 0.5) * sx - 0.5, 0.0), w - 1.0),
            min(max((hint.y + 0.5) * sy - 0.5, 0.0), h - 1.0),
            hint.ab,
            hint.radius * sx,
        )
        for hint in hints
    )


def hint_targets(hints: Sequence[ColorHint], shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Which pixels of an image of ``shape`` the hints cover, and their chroma there.

    Returns a bool mask ``(h, w)`` and float32 ab ``(h, w, 2)`` (zero outside the mask). Each
    hint covers the pixels whose centers lie within its radius, and always the nearest pixel;
    where hints overlap the later one wins.
    """
    h, w = shape
    mask = np.zeros((h, w), bool)
    ab = np.zeros((h, w, 2), np.float32)
    for hint in hints:
        r = hint.radius
        top, bottom = max(0, math.floor(hint.y - r)), min(h - 1, math.ceil(hint.y + r))
        left, right = max(0, math.floor(hint.x - r)), min(w - 1, math.ceil(hint.x + r))
        rows, cols = np.mgrid[top : bottom + 1, left : right + 1]
        disc = (rows - hint.y) ** 2 + (cols - hint.x) ** 2 <= r * r
        disc[min(max(round(hint.y), top), bottom) - top, min(max(round(hint.x), left), right) - left] = True
        mask[top : bottom + 1, left : right + 1] |= disc
        ab[top : bottom + 1, left : right + 1][disc] = hint.ab
    return mask, ab


def affinity(lightness: np.ndarray, gradient_weight: float | None = None) -> sparse.csr_matrix:
    """Levin's affinities w_rs of L* ``(h, w)`` on the 8-neighbour grid: symmetric, zero diagonal.

    ``gradient_weight`` (default :data:`GRADIENT_WEIGHT`): 0 gives Levin's own affinities, which
    let a hint climb a blurred edge in small steps."""
    if gradient_weight is None:
        gradient_weight = GRADIENT_WEIGHT
    luma = np.ascontiguousarray(lightness, dtype=np.float32) * np.float32(0.01)
    h, w = luma.shape
    n = h * w
    mean = cv2.boxFilter(luma, -1, (3, 3), borderType=cv2.BORDER_REFLECT)
    variance = np.maximum(cv2.boxFilter(luma * luma, -1, (3, 3), borderType=cv2.BORDER_REFLECT) - mean * mean, 0)
    # The 8 neighbours as 4 offsets, each edge once: right, down, down-right, down-left.
    offsets = ((0, 1, 1.0), (1, 0, 1.0), (1, 1, _DIAGONAL_WEIGHT), (1, -1, _DIAGONAL_WEIGHT))
    squared = []  # per offset: (Y_r − Y_(r + offset))² at r, inf where r + offset is off the grid
    nearest = np.full((h, w), np.inf, np.float32)  # Levin: the closest neighbour keeps a weight ≥ 0.01
    for dy, dx, _ in offsets:
        here = (slice(0, h - dy), slice(max(0, -dx), w - max(0, dx)))
        there = (slice(dy, h), slice(max(0, dx), w + min(0, dx)))
        d2 = np.full((h, w), np.inf, np.float32)
        d2[here] = (luma[here] - luma[there]) ** 2
        squared.append((here, there, d2))
        np.minimum(nearest, d2, out=nearest)
        np.minimum(nearest[there], d2[here], out=nearest[there])
    nearest[~np.isfinite(nearest)] = 0
    sigma2 = np.maximum(np.maximum(VARIANCE_FACTOR * variance, nearest / math.log(100)), MIN_SIGMA2)
    gx = cv2.Sobel(luma, -1, 1, 0, ksize=3, scale=0.125, borderType=cv2.BORDER_REFLECT)
    gy = cv2.Sobel(luma, -1, 0, 1, ksize=3, scale=0.125, borderType=cv2.BORDER_REFLECT)
    gradient2 = gx * gx + gy * gy
    bands, band_offsets = [], []
    for (dy, dx, scale), (here, there, d2) in zip(offsets, squared):
        shift = dy * w + dx
        pair_sigma2 = np.ones((h, w), np.float32)
        pair_sigma2[here] = 0.5 * (sigma2[here] + sigma2[there])
        np.maximum(d2[here], gradient_weight * np.maximum(gradient2[here], gradient2[there]), out=d2[here])
        weight = (scale * np.exp(-d2 / pair_sigma2)).ravel()  # exp(−inf) = 0 off the grid
        # Edge (r, r + shift) as two dia bands (scipy indexes a band by column).
        bands += [np.concatenate([np.zeros(shift, np.float32), weight[: n - shift]]), weight]
        band_offsets += [shift, -shift]
    return sparse.dia_matrix((np.array(bands), band_offsets), shape=(n, n)).tocsr()


def geodesic_distance(weights: sparse.csr_matrix, sources: np.ndarray, step_cost: float, limit: float) -> np.ndarray:
    """Each pixel's shortest-path distance from the nearest ``sources`` pixel (flat indices), each
    edge costing ``−log w + step_cost``; ``inf`` beyond ``limit``."""
    costs = weights.copy()
    costs.data = -np.log(np.maximum(costs.data, 1e-30)) + step_cost
    return csgraph.dijkstra(costs, directed=False, indices=sources, min_only=True, limit=limit)


def data_term(weights: sparse.csr_matrix, fixed: np.ndarray, reach: float, short: int) -> np.ndarray:
    """λ_r per unknown of a grid whose short side is ``short``: weak near a hint (in the geodesic sense
    over ``weights``), tenfold per :data:`DECADE` of distance from the nearest ``fixed`` one, up to
    :data:`LAMBDA_FAR`."""
    near = 1 / (reach * short) ** 2
    limit = DECADE * math.log10(LAMBDA_FAR / near)
    distance = geodesic_distance(weights, np.flatnonzero(fixed), STEP_COST * 256 / short, limit)
    return np.minimum(near * 10 ** (np.minimum(distance, limit) / DECADE), LAMBDA_FAR)


def factorize(weights: sparse.csr_matrix, data: np.ndarray, fixed: np.ndarray):
    """The system Σ w_rs (δ_r − δ_s)² + Σ λ_r δ_r² with the ``fixed`` unknowns pinned, factorized:
    a function of ``δ (n, 2)`` (only its fixed rows are read) → the solution ``(n, 2)``, and the
    factorization itself (the system is symmetric: it solves the adjoint too)."""
    laplacian = sparse.diags(np.asarray(weights.sum(axis=1)).ravel()) - weights
    matrix = (laplacian + sparse.diags(data)).tocsr()
    # Hard constraints, keeping the matrix symmetric: the fixed unknowns' rows and columns become
    # the identity, and what their columns contributed moves to the right-hand side.
    free = (~fixed).astype(np.float64)
    keep = sparse.diags(free)
    system = (keep @ matrix @ keep + sparse.diags(fixed.astype(np.float64))).tocsc()
    factor = sparse_linalg.splu(system, permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0,
                                options={"SymmetricMode": True})  # no pivoting: it is positive definite
    return lambda delta_fixed: factor.solve(free[:, None] * -(matrix @ delta_fixed) + delta_fixed), factor


class HintPropagator:
    """Spreads one set of hints over any number of chroma samples of one photo at one working size.

    The system depends on L and on where the hints are, not on the chroma: it is built and
    factorized once here, and each :meth:`apply` (one sample) costs two triangular solves.
    It is solved on a grid of at most :data:`SOLVE_SIDE` px on the short side; the correction
    is brought to the sample's size with the merge's edge-aware (guided) upsampling, and the
    hints' own discs are then set exactly.
    """

    def __init__(self, lightness: np.ndarray, hints: Sequence[ColorHint], reach: float | None = None) -> None:
        self.lightness = np.ascontiguousarray(lightness, dtype=np.float32)
        if self.lightness.ndim != 2 or 0 in self.lightness.shape:
            raise ValueError(f"need L (h, w), got {self.lightness.shape}")
        self.hints = tuple(hints)
        shape = self.lightness.shape
        self._mask, self._target = hint_targets(self.hints, shape)
        scale = min(1.0, SOLVE_SIDE / min(shape))
        self._grid = (max(1, round(shape[0] * scale)), max(1, round(shape[1] * scale)))
        self._upsampler = Merger(self.lightness, "guided") if self._grid != shape else None
        grid_lightness = shrink_lightness(self.lightness, self._grid)
        self._grid_mask, self._grid_target = hint_targets(scale_hints(self.hints, shape, self._grid), self._grid)
        fixed = self._grid_mask.ravel()
        self._solve = None
        if self.hints and not fixed.all():
            self._solve = self._factorize(grid_lightness, fixed, REACH if reach is None else reach)

    @staticmethod
    def _factorize(lightness: np.ndarray, fixed: np.ndarray, reach: float, weights: sparse.csr_matrix | None = None):
        weights = affinity(lightness) if weights is None else weights
        return factorize(weights, data_term(weights, fixed, reach, min(lightness.shape)), fixed)[0]

    def apply(self, ab: np.ndarray) -> np.ndarray:
        """``ab (h, w, 2)`` with the hints spread over it: a new float32 array."""
        ab = np.asarray(ab, dtype=np.float32)
        if ab.shape != self.lightness.shape + (2,):
            raise ValueError(f"ab {ab.shape} does not match L {self.lightness.shape}")
        if not self.hints:
            return ab.copy()
        grid_ab = ab if self._upsampler is None else cv2.resize(ab, self._grid[::-1], interpolation=cv2.INTER_AREA)
        delta = np.where(self._grid_mask[..., None], self._grid_target - grid_ab, 0).astype(np.float32)
        if self._solve is not None:
            delta = self._solve(delta.reshape(-1, 2).astype(np.float64)).reshape(delta.shape).astype(np.float32)
        if self._upsampler is not None:
            delta = self._upsampler.upsample(delta)
        result = ab + delta
        result[self._mask] = self._target[self._mask]
        return np.clip(result, -MAX_CHROMA, MAX_CHROMA, out=result)


def propagate(lightness: np.ndarray, ab: np.ndarray, hints: Sequence[ColorHint], reach: float | None = None) -> np.ndarray:
    """``ab (h, w, 2)`` with ``hints`` spread over it, edge-aware, guided by L* ``(h, w)``.

    ``hints`` are in the pixels of ``lightness`` (see :func:`scale_hints` for full-resolution
    ones). Inside each hint's disc the result is the hint's chroma; away from the hints it
    fades back to ``ab`` over about ``reach`` × the short side of even lightness, and it
    hardly crosses strong lightness edges. Returns a new float32 ``(h, w, 2)``.
    """
    return HintPropagator(lightness, hints, reach).apply(ab)


def propagate_targets(lightness: np.ndarray, ab: np.ndarray, mask: np.ndarray, target: np.ndarray,
                      reach: float | None = None) -> np.ndarray:
    """:func:`propagate` for hints already rasterized at L's size, solved on L's own grid (no
    shrinking or upsampling: for small grids, such as a model's cells).

    ``mask`` bool ``(h, w)`` marks the hinted pixels and ``target`` ``(h, w, 2)`` their chroma;
    ``ab`` ``(h, w, 2)``. Returns a new float32 ``(h, w, 2)``, equal to ``target`` on the mask.
    """
    lightness = np.ascontiguousarray(lightness, dtype=np.float32)
    ab = np.asarray(ab, dtype=np.float32)
    mask = np.asarray(mask, dtype=bool)
    if ab.shape != lightness.shape + (2,) or mask.shape != lightness.shape:
        raise ValueError(f"ab {ab.shape} and mask {mask.shape} do not match L {lightness.shape}")
    delta = np.where(mask[..., None], np.asarray(target, dtype=np.float32) - ab, 0)
    return np.clip(ab + spread_change(lightness, mask, delta, reach), -MAX_CHROMA, MAX_CHROMA).astype(np.float32)


def spread_change(lightness: np.ndarray, mask: np.ndarray, delta: np.ndarray, reach: float | None = None,
                  weights: sparse.csr_matrix | None = None) -> np.ndarray:
    """The host's propagation of a change of chroma: ``delta`` ``(h, w, 2)`` given on the ``mask``ed
    cells (and 0 elsewhere) spread over L*'s own grid ``(h, w)``; float64 ``(h, w, 2)``.
    ``weights``: L*'s :func:`affinity`, when the caller has it already."""
    fixed = np.asarray(mask, dtype=bool).ravel()
    if not fixed.any() or fixed.all():
        return np.where(np.asarray(mask, dtype=bool)[..., None], delta, 0).astype(np.float64)
    solve = HintPropagator._factorize(np.ascontiguousarray(lightness, dtype=np.float32), fixed,
                                      REACH if reach is None else reach, weights)
    return solve(np.asarray(delta, dtype=np.float64).reshape(-1, 2)).reshape(delta.shape)


def shrink_lightness(lightness: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Full-resolution L* shrunk (area filter) to a sample's working size ``(h, w)``, as the merge does."""
    h, w = shape[:2]
    if lightness.shape == (h, w):
        return np.ascontiguousarray(lightness, dtype=np.float32)
    interpolation = cv2.INTER_AREA if h <= lightness.shape[0] else cv2.INTER_LINEAR
    return cv2.resize(np.ascontiguousarray(lightness, dtype=np.float32), (w, h), interpolation=interpolation)


def apply_hints(lightness: np.ndarray, ab: np.ndarray, hints: Sequence[ColorHint], reach: float | None = None) -> np.ndarray:
    """:func:`propagate` for full-resolution L* ``(H, W)`` and hints, and a working-size ``ab (h, w, 2)``."""
    small = shrink_lightness(lightness, ab.shape)
    return propagate(small, ab, scale_hints(hints, lightness.shape, small.shape), reach)
