"""Checks made before any pixel is decoded: the file itself, and the image size from its header."""

from __future__ import annotations

import contextlib
import os
import stat
import threading
from pathlib import Path

from PIL import Image

from plugins.errors import ImageError

DEFAULT_MAX_PIXELS = 200_000_000
"""The largest image (width × height) read by default, about 5 GB of working memory.

The environment variable ``TINCT_MAX_PIXELS`` replaces it when the caller gives no limit.
"""
MIN_SIDE = 16
"""Shortest side, in pixels, of an image Tinct will colorize."""
MAX_ASPECT = 50
"""Longest ratio of long side to short side Tinct will colorize."""


def pixel_limit(max_pixels: int | None) -> int:
    """``max_pixels`` if given, else ``$TINCT_MAX_PIXELS`` if set, else :data:`DEFAULT_MAX_PIXELS`."""
    if max_pixels is not None:
        return max_pixels
    raw = os.environ.get("TINCT_MAX_PIXELS", "").strip()
    if not raw:
        return DEFAULT_MAX_PIXELS
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value <= 0:
        raise ImageError(f"TINCT_MAX_PIXELS must be a positive whole number of pixels, not {raw!r}")
    return value


def check_file(path: Path) -> None:
    """Refuse what is not a non-empty regular file, before handing it to a decoder."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ImageError("file not found") from None
    except PermissionError:
        raise ImageError("permission denied") from None
    except OSError as error:
        raise ImageError(f"cannot read the file: {error.strerror or error}") from None
    if stat.S_ISDIR(info.st_mode):
        raise ImageError("is a directory")
    if not stat.S_ISREG(info.st_mode):
        raise ImageError("not a regular file")
    if info.st_size == 0:
        raise ImageError("file is empty")


def _megapixels(pixels: int) -> str:
    value = pixels / 1e6
    return f"{value:.0f}" if value >= 10 else f"{value:.2g}"


def check_size(size: tuple[int, int], limit: int) -> None:
    """Refuse images over ``limit`` pixels, under :data:`MIN_SIDE` or beyond :data:`MAX_ASPECT`."""
    width, height = size
    if width * height > limit:
        raise ImageError(
            f"image is {width}×{height} = {_megapixels(width * height)} MP, over the limit of "
            f"{_megapixels(limit)} MP (set TINCT_MAX_PIXELS to raise it)"
        )
    if min(width, height) < MIN_SIDE:
        raise ImageError(f"image is {width}×{height} px; Tinct needs at least {MIN_SIDE} px on each side")
    if max(width, height) > MAX_ASPECT * min(width, height):
        raise ImageError(
            f"image is {width}×{height} px, longer than {MAX_ASPECT}:1; Tinct cannot colorize such a strip"
        )


_lock = threading.Lock()
_users = 0
_saved_pillow_limit: float | None = None


@contextlib.contextmanager
def pillow_size_check_disabled():
    """Turn off Pillow's own decompression-bomb check while :func:`check_size` stands in for it.

    Pillow's check is process-wide and warns, or raises before the size is known, at
    a limit of its own; counting users keeps overlapping reads in threads safe.
    """
    global _users, _saved_pillow_limit
    with _lock:
        if _users == 0:
            _saved_pillow_limit = Image.MAX_IMAGE_PIXELS
            Image.MAX_IMAGE_PIXELS = None
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0:
                Image.MAX_IMAGE_PIXELS = _saved_pillow_limit
