"""ICC color management for reading and writing photos, on top of Pillow's LittleCMS.

Pillow's LittleCMS bindings only transform 8-bit color and 8/16-bit gray images.
To get 16-bit precise lightness anyway, every profiled input is transformed into
a linear gray profile built here (identity tone curve, so its 16-bit output *is*
the relative luminance Y); 16-bit RGB is interpolated in a table of 8-bit colors.
"""

from __future__ import annotations

import functools
import io
import itertools
import struct

import numpy as np
from PIL import Image, ImageCms

_D50 = (0.9642, 1.0, 0.8249)
# LittleCMS constants as plain ints: Pillow only gained its Intent and Flags enums in 10.x.
_INTENT = 1  # relative colorimetric
_FLAGS = 0x2000  # black point compensation
_PRECISE = _FLAGS | 0x0100  # no optimization: the optimized tables are off by ~0.4 L* in deep shadows
_SRGB_TOLERANCE = 1  # 8-bit code values; different sRGB profile builds differ by this much


# --- building profiles -------------------------------------------------------------


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def xyz_tag(xyz: tuple[float, float, float]) -> bytes:
    """An ICC ``XYZType`` tag body."""
    return b"XYZ \0\0\0\0" + b"".join(_s15(v) for v in xyz)


def curve_tag(gamma: float | None) -> bytes:
    """An ICC ``curveType`` tag body: a pure gamma curve, or the identity for ``None``."""
    if gamma is None:
        return b"curv\0\0\0\0" + struct.pack(">I", 0)
    return b"curv\0\0\0\0" + struct.pack(">IH", 1, round(gamma * 256))


def text_tag(text: str) -> bytes:
    """An ICC v2 ``textDescriptionType`` tag body."""
    ascii_text = text.encode("ascii") + b"\0"
    return b"desc\0\0\0\0" + struct.pack(">I", len(ascii_text)) + ascii_text + b"\0" * 8 + b"\0" * 70


def make_profile(color_space: str, tags: dict[str, bytes], device_class: str = "mntr", pcs: str = "XYZ ") -> bytes:
    """A minimal ICC v2 profile (e.g. ``"GRAY"``, ``"RGB "``) from tag bodies keyed by signature."""
    table_end = 128 + 4 + 12 * len(tags)
    table, body = struct.pack(">I", len(tags)), b""
    for signature, data in tags.items():
        body += b"\0" * (-len(body) % 4)
        table += signature.encode("ascii") + struct.pack(">II", table_end + len(body), len(data))
        body += data
    header = (
        struct.pack(">I", table_end + len(body))
        + b"lcms"
        + struct.pack(">I", 0x02100000)
        + device_class.encode("ascii")
        + color_space.encode("ascii")
        + pcs.encode("ascii")
        + b"\0" * 12
        + b"acsp"
        + b"\0" * 28
        + b"".join(_s15(v) for v in _D50)
        + b"\0" * 48
    )
    return header + table + body


@functools.cache
def _linear_gray() -> ImageCms.ImageCmsProfile:
    data = make_profile(
        "GRAY",
        {"desc": text_tag("Tinct linear gray"), "wtpt": xyz_tag(_D50), "kTRC": curve_tag(None)},
    )
    return ImageCms.ImageCmsProfile(io.BytesIO(data))


@functools.cache
def _srgb() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


@functools.cache
def srgb_profile_bytes() -> bytes:
    """The bytes of LittleCMS's built-in sRGB profile, to embed in output files."""
    return _srgb().tobytes()


# --- inspecting profiles -------------------------------------------------------------


def load_profile(data: bytes) -> ImageCms.ImageCmsProfile:
    """Parse profile bytes; raises ``OSError`` or ``ImageCms.PyCMSError`` when they are broken."""
    return ImageCms.ImageCmsProfile(io.BytesIO(data))


def color_space(profile: ImageCms.ImageCmsProfile) -> str:
    """``"RGB"``, ``"GRAY"``, ``"CMYK"`` or another ICC color space signature, stripped."""
    return profile.profile.xcolor_space.strip()


@functools.cache
def _srgb_probe() -> np.ndarray:
    levels = np.arange(0, 256, 15, dtype=np.uint8)
    return np.array(list(itertools.product(levels, repeat=3)), dtype=np.uint8)[None]


@functools.lru_cache(maxsize=16)
def is_srgb_like(data: bytes) -> bool:
    """Whether an RGB or gray profile renders like sRGB, so its pixels can be used as they are."""
    profile = load_profile(data)
    space = color_space(profile)
    if space == "RGB":
        probe = _srgb_probe()
        mode = "RGB"
    elif space == "GRAY":
        probe = np.arange(256, dtype=np.uint8)[None]
        mode = "L"
    else:
        return False
    out = ImageCms.applyTransform(
        Image.fromarray(probe), ImageCms.buildTransform(profile, _srgb(), mode, "RGB", _INTENT, _FLAGS)
    )
    expected = probe if space == "RGB" else np.repeat(probe[..., None], 3, axis=-1)
    return int(np.abs(np.asarray(out, dtype=np.int16) - expected).max()) <= _SRGB_TOLERANCE


# --- transforms ----------------------------------------------------------------------


def _to_luminance(image: Image.Image, profile: ImageCms.ImageCmsProfile) -> np.ndarray:
    transform = ImageCms.buildTransform(profile, _linear_gray(), image.mode, "I;16", _INTENT, _PRECISE)
    return np.asarray(ImageCms.applyTransform(image, transform), dtype=np.float32) / 65535.0


def luminance(pixels: np.ndarray, profile: ImageCms.ImageCmsProfile) -> np.ndarray:
    """Relative luminance Y (white = 1), ``float32 (H, W)``, of pixels encoded in ``profile``.

    ``pixels`` is gray ``(H, W)`` uint8/uint16, RGB ``(H, W, 3)`` uint8/uint16 or
    CMYK ``(H, W, 4)`` uint8. Raises ``ImageCms.PyCMSError`` when the profile does
    not fit the pixels.
    """
    if pixels.ndim == 2:
        levels = np.arange(256 if pixels.dtype == np.uint8 else 65536, dtype=pixels.dtype)
        table = _to_luminance(Image.fromarray(levels.reshape(-1, 256)), profile).ravel()
        return table[pixels]
    if pixels.shape[2] == 4:
        return _to_luminance(Image.frombytes("CMYK", pixels.shape[1::-1], pixels.tobytes()), profile)
    if pixels.dtype == np.uint8:
        return _to_luminance(Image.fromarray(pixels), profile)
    return _rgb16_luminance(pixels, profile)


_GRID_STEP = 3  # 8-bit code values between grid nodes: 86 nodes per axis, all exact 8-bit colors
_GRID_NODES = 255 // _GRID_STEP + 1


def _rgb16_luminance(pixels: np.ndarray, profile: ImageCms.ImageCmsProfile) -> np.ndarray:
    # A 3D table of Y on a grid of 8-bit colors, interpolated trilinearly: as precise as 16-bit
    # needs (< 0.05 L* in deep shadows, far less elsewhere) and much faster than per-pixel LittleCMS.
    levels = np.arange(0, 256, _GRID_STEP, dtype=np.uint8)
    nodes = np.stack(np.meshgrid(levels, levels, levels, indexing="ij"), axis=-1).reshape(1, -1, 3)
    table = _to_luminance(Image.fromarray(nodes), profile).ravel()
    strides = np.array([_GRID_NODES * _GRID_NODES, _GRID_NODES, 1], dtype=np.int32)
    result = np.empty(pixels.shape[:2], dtype=np.float32)
    for top in range(0, pixels.shape[0], 256):
        scaled = pixels[top : top + 256].astype(np.float32) * np.float32((_GRID_NODES - 1) / 65535.0)
        low = np.minimum(scaled.astype(np.int32), _GRID_NODES - 2)
        frac = scaled - low
        base = low @ strides
        rows = np.zeros(base.shape, dtype=np.float32)
        for corner in itertools.product((0, 1), repeat=3):
            weight = np.ones(base.shape, dtype=np.float32)
            for channel, step in enumerate(corner):
                weight *= frac[..., channel] if step else 1.0 - frac[..., channel]
            rows += weight * table[base + int(np.dot(corner, strides))]
        result[top : top + 256] = rows
    return result


def to_srgb8(pixels: np.ndarray, profile: ImageCms.ImageCmsProfile) -> np.ndarray:
    """8-bit RGB ``(H, W, 3)`` or CMYK ``(H, W, 4)`` pixels in ``profile`` → 8-bit sRGB ``(H, W, 3)``."""
    mode = "CMYK" if pixels.shape[2] == 4 else "RGB"
    image = Image.frombytes(mode, pixels.shape[1::-1], np.ascontiguousarray(pixels).tobytes())
    transform = ImageCms.buildTransform(profile, _srgb(), mode, "RGB", _INTENT, _FLAGS)
    return np.asarray(ImageCms.applyTransform(image, transform))


def from_srgb8(pixels: np.ndarray, profile_bytes: bytes) -> np.ndarray:
    """8-bit sRGB ``(H, W, 3)`` → 8-bit RGB in the RGB profile given as bytes."""
    transform = ImageCms.buildTransform(_srgb(), load_profile(profile_bytes), "RGB", "RGB", _INTENT, _FLAGS)
    return np.asarray(ImageCms.applyTransform(Image.fromarray(pixels), transform))
