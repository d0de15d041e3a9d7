"""From decoded pixels to CIE L*: color management, gray/color detection and the lightness itself."""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image, ImageCms

from plugins import color
from plugins.imageio import icc

COLOR_CHROMA = 4.0
"""99th-percentile chroma (Lab units) above which a photo counts as having color."""
_PREVIEW_SIDE = 512


def interpret(
    pixels: np.ndarray, alpha: np.ndarray | None, bit_depth: int, icc_bytes: bytes | None, notes: list[str]
) -> tuple[np.ndarray, bool, bytes | None]:
    """L* ``float32 (H, W)``, whether the source had color, and the source profile worth keeping.

    ``pixels`` is gray ``(H, W)``, RGB ``(H, W, 3)`` or CMYK ``(H, W, 4)``, uint8 or
    uint16 as ``bit_depth`` says. A profile that is unreadable or does not fit the
    pixels is dropped with a note; one that renders like sRGB is kept but not applied.
    """
    profile, icc_bytes = _usable_profile(pixels, icc_bytes, notes)
    if profile is not None:
        try:
            return (*_interpret(pixels, alpha, bit_depth, profile), icc_bytes)
        except ImageCms.PyCMSError:
            notes.append("embedded color profile could not be applied and was ignored")
            icc_bytes = None
    if pixels.ndim == 3 and pixels.shape[2] == 4:
        pixels = np.asarray(Image.frombytes("CMYK", pixels.shape[1::-1], pixels.tobytes()).convert("RGB"))
    return (*_interpret(pixels, alpha, bit_depth, None), icc_bytes)


def _interpret(
    pixels: np.ndarray, alpha: np.ndarray | None, bit_depth: int, profile: ImageCms.ImageCmsProfile | None
) -> tuple[np.ndarray, bool]:
    if pixels.ndim == 3 and _is_neutral(pixels):
        pixels = np.ascontiguousarray(pixels[..., 0])
    was_color = pixels.ndim == 3 and _chroma(pixels, alpha, profile) > COLOR_CHROMA
    return _lightness(pixels, bit_depth, profile), bool(was_color)


def _usable_profile(
    pixels: np.ndarray, icc_bytes: bytes | None, notes: list[str]
) -> tuple[ImageCms.ImageCmsProfile | None, bytes | None]:
    """The profile to convert with (``None``: use the pixels as sRGB), and the profile bytes to keep."""
    if not icc_bytes:
        return None, None
    kind = "GRAY" if pixels.ndim == 2 else "RGB" if pixels.shape[2] == 3 else "CMYK"
    try:
        profile = icc.load_profile(icc_bytes)
        space = icc.color_space(profile)
        if not (space == kind or (space == "RGB" and kind == "GRAY")):
            notes.append(f"embedded {space} color profile does not fit a {kind} image and was ignored")
            return None, None
        if kind != "CMYK" and icc.is_srgb_like(icc_bytes):
            return None, icc_bytes
        return profile, icc_bytes
    except (OSError, ImageCms.PyCMSError):
        notes.append("embedded color profile is unreadable and was ignored")
        return None, None


def _is_neutral(pixels: np.ndarray) -> bool:
    if pixels.shape[2] != 3:
        return False
    return np.array_equal(pixels[..., 0], pixels[..., 1]) and np.array_equal(pixels[..., 1], pixels[..., 2])


def _by_rows(function, pixels: np.ndarray, rows: int = 512) -> np.ndarray:
    """``function`` applied to bands of rows, to bound the float temporaries of huge images."""
    out = np.empty(pixels.shape[:2], dtype=np.float32)
    for top in range(0, pixels.shape[0], rows):
        out[top : top + rows] = function(pixels[top : top + rows])
    return out


def _lightness(pixels: np.ndarray, bit_depth: int, profile: ImageCms.ImageCmsProfile | None) -> np.ndarray:
    scale = np.float32(65535 if bit_depth == 16 else 255)
    if profile is not None:
        if pixels.ndim == 2 and icc.color_space(profile) == "RGB":
            pixels = np.repeat(pixels[..., None], 3, axis=2)
        luminance = icc.luminance(pixels, profile)
        return np.clip(_by_rows(color.luminance_to_lightness, luminance), 0.0, 100.0)
    if pixels.ndim == 2:
        table = color.gray_to_lightness(np.arange(int(scale) + 1, dtype=np.float32) / scale)
        return np.clip(table, 0.0, 100.0)[pixels]
    lightness = _by_rows(lambda band: color.srgb_to_lightness(band.astype(np.float32) / scale), pixels)
    return np.clip(lightness, 0.0, 100.0)


def _chroma(pixels: np.ndarray, alpha: np.ndarray | None, profile: ImageCms.ImageCmsProfile | None) -> float:
    """99th percentile of Lab chroma over the visible pixels of a small preview."""
    height, width = pixels.shape[:2]
    scale = min(1.0, _PREVIEW_SIDE / max(height, width))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    preview = cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)
    if profile is not None:
        if preview.dtype == np.uint16:
            preview = ((preview.astype(np.uint32) + 128) // 257).astype(np.uint8)
        preview = icc.to_srgb8(preview, profile)
    rgb = preview.astype(np.float32) / np.float32(65535 if preview.dtype == np.uint16 else 255)
    lab = color.srgb_to_lab(rgb)
    chroma = np.hypot(lab[..., 1], lab[..., 2])
    if alpha is not None:
        chroma = chroma[cv2.resize(alpha, size, interpolation=cv2.INTER_NEAREST) > 0]
    return float(np.percentile(chroma, 99)) if chroma.size else 0.0
