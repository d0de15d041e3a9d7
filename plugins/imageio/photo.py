"""The in-memory form of a photo read from disk, ready to colorize and to save again."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass(eq=False)
class Photo:
    """A photo read by :func:`plugins.imageio.read_photo`.

    Everything the colorizer needs (the lightness) and everything
    :func:`plugins.imageio.save_photo` needs to write a faithful result (alpha,
    bit depth, metadata) travels together here.
    """

    path: Path
    """The file it was read from."""
    lightness: np.ndarray
    """``float32 (H, W)`` CIE L* in ``0..100``, upright (EXIF orientation applied) and color managed."""
    alpha: np.ndarray | None
    """``uint8`` or ``uint16`` ``(H, W)`` opacity, upright like ``lightness``; ``None`` when opaque."""
    bit_depth: int
    """8 or 16: bits per channel of the source, and of PNG and TIFF output."""
    exif: bytes | None
    """The source EXIF block (``b"Exif\\0\\0..."``) with Orientation reset to 1, ready to embed."""
    icc_profile: bytes | None
    """The source's embedded ICC profile, when it had a usable one."""
    was_color: bool
    """The source had real color (including sepia or other toning), which colorizing replaces."""
    notes: list[str] = field(default_factory=list)
    """One-line notices for the user about how the file was interpreted."""
    dpi: tuple[float, float] | None = None
    """The source's resolution in pixels per inch, when it recorded one."""

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)`` in pixels, upright."""
        height, width = self.lightness.shape
        return width, height
