"""Color-space code shared by the host, the backends and training.

sRGB (IEC 61966-2-1) ↔ CIE Lab with the D65 white point, on ``float32`` numpy
arrays. RGB values are in ``0..1``; L* in ``0..100``; a*, b* in Lab units.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

# Linear sRGB → XYZ (D65), rows X, Y, Z.
_RGB_TO_XYZ = np.array(
    [
        [0.4124564, 0.3575761, 0.1804375],
        [0.2126729, 0.7151522, 0.0721750],
        [0.0193339, 0.1191920, 0.9503041],
    ],
    dtype=np.float64,
)
_XYZ_TO_RGB = np.linalg.inv(_RGB_TO_XYZ)
_WHITE = _RGB_TO_XYZ.sum(axis=1)  # D65 white of this matrix, so white maps to a*=b*=0 exactly
_EPS = 216.0 / 24389.0
_KAPPA = 24389.0 / 27.0


def srgb_to_linear(rgb: np.ndarray) -> np.ndarray:
    rgb = np.asarray(rgb, dtype=np.float32)
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4).astype(np.float32)


def linear_to_srgb(lin: np.ndarray) -> np.ndarray:
    lin = np.asarray(lin, dtype=np.float32)
    safe = np.maximum(lin, 0.0)
    return np.where(lin <= 0.0031308, 12.92 * lin, 1.055 * safe ** (1 / 2.4) - 0.055).astype(np.float32)


def _f(t: np.ndarray) -> np.ndarray:
    return np.where(t > _EPS, np.cbrt(t), (_KAPPA * t + 16.0) / 116.0)


def _f_inv(f: np.ndarray) -> np.ndarray:
    f3 = f * f * f
    return np.where(f3 > _EPS, f3, (116.0 * f - 16.0) / _KAPPA)


def luminance_to_lightness(y: np.ndarray) -> np.ndarray:
    """Relative luminance Y (white = 1) → L* in 0..100."""
    return (116.0 * _f(np.asarray(y, dtype=np.float32)) - 16.0).astype(np.float32)


def lightness_to_luminance(lightness: np.ndarray) -> np.ndarray:
    return _f_inv((np.asarray(lightness, dtype=np.float32) + 16.0) / 116.0).astype(np.float32)


def gray_to_lightness(gray: np.ndarray) -> np.ndarray:
    """A gray sRGB-encoded image in 0..1, ``(H, W)`` → L*."""
    return luminance_to_lightness(srgb_to_linear(gray))


def lightness_to_gray(lightness: np.ndarray) -> np.ndarray:
    """L* → the sRGB-encoded gray value in 0..1 that has that lightness."""
    return linear_to_srgb(lightness_to_luminance(lightness))


def srgb_to_lightness(rgb: np.ndarray) -> np.ndarray:
    """``(H, W, 3)`` sRGB in 0..1 → L* ``(H, W)``; cheaper than a full Lab conversion."""
    lin = srgb_to_linear(rgb)
    y = lin @ _RGB_TO_XYZ[1].astype(np.float32)
    return luminance_to_lightness(y)


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """``(..., 3)`` sRGB in 0..1 → ``(..., 3)`` Lab, float32."""
    xyz = srgb_to_linear(rgb) @ (_RGB_TO_XYZ / _WHITE[:, None]).T.astype(np.float32)
    f = _f(xyz)
    lab = np.empty_like(xyz)
    lab[..., 0] = 116.0 * f[..., 1] - 16.0
    lab[..., 1] = 500.0 * (f[..., 0] - f[..., 1])
    lab[..., 2] = 200.0 * (f[..., 1] - f[..., 2])
    return lab


def lab_to_linear(lab: np.ndarray) -> np.ndarray:
    """``(..., 3)`` Lab → linear sRGB, unclipped (out-of-gamut colors leave 0..1)."""
    lab = np.asarray(lab, dtype=np.float32)
    fy = (lab[..., 0] + 16.0) / 116.0
    f = np.stack([fy + lab[..., 1] / 500.0, fy, fy - lab[..., 2] / 200.0], axis=-1)
    xyz = _f_inv(f) * _WHITE.astype(np.float32)
    return (xyz @ _XYZ_TO_RGB.T.astype(np.float32)).astype(np.float32)


def lab_to_srgb(lab: np.ndarray) -> np.ndarray:
    """``(..., 3)`` Lab → sRGB in 0..1, clipped per channel."""
    return np.clip(linear_to_srgb(lab_to_linear(lab)), 0.0, 1.0)


def split_lab(lab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(H, W, 3)`` Lab → (L ``(H, W)``, ab ``(H, W, 2)``)."""
    return np.ascontiguousarray(lab[..., 0]), np.ascontiguousarray(lab[..., 1:])


def join_lab(lightness: np.ndarray, ab: np.ndarray) -> np.ndarray:
    return np.concatenate([lightness[..., None], ab], axis=-1).astype(np.float32)


MAX_WORKING_ASPECT = 4
"""A backend's input is at most this many working sizes long: a 16:1 strip is worked on at a quarter of
the working size across, not at 16 times the pixels (the host upsamples the chroma anyway)."""
MIN_WORKING_SIDE = 32


def fit_working_size(image: np.ndarray, working_size: int) -> np.ndarray:
    """What a backend works on: the short side ``working_size`` px, but the long side at most
    ``MAX_WORKING_ASPECT × working_size`` (the short side then gets smaller, down to ``MIN_WORKING_SIDE``)."""
    return fit_short_side(image, _working_short_side(image.shape[:2], working_size))


def working_shape(shape: tuple[int, ...], working_size: int) -> tuple[int, int]:
    """``(h, w)`` of :func:`fit_working_size`'s result for an image of this ``shape``."""
    return _short_side_shape(shape[:2], _working_short_side(shape[:2], working_size))


def _working_short_side(shape: tuple[int, ...], working_size: int) -> int:
    h, w = shape[:2]
    short = working_size
    if max(h, w) > MAX_WORKING_ASPECT * min(h, w):
        short = max(MIN_WORKING_SIDE, math.floor(MAX_WORKING_ASPECT * working_size * min(h, w) / max(h, w)))
    return min(short, working_size)


def _short_side_shape(shape: tuple[int, ...], short_side: int) -> tuple[int, int]:
    h, w = shape[:2]
    scale = short_side / min(h, w)
    return max(1, round(h * scale)), max(1, round(w * scale))


def fit_short_side(image: np.ndarray, short_side: int) -> np.ndarray:
    """Resize so the shorter side is ``short_side`` px, keeping the aspect ratio (area filter when shrinking)."""
    h, w = image.shape[:2]
    new_h, new_w = _short_side_shape((h, w), short_side)
    size = (new_w, new_h)
    if size == (w, h):
        return image.copy()  # never the caller's array itself: a backend may change what it gets
    interp = cv2.INTER_AREA if short_side < min(h, w) else cv2.INTER_LINEAR
    return cv2.resize(image, size, interpolation=interp)


# Fast paths: the same math as above arranged for large images: float32 whole-plane
# ops, cv2 for the 3x3 matrix, exp and log. Big arrays are best fed in chunks of
# ~_FAST_CHUNK pixels (3x faster at 12 MP: cache-sized, no page-fault churn).
_FAST_CHUNK = 1 << 18
_F_SPLIT = np.float32(6.0 / 29.0)  # f value where _f_inv switches from the cube to the line
_LAB_F_TO_RGB = (_XYZ_TO_RGB * _WHITE[None, :]).astype(np.float32)  # M⁻¹ · diag(white)


def _as_2d(a: np.ndarray) -> np.ndarray:
    """A contiguous 2-D view cv2 accepts; (N, 1) shapes are slow in cv2, so keep rows wide."""
    a = np.ascontiguousarray(a, dtype=np.float32)
    return a.reshape(a.shape[0], -1) if a.ndim >= 2 else a.reshape(1, -1)


def f_inv_fast(f: np.ndarray) -> np.ndarray:
    """Lab's f⁻¹ on float32 (a new array): f_x, f_y, f_z values → X/Xn, Y/Yn, Z/Zn."""
    f = np.ascontiguousarray(f, dtype=np.float32)
    out = cv2.pow(_as_2d(f), 3).reshape(f.shape)  # one pass; equal to f * f * f
    if f.size and f.min() < _F_SPLIT:
        _copy_where(out, (f - np.float32(16.0 / 116.0)) * np.float32(116.0 / _KAPPA), f < _F_SPLIT)
    return out


def lab_to_linear_fast(lightness: np.ndarray, ab: np.ndarray) -> np.ndarray:
    """L* ``(...)`` and a*b* ``(..., 2)`` → linear sRGB ``(..., 3)`` float32, unclipped.

    Same result as :func:`lab_to_linear` (to float32 rounding) without joining L and ab.
    """
    shape = np.shape(ab)[:-1]
    if np.size(lightness) == 0:
        return np.zeros(shape + (3,), np.float32)
    lightness = _as_2d(lightness)
    ab = np.asarray(ab, dtype=np.float32).reshape(lightness.shape + (2,))
    fy = lightness + np.float32(16.0)
    fy *= np.float32(1.0 / 116.0)
    x = f_inv_fast(fy + ab[..., 0] * np.float32(1.0 / 500.0))
    z = f_inv_fast(fy - ab[..., 1] * np.float32(1.0 / 200.0))
    return relative_xyz_to_linear_fast(x, f_inv_fast(fy), z).reshape(shape + (3,))


def relative_xyz_to_linear_fast(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
    """X/Xn, Y/Yn and Z/Zn, three float32 arrays of one 2-D shape, → linear sRGB ``(..., 3)``."""
    return cv2.transform(cv2.merge([x, y, z]), _LAB_F_TO_RGB)


def linear_to_srgb_fast(lin: np.ndarray) -> np.ndarray:
    """Linear RGB → sRGB-encoded float32 clipped to ``0..1``; :func:`linear_to_srgb` within 1e-6."""
    shape = np.shape(lin)
    if np.size(lin) == 0:
        return np.zeros(shape, np.float32)
    return encode_srgb_fast(np.clip(_as_2d(lin), 0.0, 1.0)).reshape(shape)


def encode_srgb_fast(lin: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Linear RGB already in ``0..1`` → sRGB-encoded float32 in ``0..1``, written into ``out`` if given.

    ``lin`` and ``out``: contiguous float32 of one shape, 2-D or ``(h, w, 3)``.
    """
    if out is not None:
        _check_out(out, lin, np.float32)
    out = _srgb_curve(lin, 1.0, out)
    out -= np.float32(0.055)
    _encode_toe(lin, out, 12.92)
    np.clip(out, 0.0, 1.0, out=out)  # the curve can end an ulp above 1
    return out


def srgb_codes_fast(lin: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Linear RGB already in ``0..1`` → 8-bit sRGB codes, written into ``out`` (uint8, ``lin``'s shape).

    Rounded to nearest: ``quantize(encode_srgb_fast(lin), 255, out)`` except for the
    rare value within float rounding of a half code, which may land one code apart.
    """
    _check_out(out, lin, np.uint8)
    curve = _srgb_curve(lin, 255.0)
    cv2.convertScaleAbs(curve, dst=out, alpha=1.0, beta=-0.055 * 255)  # offset, round and saturate in one pass
    _encode_toe(lin, out, 12.92 * 255)
    return out


def _check_out(out: np.ndarray, lin: np.ndarray, dtype: type) -> None:
    # cv2 quietly writes a new array instead when dst does not fit
    if out.shape != lin.shape or out.dtype != dtype or not out.flags.c_contiguous:
        raise ValueError(f"out must be contiguous {np.dtype(dtype)} {lin.shape}, not {out.dtype} {out.shape}")


def _srgb_curve(lin: np.ndarray, scale: float, out: np.ndarray | None = None) -> np.ndarray:
    """``scale · 1.055 · lin^(1/2.4)``, sRGB's curve above the toe before its -0.055 offset."""
    # exp(log(x) / 2.4 + log(k)): cv2's vectorized exp and log are ~3x faster than cv2.pow, as exact.
    logs = cv2.log(lin)
    logs *= np.float32(1.0 / 2.4)
    logs += np.float32(np.log(1.055 * scale))
    return cv2.exp(logs, dst=logs if out is None else out)


def _encode_toe(lin: np.ndarray, out: np.ndarray, slope: float) -> None:
    """Overwrite the values of ``out`` whose ``lin`` is in sRGB's straight toe with ``slope · lin``.

    Rounded to nearest when ``out`` is uint8.
    """
    toe_end = np.float32(0.0031308)
    if lin.size == 0 or lin.min() > toe_end:
        return
    line = cv2.convertScaleAbs(lin, alpha=slope) if out.dtype == np.uint8 else lin * np.float32(slope)
    _copy_where(out, line, lin <= toe_end)


def _copy_where(dst: np.ndarray, src: np.ndarray, mask: np.ndarray) -> None:
    """``dst[mask] = src[mask]`` in place, all contiguous and of one shape (cv2.copyTo: ~30x np.copyto's ``where``)."""

    def rows(a: np.ndarray) -> np.ndarray:
        return a.reshape(a.shape[0], -1) if a.ndim >= 2 else a.reshape(1, -1)

    if not dst.flags.c_contiguous:
        raise ValueError("dst must be contiguous")  # else the 2-D view below would be a copy
    cv2.copyTo(rows(src), rows(mask.view(np.uint8)), rows(dst))


def lab_to_srgb_fast(lab: np.ndarray) -> np.ndarray:
    """Fast :func:`lab_to_srgb` (~10x on 12 MP): ``(..., 3)`` Lab → sRGB in 0..1, clipped per channel."""
    lab = np.ascontiguousarray(lab, dtype=np.float32)
    flat = lab.reshape(-1, 3)
    out = np.empty(flat.shape, np.float32)
    for start in range(0, len(flat), _FAST_CHUNK):
        part = flat[start : start + _FAST_CHUNK]
        out[start : start + _FAST_CHUNK] = linear_to_srgb_fast(lab_to_linear_fast(part[:, 0], part[:, 1:]))
    return out.reshape(lab.shape)


def quantize(srgb: np.ndarray, top_value: int, out: np.ndarray) -> np.ndarray:
    """sRGB in 0..1 → integer codes 0..``top_value`` written into ``out`` (uint8 or uint16).

    Rounds half up; values outside 0..1 are clamped and NaN becomes 0. Cheapest on
    bands of a few MB.
    """
    scaled = srgb * np.float32(top_value)
    scaled += np.float32(0.5)
    np.clip(scaled, np.float32(0.5), np.float32(top_value + 0.5), out=scaled)
    if np.isnan(scaled.max()):  # clip keeps NaN; max finds one in a read-only pass
        np.nan_to_num(scaled, copy=False, nan=0.5)
    np.copyto(out, scaled, casting="unsafe")  # truncation: the +0.5 made it rounding
    return out
