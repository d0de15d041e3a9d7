"""The full-resolution merge: a backend's low-resolution ab onto the photo's own L.

``merge`` = upsample ab to L's size (edge-aware by default) → reduce chroma where
Lab(L, ab) leaves the sRGB gamut (keeping L and hue) → convert to sRGB. The input
L comes back: re-measuring the lightness of the result gives L to within ~0.001
(before 8-bit quantization). Large photos go through in row chunks to bound
memory; ``docs/upsampling.md`` has the measurements.
"""

from __future__ import annotations

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


def _check(lightness: np.ndarray, ab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lightness = np.ascontiguousarray(lightness, dtype=np.float32)
    ab = np.ascontiguousarray(ab, dtype=np.float32)
    if lightness.ndim != 2 or ab.ndim != 3 or ab.shape[2] != 2 or 0 in ab.shape or 0 in lightness.shape:
        raise ValueError(f"need L (H, W) and ab (h, w, 2), got {lightness.shape} and {ab.shape}")
    return lightness, ab


def _box(image: np.ndarray, radius: int) -> np.ndarray:
    size = 2 * radius + 1
    return cv2.boxFilter(image, -1, (size, size), borderType=cv2.BORDER_REFLECT)


def _guided_coefficients(lightness: np.ndarray, ab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per low-res pixel (A, B), each ``(h, w, 2)``, with ab ≈ A·(L/100) + B locally.

    A is the guided filter's slope (box-averaged). B is not the filter's box-averaged
    offset but the one that reproduces the low-res ab exactly: averaging B blurs the
    chroma by the window size, which measured worse than plain bilinear upsampling.
    """
    h, w = ab.shape[:2]
    guide = cv2.resize(lightness, (w, h), interpolation=cv2.INTER_AREA) * np.float32(0.01)
    radius = GUIDED_RADIUS
    mean_i = _box(guide, radius)[..., None]
    var_i = _box(guide * guide, radius)[..., None] - mean_i * mean_i
    mean_p = _box(ab, radius)
    cov_ip = _box(ab * guide[..., None], radius) - mean_i * mean_p
    slope = _box(cov_ip / (var_i + np.float32(GUIDED_EPS)), radius)
    return slope, ab - slope * guide[..., None]


def _resize_rows(image: np.ndarray, size: tuple[int, int], start: int, stop: int) -> np.ndarray:
    """``cv2.resize(image, (W, H), INTER_LINEAR)[start:stop]`` without making the other rows."""
    height, width = size
    h = image.shape[0]
    # cv2's INTER_LINEAR sampling: pixel centers aligned, coordinates clamped at the borders.
    src = (np.arange(start, stop, dtype=np.float64) + 0.5) * (h / height) - 0.5
    src = np.clip(src, 0, h - 1)
    top = src.astype(np.intp)
    weight = (src - top).astype(np.float32)[:, None, None]
    bottom = np.minimum(top + 1, h - 1)
    rows = image[top] * (1 - weight) + image[bottom] * weight
    return cv2.resize(rows, (width, stop - start), interpolation=cv2.INTER_LINEAR).reshape(
        stop - start, width, image.shape[2]
    )


class _Upsampler:
    """Makes rows of the upsampled ab on demand, so a merge never holds all of it at once."""

    def __init__(self, lightness: np.ndarray, ab: np.ndarray, method: str) -> None:
        if method not in UPSAMPLERS:
            raise ValueError(f"unknown upsampler {method!r}; choose one of {', '.join(UPSAMPLERS)}")
        self.lightness = lightness
        self.size = lightness.shape
        self.full_size_ab: np.ndarray | None = None
        self.low_res_ab: np.ndarray | None = None
        self.coefficients: tuple[np.ndarray, np.ndarray] | None = None
        h, w = ab.shape[:2]
        height, width = self.size
        if (h, w) == (height, width):
            self.full_size_ab = ab
        elif h >= height and w >= width:  # nothing to upsample: just shrink
            self.full_size_ab = cv2.resize(ab, (width, height), interpolation=cv2.INTER_AREA)
        elif method == "bilinear":
            self.low_res_ab = ab
        else:
            self.coefficients = _guided_coefficients(lightness, ab)

    def rows(self, start: int, stop: int) -> np.ndarray:
        """Rows ``start:stop`` of the upsampled ab, a new ``(stop - start, W, 2)`` array."""
        if self.full_size_ab is not None:
            return self.full_size_ab[start:stop].copy()
        if self.low_res_ab is not None:
            return _resize_rows(self.low_res_ab, self.size, start, stop)
        slope, offset = (_resize_rows(c, self.size, start, stop) for c in self.coefficients)
        slope *= (self.lightness[start:stop] * np.float32(0.01))[..., None]
        slope += offset
        return slope


def upsample_ab(lightness: np.ndarray, ab: np.ndarray, method: str = DEFAULT_UPSAMPLER) -> np.ndarray:
    """Resize ``ab (h, w, 2)`` to ``L``'s exact shape ``(H, W)``; returns float32 ``(H, W, 2)``.

    ``"bilinear"`` is ``cv2.resize`` with ``INTER_LINEAR``. ``"guided"`` is a fast guided
    filter: a local linear model ab ≈ A·L + B fitted at the ab's resolution (against L
    shrunk to it), whose A and B are upsampled bilinearly and applied to the
    full-resolution L, so chroma edges follow the photo's edges. An ab already at L's
    size comes back unchanged (copied); a larger one is shrunk with ``INTER_AREA``.
    """
    lightness, ab = _check(lightness, ab)
    return _Upsampler(lightness, ab, method).rows(0, lightness.shape[0])


def _in_gamut(linear: np.ndarray) -> np.ndarray:
    low, high = -_GAMUT_TOLERANCE, 1.0 + _GAMUT_TOLERANCE
    return cv2.inRange(linear.reshape(-1, 1, 3), (low, low, low), (high, high, high)).ravel() != 0


def _clip_chroma(lightness: np.ndarray, ab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scale ``ab`` (in place) into the gamut; returns it and the clipped linear RGB."""
    linear = color.lab_to_linear_fast(lightness, ab)
    outside = np.flatnonzero(~_in_gamut(linear))
    if outside.size:
        flat_ab = ab.reshape(-1, 2)
        light = np.take(lightness.reshape(-1), outside)
        chroma = np.take(flat_ab, outside, axis=0)  # np.take: ~10x faster than fancy indexing
        # Bisect the chroma scale in [0, 1]: scale 0 (neutral gray) is always inside.
        scale = np.zeros((outside.size, 1), np.float32)
        for step in 0.5 ** np.arange(1, _BISECTION_STEPS + 1, dtype=np.float32):
            inside = _in_gamut(color.lab_to_linear_fast(light, chroma * (scale + step)))
            scale += inside[:, None] * step
        chroma *= scale
        flat_ab[outside] = chroma
        linear.reshape(-1, 3)[outside] = color.lab_to_linear_fast(light, chroma)
    np.clip(linear, 0.0, 1.0, out=linear)  # float residue only
    return ab, linear


def clip_to_gamut(lightness: np.ndarray, ab: np.ndarray) -> np.ndarray:
    """Scale each pixel's ab toward 0 just enough that Lab(L, ab) is inside sRGB.

    L and hue are kept; pixels already in gamut are untouched. ``lightness (H, W)``,
    ``ab (H, W, 2)``; returns a new float32 ``(H, W, 2)``.
    """
    lightness = np.ascontiguousarray(lightness, dtype=np.float32)
    ab = np.array(ab, dtype=np.float32, copy=True)
    if ab.shape != lightness.shape + (2,):
        raise ValueError(f"ab {ab.shape} does not match L {lightness.shape}")
    return _clip_chroma(lightness, ab)[0]


def merge(lightness: np.ndarray, ab: np.ndarray, method: str = DEFAULT_UPSAMPLER) -> np.ndarray:
    """The colorized photo: sRGB float32 ``(H, W, 3)`` in 0..1 at ``lightness``'s size.

    ``lab_to_srgb(L, clip_to_gamut(L, upsample_ab(L, ab, method)))``, computed in row
    chunks with the fast color paths; its lightness is the input L.
    """
    lightness, ab = _check(lightness, ab)
    upsampler = _Upsampler(lightness, ab, method)
    height, width = lightness.shape
    out = np.empty((height, width, 3), np.float32)
    step = max(1, _CHUNK_PIXELS // width)
    for start in range(0, height, step):
        stop = min(start + step, height)
        _, linear = _clip_chroma(lightness[start:stop], upsampler.rows(start, stop))
        out[start:stop] = color.linear_to_srgb_fast(linear)
    return out
