"""Reading a photo file at full resolution into a :class:`Photo`.

Formats: PNG, JPEG (and MPO), TIFF, WebP, GIF, BMP, PNM, and AVIF and JPEG 2000
where Pillow has them. Other formats Pillow knows (EPS, for one, which runs
Ghostscript) are refused.

A JPEG or PNG cut short (an interrupted download or copy) is offered as far as it
goes, as most viewers do, with a note that says how much is missing and that it
is shown gray, provided at least :data:`MIN_PRESENT` of its rows are there; other
damaged files are refused.
"""

from __future__ import annotations

import os
import struct
import threading
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageFile, UnidentifiedImageError

from plugins.errors import ImageError
from plugins.imageio import lightness, limits, metadata
from plugins.imageio.limits import DEFAULT_MAX_PIXELS
from plugins.imageio.photo import Photo

__all__ = ["DEFAULT_MAX_PIXELS", "read_photo"]

_FORMATS = ("PNG", "JPEG", "MPO", "TIFF", "WEBP", "GIF", "BMP", "PPM", "AVIF", "JPEG2000")
_PARTIAL_FORMATS = ("JPEG", "MPO", "PNG")  # those whose decoders Pillow lets stop early and keep what they read
MIN_PRESENT = 2 / 3
"""A truncated JPEG or PNG is offered when at least this share of its rows could be read. With less, the
colorizer would mostly see the gray that stands in for the rest: refusing it says more."""
_GRAY16_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I", "F")
_ALPHA_MODES = ("LA", "La", "PA", "RGBA", "RGBa")
# What Pillow and OpenCV raise on malformed content while decoding.
_CONTENT_ERRORS = (
    OSError, ValueError, SyntaxError, EOFError, IndexError, KeyError, TypeError,
    ZeroDivisionError, OverflowError, struct.error, Image.DecompressionBombError, cv2.error,
)  # fmt: skip


@dataclass
class _Decoded:
    pixels: np.ndarray  # gray (H, W), RGB (H, W, 3) or CMYK (H, W, 4), as stored (not yet upright)
    alpha: np.ndarray | None
    bit_depth: int
    icc_profile: bytes | None = None
    exif: bytes | None = None
    orientation: int = 1
    dpi: tuple[float, float] | None = None
    notes: list[str] = field(default_factory=list)


def read_photo(path: str | os.PathLike[str], max_pixels: int | None = None) -> Photo:
    """Read a photo for colorizing: upright, color managed, with its alpha and metadata.

    ``max_pixels`` caps width × height and is checked from the file header before
    any pixel is decoded; ``None`` means ``$TINCT_MAX_PIXELS`` if set, else
    :data:`DEFAULT_MAX_PIXELS` (200 MP). Images under 16 px on a side or longer
    than 50:1 are refused too.

    Gray sources give L* through :func:`plugins.color.gray_to_lightness`, color
    ones through :func:`plugins.color.srgb_to_lightness`; with an embedded profile
    that is not sRGB, L* comes from the luminance LittleCMS computes through it.
    16-bit sources keep 16-bit precision (16-bit color PNG and TIFF are decoded
    with OpenCV, as Pillow reduces them to 8 bits). Only the first frame of an
    animation or multi-page file is read, with a note.

    Raises :class:`~plugins.errors.ImageError` with a one-line message that does
    not name the file, for anything wrong with it.
    """
    path = Path(path)
    limit = limits.pixel_limit(max_pixels)
    limits.check_file(path)
    try:
        decoded = _read(path, limit)
    except _CONTENT_ERRORS as error:
        if not _is_truncation(error):
            raise ImageError("file is truncated or corrupt") from error
        decoded = _read(path, limit, partial=True)
    try:
        return _to_photo(decoded, path)
    except MemoryError as error:
        raise ImageError("not enough memory to read this image") from error


def _read(path: Path, limit: int, partial: bool = False) -> _Decoded:
    """Decode ``path``; ``partial``: keep what a truncated JPEG or PNG holds (a note says what is missing).
    Raises ImageError, or for a normal read one of _CONTENT_ERRORS (which may be a truncation)."""
    try:
        # Process-wide before Python 3.14: reads in parallel threads may at worst print or lose a warning.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with _truncated_reads.allowed(partial), limits.pillow_size_check_disabled(), \
                    Image.open(path, formats=_formats()) as image:
                limits.check_size(image.size, limit)
                if partial and image.format not in _PARTIAL_FORMATS:
                    raise ImageError("file is truncated or corrupt")
                decoded = _decode(image, path, partial)
                if partial:
                    _fill_missing(decoded)
        _pass_on_warnings(caught, decoded.notes)
        return decoded
    except ImageError:
        raise
    except MemoryError as error:
        raise ImageError("not enough memory to read this image") from error
    except UnidentifiedImageError as error:
        raise ImageError("not an image file (or an unsupported format)") from error
    except IsADirectoryError as error:
        raise ImageError("is a directory") from error
    except PermissionError as error:
        raise ImageError("permission denied") from error
    except FileNotFoundError as error:
        raise ImageError("file not found") from error
    except _CONTENT_ERRORS as error:
        if partial:
            raise ImageError("file is truncated or corrupt") from error
        raise


# --- truncated files ------------------------------------------------------------------------------


def _is_truncation(error: BaseException) -> bool:
    """Pillow's word for a file that ends before its picture does ("image file is truncated …")."""
    return isinstance(error, OSError) and "truncated" in str(error).lower()


class _TruncatedReads:
    """Pillow reads truncated files only with the process-wide ``ImageFile.LOAD_TRUNCATED_IMAGES``. While one
    read has it on, no normal read may run (it would quietly accept a truncated file, with no note): normal
    reads share the switch, a partial read holds it alone, and a waiting partial read goes first."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._normal = 0
        self._partial = False
        self._waiting = 0

    @contextmanager
    def allowed(self, partial: bool):
        with self._changed:
            if partial:
                self._waiting += 1
                self._changed.wait_for(lambda: not self._partial and not self._normal)
                self._waiting -= 1
                self._partial, before = True, ImageFile.LOAD_TRUNCATED_IMAGES
                ImageFile.LOAD_TRUNCATED_IMAGES = True
            else:
                self._changed.wait_for(lambda: not self._partial and not self._waiting)
                self._normal += 1
        try:
            yield
        finally:
            with self._changed:
                if partial:
                    ImageFile.LOAD_TRUNCATED_IMAGES = before
                    self._partial = False
                else:
                    self._normal -= 1
                self._changed.notify_all()


_truncated_reads = _TruncatedReads()


def _fill_missing(decoded: _Decoded) -> None:
    """Make the rows a truncated file did not hold a flat mid gray, opaque, and say so (or refuse the file
    if too little of it is there). Pillow leaves them as its decoder's filler: mid gray in a JPEG, zero
    (black or transparent) in a PNG; a run of identical flat rows at the bottom is taken for them."""
    pixels, height = decoded.pixels, decoded.pixels.shape[0]
    missing = _flat_rows_at_bottom(pixels, decoded.alpha)
    present = 1.0 - missing / height
    if present < MIN_PRESENT:
        raise ImageError(f"file is truncated or corrupt (only {present:.0%} of the picture is there)")
    if missing:
        pixels = decoded.pixels = np.array(pixels)  # Pillow's arrays are read-only
        middle = (int(np.iinfo(pixels.dtype).max) + 1) // 2
        pixels[height - missing :] = middle if pixels.ndim == 2 or pixels.shape[2] != 4 else (0, 0, 0, middle)
        if decoded.alpha is not None:
            decoded.alpha = np.array(decoded.alpha)
            decoded.alpha[height - missing :] = np.iinfo(decoded.alpha.dtype).max
        side = _side_after_turning(decoded.orientation)
        share = f"the {side} {1 - present:.0%} of the picture is" if 1 - present >= 0.005 else f"a few rows at the {side} are"
        decoded.notes.append(f"part of this file is missing: {share} gray")
    else:
        decoded.notes.append("part of this file is missing: the picture may be incomplete or less sharp")


def _flat_rows_at_bottom(pixels: np.ndarray, alpha: np.ndarray | None) -> int:
    rows = pixels.reshape(pixels.shape[0], -1)
    if alpha is not None:
        rows = np.concatenate([rows, alpha.reshape(alpha.shape[0], -1).astype(rows.dtype)], axis=1)
    channels = 1 if pixels.ndim == 2 else pixels.shape[2]
    last = rows[-1]
    if not np.all(last[:channels * pixels.shape[1]] == np.tile(last[:channels], pixels.shape[1])):
        return 0  # the last row is not flat: nothing is missing that we can tell
    same = np.all(rows == last, axis=1)
    differing = np.flatnonzero(~same)
    return len(rows) - 1 - int(differing[-1]) if differing.size else len(rows)


def _side_after_turning(orientation: int) -> str:
    """Where the file's last rows end up once the photo is turned upright."""
    marker = np.zeros((3, 3), np.uint8)
    marker[2, :] = 1
    upright = metadata.make_upright(marker, orientation)
    for side, edge in (("bottom", upright[2, :]), ("top", upright[0, :]), ("left", upright[:, 0]), ("right", upright[:, 2])):
        if edge.all():
            return side
    return "bottom"


def _pass_on_warnings(caught: list[warnings.WarningMessage], notes: list[str]) -> None:
    """Pillow warns about damaged metadata it skips: that becomes a note, anything else is re-issued."""
    for warning in caught:
        if issubclass(warning.category, UserWarning) and "PIL" in Path(warning.filename).parts:
            if "damaged metadata was skipped" not in notes:
                notes.append("damaged metadata was skipped")
        else:
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)


def _to_photo(decoded: _Decoded, path: Path) -> Photo:
    notes = decoded.notes
    l_star, was_color, icc_profile = lightness.interpret(
        decoded.pixels, decoded.alpha, decoded.bit_depth, decoded.icc_profile, notes
    )
    if was_color:
        notes.append("already in color: only its lightness is used, and the result replaces its colors")
    alpha = decoded.alpha
    return Photo(
        path=path,
        lightness=np.ascontiguousarray(metadata.make_upright(l_star, decoded.orientation)),
        alpha=None if alpha is None else np.ascontiguousarray(metadata.make_upright(alpha, decoded.orientation)),
        bit_depth=decoded.bit_depth,
        exif=decoded.exif,
        icc_profile=icc_profile,
        was_color=was_color,
        notes=notes,
        dpi=decoded.dpi,
    )


def _formats() -> list[str]:
    Image.init()
    return [name for name in _FORMATS if name in Image.OPEN]


# --- decoding (everything that touches the file) -------------------------------------------


def _decode(image: Image.Image, path: Path, partial: bool = False) -> _Decoded:
    notes: list[str] = []
    _note_frames(image, notes)
    sixteen_bit_color = _is_16bit_color(image)
    if sixteen_bit_color and partial:  # OpenCV refuses what is cut short, and says so on stderr
        notes.append("16-bit color could only be read at 8-bit precision")
        sixteen_bit_color = False
    # Pillow turns TIFFs upright while loading them and drops their Orientation tag, so
    # the tag left after loading is what remains to do; the stored one still matters for dpi.
    stored_orientation = _orientation_before_load(image) if image.format == "TIFF" else None
    image.load()
    exif, orientation = _exif(image, notes)
    decoded = _pixels(image, path, sixteen_bit_color, notes)
    decoded.icc_profile = image.info.get("icc_profile") or None
    decoded.exif, decoded.orientation, decoded.notes = exif, orientation, notes
    decoded.dpi = _dpi(image.info.get("dpi"), stored_orientation or orientation)
    return decoded


def _note_frames(image: Image.Image, notes: list[str]) -> None:
    try:
        frames = getattr(image, "n_frames", 1)
    except _CONTENT_ERRORS:
        frames = 1  # a broken later frame must not stop us reading the first one
    image.seek(0)
    if frames > 1 and image.format != "MPO":
        what, unit = ("multi-page TIFF", "pages") if image.format == "TIFF" else (f"animated {image.format}", "frames")
        notes.append(f"{what}: only the first of {frames} {unit} is used")


def _is_16bit_color(image: Image.Image) -> bool:
    """Whether Pillow is about to reduce 16-bit color (or gray with alpha) to 8 bits."""
    if image.mode not in ("RGB", "RGBA", "LA") or not image.tile:
        return False
    args = image.tile[0][3]  # a plain tuple before Pillow 11, a named one since
    rawmode = args[0] if isinstance(args, tuple) and args else args
    return isinstance(rawmode, str) and ";16" in rawmode


def _pixels(image: Image.Image, path: Path, sixteen_bit_color: bool, notes: list[str]) -> _Decoded:
    if sixteen_bit_color:
        decoded = _decode_with_opencv(path, image)
        if decoded is not None:
            return decoded
        notes.append("16-bit color could only be read at 8-bit precision")
    mode = image.mode
    if mode in _GRAY16_MODES:
        return _Decoded(_gray16(image), None, 16)
    if mode == "1":
        notes.append("1-bit black-and-white image: it has no gray tones to work from")
    if mode == "CMYK":
        notes.append("converted from CMYK")
        return _Decoded(np.asarray(image), None, 8)
    has_alpha = mode in _ALPHA_MODES or "transparency" in image.info
    gray = mode in ("1", "L", "LA", "La")
    target = ("LA" if has_alpha else "L") if gray else ("RGBA" if has_alpha else "RGB")
    try:
        pixels = np.asarray(image if image.mode == target else image.convert(target))
    except ValueError as error:
        raise ImageError(f"unsupported color mode {mode}") from error
    if not has_alpha:
        return _Decoded(pixels, None, 8)
    color = pixels[..., 0] if gray else pixels[..., :3]
    return _Decoded(np.ascontiguousarray(color), np.ascontiguousarray(pixels[..., -1]), 8)


def _gray16(image: Image.Image) -> np.ndarray:
    pixels = np.asarray(image)
    if image.mode == "F":
        pixels = np.clip(np.nan_to_num(pixels), 0.0, 1.0) * 65535.0 + 0.5
    return np.clip(pixels, 0, 65535).astype(np.uint16)


def _decode_with_opencv(path: Path, image: Image.Image) -> _Decoded | None:
    """16-bit RGB(A) from OpenCV, laid out like Pillow's 8-bit decoding of the loaded ``image``.

    OpenCV turns some formats upright by itself, Pillow others, so OpenCV's result
    is matched against Pillow's pixels (their high bytes) rather than trusted.
    """
    try:
        pixels = cv2.imdecode(np.fromfile(path, dtype=np.uint8), cv2.IMREAD_UNCHANGED)
    except (cv2.error, OSError, MemoryError):
        return None
    if pixels is None or pixels.dtype != np.uint16 or pixels.ndim != 3 or pixels.shape[2] not in (3, 4):
        return None
    pixels = pixels[..., [2, 1, 0, 3][: pixels.shape[2]]]
    reference = np.asarray(image.convert("RGBA" if pixels.shape[2] == 4 else "RGB"))
    for orientation in range(1, 9):
        candidate = metadata.make_upright(pixels, orientation)
        if candidate.shape == reference.shape and np.array_equal(candidate >> 8, reference):
            alpha = np.ascontiguousarray(candidate[..., 3]) if candidate.shape[2] == 4 else None
            return _Decoded(np.ascontiguousarray(candidate[..., :3]), alpha, 16)
    return None


def _orientation_before_load(image: Image.Image) -> int | None:
    try:
        return metadata.orientation(image.getexif())
    except _CONTENT_ERRORS:
        return None


def _exif(image: Image.Image, notes: list[str]) -> tuple[bytes | None, int]:
    try:
        exif = image.getexif()
        orientation = metadata.orientation(exif)
    except _CONTENT_ERRORS:
        notes.append("EXIF data is unreadable and was left out")
        return None, 1
    try:
        return metadata.exif_for_output(exif), orientation
    except _CONTENT_ERRORS:
        notes.append("EXIF data could not be copied and was left out")
        return None, orientation


MAX_DPI = 65535.0  # PNG stores pixels per metre in 32 bits, JPEG dots per inch in 16


def _dpi(value: object, orientation: int) -> tuple[float, float] | None:
    try:
        x, y = (float(v) for v in value)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        return None
    if not (0 < x <= MAX_DPI and 0 < y <= MAX_DPI):  # also drops NaN and infinity, which no encoder takes
        return None
    return (y, x) if metadata.swaps_axes(orientation) else (x, y)
