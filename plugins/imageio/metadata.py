"""EXIF orientation and the metadata a saved result inherits from its source."""

from __future__ import annotations

import numpy as np
from PIL import Image

ORIENTATION = 0x0112
_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825
# Descriptive IFD0 tags only: a TIFF's IFD0 also holds its pixel layout (strip offsets,
# bits per sample...), which must never be copied into another file.
_KEPT_IFD0_TAGS = (
    0x010E,  # ImageDescription
    0x010F,  # Make
    0x0110,  # Model
    0x011A,  # XResolution
    0x011B,  # YResolution
    0x0128,  # ResolutionUnit
    0x0131,  # Software
    0x0132,  # DateTime
    0x013B,  # Artist
    0x8298,  # Copyright
)
_DROPPED_EXIF_TAGS = (
    0xA002,  # PixelXDimension: stale once rotated
    0xA003,  # PixelYDimension
    0xA005,  # Interoperability IFD pointer: an offset that would dangle in the copy
)


def orientation(exif: Image.Exif) -> int:
    """The EXIF Orientation (1..8); 1 (upright) when missing or invalid."""
    value = exif.get(ORIENTATION, 1)
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def swaps_axes(orientation_value: int) -> bool:
    """Whether turning this orientation upright swaps width and height."""
    return orientation_value in (5, 6, 7, 8)


def make_upright(pixels: np.ndarray, orientation_value: int) -> np.ndarray:
    """Apply an EXIF orientation to ``(H, W, ...)`` pixels, as ``ImageOps.exif_transpose`` would.

    Returns a view where possible; callers make it contiguous once at the end.
    """
    if orientation_value == 2:
        return pixels[:, ::-1]
    if orientation_value == 3:
        return pixels[::-1, ::-1]
    if orientation_value == 4:
        return pixels[::-1]
    if orientation_value == 5:
        return pixels.swapaxes(0, 1)
    if orientation_value == 6:
        return np.rot90(pixels, -1)
    if orientation_value == 7:
        return pixels[::-1, ::-1].swapaxes(0, 1)
    if orientation_value == 8:
        return np.rot90(pixels, 1)
    return pixels


def exif_for_output(exif: Image.Exif) -> bytes | None:
    """The descriptive part of ``exif`` as bytes with Orientation 1; ``None`` when nothing is left.

    Raises whatever Pillow raises on malformed EXIF; the reader turns that into a note.
    """
    kept = Image.Exif()
    for tag in _KEPT_IFD0_TAGS:
        if tag in exif:
            kept[tag] = exif[tag]
    exif_ifd = {tag: value for tag, value in exif.get_ifd(_EXIF_IFD).items() if tag not in _DROPPED_EXIF_TAGS}
    if exif_ifd:
        kept[_EXIF_IFD] = exif_ifd
    gps_ifd = exif.get_ifd(_GPS_IFD)
    if gps_ifd:
        kept[_GPS_IFD] = dict(gps_ifd)
    if not len(kept):
        return None
    kept[ORIENTATION] = 1
    return kept.tobytes()
