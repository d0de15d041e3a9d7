"""numpy pixels to Qt images (the copy makes the QImage own its bytes)."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QColor, QImage, QPixmap


def to_qimage(rgb: np.ndarray | None) -> QImage | None:
    if rgb is None:
        return None
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    height, width = rgb.shape[:2]
    return QImage(rgb.data, width, height, 3 * width, QImage.Format_RGB888).copy()


def to_pixmap(rgb: np.ndarray | None) -> QPixmap:
    image = to_qimage(rgb)
    return QPixmap.fromImage(image) if image is not None else QPixmap()


def mean_color(rgb: np.ndarray) -> QColor:
    """The average color of a small preview, e.g. to tint a brush outline."""
    r, g, b = (int(v) for v in rgb.reshape(-1, 3).mean(axis=0))
    return QColor(r, g, b)
