"""Saving a colorized result next to its source: PNG, JPEG or TIFF, atomically, with the source's metadata."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
import struct
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import ImageCms

from plugins import color
from plugins.errors import ImageError
from plugins.imageio import encoders, icc
from plugins.imageio.photo import Photo

JPEG_MAX_SIDE = 65_535
_BAND_ROWS = 64  # rows quantized at a time: a few MB, cache-sized at 4000 px wide


@dataclass(frozen=True)
class OutputFormat:
    """What one output format can hold."""

    name: str
    suffix: str
    alpha: bool
    max_bit_depth: int


OUTPUT_FORMATS: dict[str, OutputFormat] = {
    "png": OutputFormat("PNG", ".png", alpha=True, max_bit_depth=16),
    "jpg": OutputFormat("JPEG", ".jpg", alpha=False, max_bit_depth=8),
    "tif": OutputFormat("TIFF", ".tif", alpha=True, max_bit_depth=16),
}
"""Output formats by the name used on the command line; ``"jpeg"`` and ``"tiff"`` are accepted too."""
_ALIASES = {"jpeg": "jpg", "tiff": "tif"}


def save_photo(
    rgb: np.ndarray,
    photo: Photo,
    target: str | os.PathLike[str],
    fmt: str = "png",
    quality: int = 95,
    overwrite: bool = False,
) -> Path:
    """Write a colorized ``photo`` to ``target`` (used as given) and return that path.

    ``rgb`` is ``float32 (H, W, 3)`` sRGB in ``0..1`` at the photo's size, or
    ``uint8`` sRGB codes, which skip the quantization (cheaper where
    :func:`output_bit_depth` is 8; at 16 bits they are widened). PNG and
    TIFF are 16-bit when the source was, else 8-bit, and keep the alpha channel;
    JPEG (``quality`` 1..100) has no alpha, so transparent areas are composited
    onto white. The source's EXIF is copied; when the source had an RGB ICC profile
    8-bit output is converted into it and embeds it, otherwise the output is
    tagged sRGB (16-bit output too: Pillow cannot convert 16-bit color).

    The file appears atomically (temporary file in the same folder, fsync,
    rename) or not at all. An existing file is replaced only with ``overwrite``;
    the source photo never is. Raises :class:`~plugins.errors.ImageError` for
    anything the user can fix, ``ValueError`` for arguments that break the contract.
    """
    fmt = _ALIASES.get(fmt.lower(), fmt.lower())
    if fmt not in OUTPUT_FORMATS:
        raise ImageError(f"unknown output format {fmt!r} (choose {', '.join(OUTPUT_FORMATS)})")
    spec = OUTPUT_FORMATS[fmt]
    _check_arguments(rgb, photo, quality)
    target = Path(target)
    _check_target(target, Path(photo.path), overwrite)
    if fmt == "jpg" and max(photo.size) > JPEG_MAX_SIDE:
        raise ImageError(f"JPEG cannot hold images over {JPEG_MAX_SIDE} px on a side; save as png or tif")
    bit_depth = output_bit_depth(photo, fmt)
    matte = photo.alpha if photo.alpha is not None and not spec.alpha else None
    pixels, icc_bytes = _into_output_profile(_quantize(rgb, bit_depth, matte), photo.icc_profile)
    if photo.alpha is not None and spec.alpha:
        pixels = np.dstack((pixels, _alpha_at_depth(photo.alpha, bit_depth)))
    exif = photo.exif
    if fmt == "jpg" and exif and len(exif) > 65_533:
        exif = None  # over the size of one JPEG APP1 segment

    def encode(file) -> None:
        if fmt == "png":
            encoders.write_png(file, pixels, icc_bytes, exif, photo.dpi)
        elif fmt == "jpg":
            encoders.write_jpeg(file, pixels, icc_bytes, exif, photo.dpi, quality)
        else:
            encoders.write_tiff(file, pixels, icc_bytes, exif, photo.dpi)

    try:
        _write_atomically(target, encode)
    except ImageError:
        raise
    except MemoryError as error:
        raise ImageError("not enough memory to write this image") from error
    except OSError as error:
        if error.errno == errno.ENOSPC:
            raise ImageError("cannot write: the disk is full") from error
        raise ImageError(f"cannot write: {error.strerror or error}") from error
    except (ValueError, OverflowError, struct.error, cv2.error) as error:
        raise ImageError(f"cannot encode {spec.name}: {error}") from error
    return target


def output_bit_depth(photo: Photo, fmt: str) -> int:
    """Bits per channel that :func:`save_photo` writes for ``photo`` in ``fmt``: 16 where both allow it, else 8."""
    spec = OUTPUT_FORMATS.get(_ALIASES.get(fmt.lower(), fmt.lower()))
    return 16 if spec is not None and photo.bit_depth == 16 and spec.max_bit_depth == 16 else 8


def _check_arguments(rgb: np.ndarray, photo: Photo, quality: int) -> None:
    height, width = photo.lightness.shape
    if rgb.shape != (height, width, 3):
        raise ValueError(f"rgb must have shape {(height, width, 3)}, not {rgb.shape}")
    if rgb.dtype != np.uint8 and rgb.dtype.kind != "f":
        raise ValueError(f"rgb must be floating point or uint8, not {rgb.dtype}")
    if not 1 <= quality <= 100:
        raise ValueError(f"quality must be 1..100, not {quality}")


def _same_file(first: Path, second: Path) -> bool:
    with contextlib.suppress(OSError):
        if os.path.samefile(first, second):
            return True
    return first.resolve() == second.resolve()


def _check_target(target: Path, source: Path, overwrite: bool) -> None:
    if target.is_dir():
        raise ImageError("is a directory")
    if _same_file(target, source):
        raise ImageError("would overwrite the input photo; choose another name or folder")
    if (target.exists() or target.is_symlink()) and not overwrite:
        raise ImageError("already exists")
    folder = target.parent
    if not folder.is_dir():
        problem = "it is not a folder" if folder.exists() else "no such folder"
        raise ImageError(f"cannot write to folder {folder}: {problem}")


def _quantize(rgb: np.ndarray, bit_depth: int, matte_alpha: np.ndarray | None) -> np.ndarray:
    """sRGB (float 0..1 or uint8 codes) → integers, in bands of rows; ``matte_alpha`` composites onto white first."""
    if rgb.dtype == np.uint8 and bit_depth == 8 and matte_alpha is None:
        return rgb
    top_value = 65535 if bit_depth == 16 else 255
    out = np.empty(rgb.shape, dtype=np.uint16 if bit_depth == 16 else np.uint8)
    for top in range(0, rgb.shape[0], _BAND_ROWS):
        band = rgb[top : top + _BAND_ROWS]
        band = band * np.float32(1 / 255) if band.dtype == np.uint8 else band.astype(np.float32, copy=False)
        if matte_alpha is not None:
            alpha = matte_alpha[top : top + _BAND_ROWS, :, None].astype(np.float32) / np.iinfo(matte_alpha.dtype).max
            band = np.clip(np.nan_to_num(band), 0.0, 1.0) * alpha + (1.0 - alpha)
        color.quantize(band, top_value, out[top : top + _BAND_ROWS])
    return out


def _alpha_at_depth(alpha: np.ndarray, bit_depth: int) -> np.ndarray:
    if bit_depth == 16:
        return alpha.astype(np.uint16) * 257 if alpha.dtype == np.uint8 else alpha.astype(np.uint16)
    return ((alpha.astype(np.uint32) + 128) // 257).astype(np.uint8) if alpha.dtype != np.uint8 else alpha


def _into_output_profile(pixels: np.ndarray, source_icc: bytes | None) -> tuple[np.ndarray, bytes]:
    """sRGB pixels converted into the source's RGB profile where possible, and the profile to embed."""
    if source_icc:
        try:
            if icc.color_space(icc.load_profile(source_icc)) == "RGB":
                if icc.is_srgb_like(source_icc):
                    return pixels, source_icc
                if pixels.dtype == np.uint8:
                    return icc.from_srgb8(pixels, source_icc), source_icc
        except (OSError, ImageCms.PyCMSError):
            pass  # unusable: fall back to tagging the pixels as what they are
    return pixels, icc.srgb_profile_bytes()


def _write_atomically(target: Path, encode) -> None:
    folder = target.parent
    temporary, descriptor = _create_temporary(folder, target.name)
    try:
        with os.fdopen(descriptor, "wb") as file:
            with contextlib.suppress(FileNotFoundError):
                os.chmod(temporary, stat.S_IMODE(target.stat().st_mode))  # keep a replaced file's permissions
            encode(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _sync_folder(folder)


def _create_temporary(folder: Path, name: str) -> tuple[Path, int]:
    # os.open rather than tempfile: mode 0o666 lets the umask decide, as for any new file
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        temporary = folder / f".{name[:100]}.{secrets.token_hex(4)}.tmp"
        try:
            return temporary, os.open(temporary, flags, 0o666)
        except FileExistsError:
            continue
        except PermissionError:
            raise ImageError(f"cannot write to folder {folder}: permission denied") from None
        except OSError as error:
            raise ImageError(f"cannot write to folder {folder}: {error.strerror or error}") from None
    raise ImageError(f"cannot write to folder {folder}: cannot create a temporary file")


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX only; elsewhere directories cannot be opened)."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
