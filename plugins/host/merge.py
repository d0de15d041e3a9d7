"""The full-resolution merge: a backend's low-resolution ab onto the photo's own L.

``merge`` = upsample ab to L's size (edge-aware by default) → reduce chroma where
Lab(L, ab) leaves the sRGB gamut (keeping L and hue) → convert to sRGB. The input
L comes back: re-measuring the lightness of the result gives L to within ~0.001
(before 8-bit quantization). Large photos go through in row chunks to bound
memory. A :class:`Merger` keeps what depends on L alone, so the samples of one
photo share it; ``docs/upsampling.md`` has the measurements.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import cv2
import numpy as np

from plugins import color

UPSAMPLERS = ("guided", "bilinear")
DEFAULT_UPSAMPLER = "guided"

# Fast guided filter (He & Sun 2015), fitted at the ab's resolution. Tuned on 6 of the
# bench photos with `bench/upsampling.py --tune`: radius in low-resolution pixels, eps
# in (L/100)² units (a larger eps trusts L's edges less).
GUIDED_RADIUS = 1
GUIDED_EPS = 5e-3

_GAMUT_TOLERANCE = 1e-6  # linear RGB float residue left to the final per-channel clip
_BISECTION_STEPS = 8  # scale found to within 1/256 (from below, so always in gamut)
_CHUNK_PIXELS = 1 << 18  # ~1 MB per float32 plane: cache-sized, no page-fault churn

# Lab's f values are affine in L, a and b: f_y = (L + 16)/116, f_x = f_y + a/500,
# f_z = f_y - b/200. Upsampling is linear too, so the merge upsamples (f_x, f_z) as
# slope·L + offset directly and never makes full-resolution ab.
_F_PER_L = np.float32(1 / 116)
_F_AT_BLACK = np.float32(16 / 116)
_F_PER_AB = np.array([1 / 500, -1 / 200], np.float32)  # (f_x per a, f_z per b)


def _check_lightness(lightness: np.ndarray) -> np.ndarray:
    lightness = np.ascontiguousarray(lightness, dtype=np.float32)
    if lightness.ndim != 2 or 0 in lightness.shape:
        raise ValueError(f"need L (H, W), got {lightness.shape}")
    return lightness


def _check_ab(ab: np.ndarray) -> np.ndarray:
    ab = np.ascontiguousarray(ab, dtype=np.float32)
    if ab.ndim != 3 or ab.shape[2] != 2 or 0 in ab.shape:
        raise ValueError(f"need ab (h, w, 2), got {ab.shape}")
    return ab


def _planes(image: np.ndarray) -> np.ndarray:
    """``(h, w, C)`` → ``(C, h, w)``, contiguous."""
    return np.ascontiguousarray(np.moveaxis(image, -1, 0))


def _box(image: np.ndarray, radius: int) -> np.ndarray:
    size = 2 * radius + 1
    return cv2.boxFilter(image, -1, (size, size), borderType=cv2.BORDER_REFLECT)


class _RowResizer:
    """``cv2.resize(INTER_LINEAR)`` of low-resolution planes to L's size, a band of rows at a time.

    The row tables depend on the two sizes only, so one resizer serves every sample.
    """

    def __init__(self, size: tuple[int, int], low_size: tuple[int, int]) -> None:
        height, width = size
        h = low_size[0]
        self.width = width
        self.same_size = low_size == size
        # cv2's INTER_LINEAR sampling: pixel centers aligned, coordinates clamped at the borders.
        src = np.clip((np.arange(height, dtype=np.float64) + 0.5) * (h / height) - 0.5, 0, h - 1)
        self.top = src.astype(np.intp)
        self.bottom = np.minimum(self.top + 1, h - 1)
        weight = (src - self.top).astype(np.float32)[:, None]
        self.bottom_weight, self.top_weight = weight, 1 - weight

    def rows(self, planes: np.ndarray, start: int, stop: int) -> np.ndarray:
        """Rows ``start:stop`` of each resized plane: a new ``(C, stop - start, W)`` array."""
        if self.same_size:
            return planes[:, start:stop].copy()
        count, rows = planes.shape[0], stop - start
        band = planes[:, self.top[start:stop]] * self.top_weight[start:stop]
        band += planes[:, self.bottom[start:stop]] * self.bottom_weight[start:stop]
        # One horizontal-only resize for all planes stacked: a same-height resize keeps rows exact.
        wide = cv2.resize(band.reshape(count * rows, -1), (self.width, count * rows), interpolation=cv2.INTER_LINEAR)
        return wide.reshape(count, rows, self.width)


@dataclass(frozen=True)
class _AffineInL:
    """Two channels, each ``(slope + common_slope)·L + offset`` per pixel.

    ``planes`` holds offset (2 planes), or slope then offset (4 planes), on the
    resizer's low-resolution grid.
    """

    resizer: _RowResizer
    planes: np.ndarray
    common_slope: float = 0.0

    def rows(self, lightness: np.ndarray, start: int, stop: int) -> np.ndarray:
        """Both channels for rows ``start:stop`` of ``lightness``: a new ``(2, rows, W)`` array."""
        values = self.resizer.rows(self.planes, start, stop)
        light = lightness[start:stop]
        if len(values) == 4:
            values, offset = values[:2], values[2:]
            values *= light
            values += offset
        if self.common_slope:
            values += light * np.float32(self.common_slope)
        return values

    def to_lab_f(self) -> _AffineInL:
        """The model of ``(f_x, f_z)`` for this model of ``(a, b)``."""
        per_ab = _F_PER_AB[:, None, None]
        if len(self.planes) == 2:
            return _AffineInL(self.resizer, self.planes * per_ab + _F_AT_BLACK, self.common_slope + float(_F_PER_L))
        slope, offset = self.planes[:2] * per_ab + _F_PER_L, self.planes[2:] * per_ab + _F_AT_BLACK
        return _AffineInL(self.resizer, np.concatenate([slope, offset]), self.common_slope)


class _Grid:
    """What one low-resolution ab size needs from L: the row resizer and L's guided-filter statistics."""

    def __init__(self, lightness: np.ndarray, low_size: tuple[int, int]) -> None:
        self.lightness = lightness
        self.low_size = low_size
        self.resizer = _RowResizer(lightness.shape, low_size)

    @cached_property
    def _guide(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """L/100 shrunk to the grid, its box mean and its box variance, each ``(h, w, 1)``."""
        h, w = self.low_size
        guide = cv2.resize(self.lightness, (w, h), interpolation=cv2.INTER_AREA) * np.float32(0.01)
        mean = _box(guide, GUIDED_RADIUS)
        variance = _box(guide * guide, GUIDED_RADIUS) - mean * mean
        return guide[..., None], mean[..., None], variance[..., None]

    def guided_coefficients(self, ab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per low-res pixel (A, B), each ``(h, w, 2)``, with ab ≈ A·(L/100) + B locally.

        A is the guided filter's slope (box-averaged). B is not the filter's box-averaged
        offset but the one that reproduces the low-res ab exactly: averaging B blurs the
        chroma by the window size, which measured worse than plain bilinear upsampling.
        """
        guide, mean_i, var_i = self._guide
        mean_p = _box(ab, GUIDED_RADIUS)
        cov_ip = _box(ab * guide, GUIDED_RADIUS) - mean_i * mean_p
        slope = _box(cov_ip / (var_i + np.float32(GUIDED_EPS)), GUIDED_RADIUS)
        return slope, ab - slope * guide


class Merger:
    """Merges any number of ab samples onto one photo's full-resolution L.

    What depends on L alone (its luminance, L shrunk to the ab's size, the row
    interpolation tables) is made once and shared by every sample.
    """

    def __init__(self, lightness: np.ndarray, method: str = DEFAULT_UPSAMPLER) -> None:
        if method not in UPSAMPLERS:
            raise ValueError(f"unknown upsampler {method!r}; choose one of {', '.join(UPSAMPLERS)}")
        self.lightness = _check_lightness(lightness)
        self.method = method
        self._grids: dict[tuple[int, int], _Grid] = {}
        self._luminance: np.ndarray | None = None

    def upsample(self, ab: np.ndarray) -> np.ndarray:
        """:func:`upsample_ab` onto this L."""
        return np.moveaxis(self._ab_model(ab).rows(self.lightness, 0, self.lightness.shape[0]), 0, -1).copy()

    def merge(self, ab: np.ndarray) -> np.ndarray:
        """:func:`merge` onto this L: sRGB float32 ``(H, W, 3)`` in 0..1."""
        out = np.empty(self.lightness.shape + (3,), np.float32)
        for rows, linear in self._linear_chunks(ab):
            color.encode_srgb_fast(linear, out[rows])
        return out

    def merge_uint8(self, ab: np.ndarray) -> np.ndarray:
        """:meth:`merge` as 8-bit sRGB codes, quantized chunk by chunk: cheaper than quantizing its result.

        Equal to ``color.quantize(merge(ab), 255)`` but for the rare value within float
        rounding of a half code, which may land one code apart.
        """
        out = np.empty(self.lightness.shape + (3,), np.uint8)
        for rows, linear in self._linear_chunks(ab):
            color.srgb_codes_fast(linear, out[rows])
        return out

    def _ab_model(self, ab: np.ndarray) -> _AffineInL:
        ab = _check_ab(ab)
        height, width = size = self.lightness.shape
        h, w = ab.shape[:2]
        if (h, w) != size and h >= height and w >= width:  # nothing to upsample: just shrink
            ab = cv2.resize(ab, (width, height), interpolation=cv2.INTER_AREA)
        grid = self._grid(ab.shape[:2])
        if self.method == "bilinear" or grid.resizer.same_size:
            return _AffineInL(grid.resizer, _planes(ab))
        slope, offset = grid.guided_coefficients(ab)
        slope *= np.float32(0.01)  # per unit of L rather than of L/100
        return _AffineInL(grid.resizer, np.concatenate([_planes(slope), _planes(offset)]))

    def _grid(self, low_size: tuple[int, int]) -> _Grid:
        if low_size not in self._grids:
            self._grids[low_size] = _Grid(self.lightness, low_size)
        return self._grids[low_size]

    def _luminance_map(self) -> np.ndarray:
        """Y/Yn of every pixel, made on first use."""
        if self._luminance is None:
            self._luminance = np.empty_like(self.lightness)
            for rows in self._row_chunks():
                self._luminance[rows] = color.f_inv_fast(self.lightness[rows] * _F_PER_L + _F_AT_BLACK)
        return self._luminance

    def _row_chunks(self):
        height, width = self.lightness.shape
        step = max(1, _CHUNK_PIXELS // width)
        for start in range(0, height, step):
            yield slice(start, min(start + step, height))

    def _linear_chunks(self, ab: np.ndarray):
        """(rows, linear RGB of those rows in the gamut), chunk by chunk."""
        lab_f = self._ab_model(ab).to_lab_f()
        luminance = self._luminance_map()
        for rows in self._row_chunks():
            f_xz = lab_f.rows(self.lightness, rows.start, rows.stop)
            x, z = color.f_inv_fast(f_xz)
            linear = color.relative_xyz_to_linear_fast(x, luminance[rows], z)
            _pull_into_gamut(linear, self.lightness[rows], f_xz, luminance[rows])
            yield rows, linear


def upsample_ab(lightness: np.ndarray, ab: np.ndarray, method: str = DEFAULT_UPSAMPLER) -> np.ndarray:
    """Resize ``ab (h, w, 2)`` to ``L``'s exact shape ``(H, W)``; returns float32 ``(H, W, 2)``.

    ``"bilinear"`` is ``cv2.resize`` with ``INTER_LINEAR``. ``"guided"`` is a fast guided
    filter: a local linear model ab ≈ A·L + B fitted at the ab's resolution (against L
    shrunk to it), whose A and B are upsampled bilinearly and applied to the
    full-resolution L, so chroma edges follow the photo's edges. An ab already at L's
    size comes back unchanged (copied); a larger one is shrunk with ``INTER_AREA``.
    """
    return Merger(lightness, method).upsample(ab)


def _in_gamut(linear: np.ndarray) -> np.ndarray:
    low, high = -_GAMUT_TOLERANCE, 1.0 + _GAMUT_TOLERANCE
    return cv2.inRange(linear.reshape(-1, 1, 3), (low, low, low), (high, high, high)).ravel() != 0


def _linear_at(f_y: np.ndarray, f_reach: np.ndarray, luminance: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Linear RGB ``(N, 3)`` of N pixels with their chroma scaled by ``scale``.

    ``f_y``, ``luminance`` and ``scale`` are ``(N,)``; ``f_reach (2, N)`` is how far the
    full chroma moves (f_x, f_z) away from f_y.
    """
    f_xz = f_reach * scale
    f_xz += f_y
    x, z = color.f_inv_fast(f_xz)
    return color.relative_xyz_to_linear_fast(x[None], luminance[None], z[None])[0]


def _chroma_scales(f_y: np.ndarray, f_reach: np.ndarray, luminance: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For out-of-gamut pixels: the chroma scale in [0, 1) that brings each inside, and its linear RGB."""
    # Bisect the chroma scale in [0, 1]: scale 0 (neutral gray) is always inside.
    scale = np.zeros(f_y.shape, np.float32)
    for step in 0.5 ** np.arange(1, _BISECTION_STEPS + 1, dtype=np.float32):
        inside = _in_gamut(_linear_at(f_y, f_reach, luminance, scale + step))
        scale += inside * step
    return scale, _linear_at(f_y, f_reach, luminance, scale)


def _pull_into_gamut(
    linear: np.ndarray, lightness: np.ndarray, f_xz: np.ndarray, luminance: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Bring ``linear (..., 3)`` into the gamut, in place, by reducing chroma only.

    ``lightness``, ``luminance`` and ``f_xz (2, ...)`` describe the same pixels.
    Returns the flat indices of the pixels that were outside and their chroma scales.
    """
    scales = np.ones(0, np.float32)
    low, high = cv2.minMaxLoc(linear.reshape(len(linear), -1))[:2]
    if low >= 0.0 and high <= 1.0:  # the usual chunk: nothing to do
        return np.zeros(0, np.intp), scales
    outside = np.flatnonzero(~_in_gamut(linear))
    if outside.size:
        f_y = np.take(lightness.reshape(-1), outside) * _F_PER_L + _F_AT_BLACK
        f_reach = np.take(f_xz.reshape(2, -1), outside, axis=1)  # np.take: ~10x faster than fancy indexing
        f_reach -= f_y
        scales, linear.reshape(-1, 3)[outside] = _chroma_scales(f_y, f_reach, np.take(luminance.reshape(-1), outside))
    np.clip(linear, 0.0, 1.0, out=linear)  # float residue only
    return outside, scales


def clip_to_gamut(lightness: np.ndarray, ab: np.ndarray) -> np.ndarray:
    """Scale each pixel's ab toward 0 just enough that Lab(L, ab) is inside sRGB.

    L and hue are kept; pixels already in gamut are untouched. ``lightness (H, W)``,
    ``ab (H, W, 2)``; returns a new float32 ``(H, W, 2)``.
    """
    lightness = np.ascontiguousarray(lightness, dtype=np.float32)
    ab = np.array(ab, dtype=np.float32, copy=True)
    if ab.shape != lightness.shape + (2,):
        raise ValueError(f"ab {ab.shape} does not match L {lightness.shape}")
    flat_l, flat_ab = lightness.reshape(1, -1), ab.reshape(-1, 2)
    f_xz = _planes(flat_ab[None]) * _F_PER_AB[:, None, None] + (flat_l * _F_PER_L + _F_AT_BLACK)
    luminance = color.f_inv_fast(flat_l * _F_PER_L + _F_AT_BLACK)
    x, z = color.f_inv_fast(f_xz)
    linear = color.relative_xyz_to_linear_fast(x, luminance, z)
    outside, scales = _pull_into_gamut(linear, flat_l, f_xz, luminance)
    flat_ab[outside] *= scales[:, None]
    return ab


def merge(lightness: np.ndarray, ab: np.ndarray, method: str = DEFAULT_UPSAMPLER) -> np.ndarray:
    """The colorized photo: sRGB float32 ``(H, W, 3)`` in 0..1 at ``lightness``'s size.

    ``lab_to_srgb(L, clip_to_gamut(L, upsample_ab(L, ab, method)))``, computed in row
    chunks with the fast color paths; its lightness is the input L. For several
    samples of one photo, a :class:`Merger` shares the work that depends on L alone.
    """
    return Merger(lightness, method).merge(ab)
