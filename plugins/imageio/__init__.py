"""Full-resolution photo reading and writing for Tinct (Pillow, LittleCMS and OpenCV; no Qt, no torch).

:func:`read_photo` turns a file into a :class:`Photo` (upright, color-managed
lightness plus alpha and metadata); :func:`save_photo` writes a colorized sRGB
result next to it as PNG, JPEG or TIFF, atomically.
"""

from plugins.imageio.photo import Photo
from plugins.imageio.read import DEFAULT_MAX_PIXELS, read_photo
from plugins.imageio.write import OUTPUT_FORMATS, OutputFormat, output_bit_depth, save_photo

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "OUTPUT_FORMATS",
    "OutputFormat",
    "Photo",
    "output_bit_depth",
    "read_photo",
    "save_photo",
]
