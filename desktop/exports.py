"""File names for results, and the comparison sheet (pure functions: no Qt, no backend)."""

from __future__ import annotations

import os
import secrets
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from plugins.errors import ImageError
from plugins.host.pipeline import output_name

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".gif", ".bmp"}
SHEET_BACKGROUND = (30, 31, 34)
SHEET_TEXT = (225, 226, 230)
SHEET_MARGIN = 24


def result_name(photo: Path, backend_id: str, label: int | str, fmt: str) -> str:
    """``barn.regression.2.png`` for sample 2 (counting from 1), ``barn.regression.combined.png``."""
    if isinstance(label, int):
        return output_name(photo.stem, backend_id, label, fmt)
    return f"{photo.stem}.{backend_id}.{label}.{fmt}"


def result_stems(sources: list[Path], out_dirs: list[Path]) -> list[str]:
    """The stem each photo's result names start with: its own, or its whole name where two photos
    would write the same names into one folder (``x.jpg`` and ``x.png`` → ``x.jpg.…``, ``x.png.…``)."""
    keys = [(Path(os.path.abspath(d)), source.stem) for source, d in zip(sources, out_dirs)]
    counts = Counter(keys)
    return [source.name if counts[key] > 1 else source.stem for source, key in zip(sources, keys)]


def unique_path(path: Path) -> Path:
    """``path``, or ``name-2.ext``, ``name-3.ext``… whichever does not exist yet."""
    candidate, number = path, 2
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")
        number += 1
    return candidate


def is_result_name(path: Path, backend_ids) -> bool:
    """Whether ``path`` looks like a file Tinct wrote (``stem.<backend>.<k or combined>.ext``)."""
    parts = path.name.split(".")
    return len(parts) >= 4 and parts[-3] in backend_ids and (parts[-2].isdigit() or parts[-2] == "combined")


def is_input_photo(path: Path, backend_ids=()) -> bool:
    """A photo file to colorize: an image by its suffix, and not one of Tinct's own results."""
    return path.is_file() and path.suffix.lower() in PHOTO_SUFFIXES and not is_result_name(path, set(backend_ids))


def photos_in(folder: Path, backend_ids=()) -> list[Path]:
    """The photos directly inside ``folder``, sorted, leaving out Tinct's own results."""
    return sorted(p for p in folder.iterdir() if is_input_photo(p, backend_ids))


def fit_long_side(image: np.ndarray, long_side: int) -> np.ndarray:
    """Shrink (never enlarge) so the long side is at most ``long_side`` px."""
    h, w = image.shape[:2]
    scale = long_side / max(h, w)
    if scale >= 1:
        return image
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def to_uint8(rgb: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.clip(rgb * 255.0 + 0.5, 0, 255).astype(np.uint8))


def comparison_sheet(tiles: list[tuple[str, np.ndarray]], columns: int | None = None) -> np.ndarray:
    """Lay out labelled ``uint8 (h, w, 3)`` tiles of one size in a grid; returns the sheet."""
    if not tiles:
        raise ValueError("a comparison sheet needs at least one tile")
    columns = columns or (len(tiles) if len(tiles) <= 4 else min(4, (len(tiles) + 1) // 2))
    rows = -(-len(tiles) // columns)
    tile_h, tile_w = tiles[0][1].shape[:2]
    font = _font(max(14, tile_w // 28))
    label_h = int(font.size * 2.0)
    width = columns * tile_w + (columns + 1) * SHEET_MARGIN
    height = rows * (tile_h + label_h) + (rows + 1) * SHEET_MARGIN
    sheet = Image.new("RGB", (width, height), SHEET_BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    for position, (label, pixels) in enumerate(tiles):
        row, column = divmod(position, columns)
        x = SHEET_MARGIN + column * (tile_w + SHEET_MARGIN)
        y = SHEET_MARGIN + row * (tile_h + label_h + SHEET_MARGIN)
        sheet.paste(Image.fromarray(pixels, "RGB"), (x, y))
        draw.text((x + tile_w / 2, y + tile_h + label_h / 2), label, fill=SHEET_TEXT, font=font, anchor="mm")
    return np.asarray(sheet)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for name in ("DejaVuSans.ttf", "Arial.ttf", "Helvetica.ttc"):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size)


def save_image_atomically(pixels: np.ndarray, target: Path, protected: tuple[Path, ...] = ()) -> Path:
    """Write an 8-bit RGB image (format from the suffix) through a temporary file and a rename."""
    target = Path(target)
    if any(p.exists() and target.exists() and os.path.samefile(p, target) for p in protected):
        raise ImageError("would overwrite the input photo; choose another name or folder")
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    fmt = {".jpg": "JPEG", ".jpeg": "JPEG", ".tif": "TIFF", ".tiff": "TIFF"}.get(target.suffix.lower(), "PNG")
    try:
        Image.fromarray(pixels, "RGB").save(temporary, fmt, **({"quality": 92} if fmt == "JPEG" else {}))
        os.replace(temporary, target)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise ImageError(f"cannot write {target.name}: {error.strerror or error}") from error
    return target
