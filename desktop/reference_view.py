"""The reference photo beside the photo view: the colors the photo takes from it, and where the eyedropper picks."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QWidget

from desktop import theme
from desktop.images import to_pixmap

WIDTH = 240
PICK_RADIUS = 1  # the eyedropper averages a (2r + 1)² patch: one noisy pixel is not the color


def color_at(rgb: np.ndarray, fraction_x: float, fraction_y: float) -> str:
    """``#rrggbb``: the mean color of ``rgb (h, w, 3)`` around the point at fractions of its width and height."""
    h, w = rgb.shape[:2]
    row = min(max(int(fraction_y * h), 0), h - 1)
    col = min(max(int(fraction_x * w), 0), w - 1)
    patch = rgb[max(row - PICK_RADIUS, 0):row + PICK_RADIUS + 1, max(col - PICK_RADIUS, 0):col + PICK_RADIUS + 1]
    r, g, b = (round(float(v)) for v in patch.reshape(-1, 3).mean(axis=0))
    return f"#{r:02x}{g:02x}{b:02x}"


class ReferenceView(QWidget):
    picked = Signal(str)  # "#rrggbb", while picking

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setFixedWidth(WIDTH)
        self.rgb: np.ndarray | None = None
        self._pixmap = None
        self.name = ""
        self.picking = False
        self.setVisible(False)

    def set_reference(self, rgb: np.ndarray | None, name: str = "") -> None:
        if rgb is self.rgb and name == self.name:
            return
        self.rgb, self.name = rgb, name
        self._pixmap = to_pixmap(rgb) if rgb is not None else None
        self.setVisible(rgb is not None)
        self.setToolTip(f"Reference photo: {name}" if name else "")
        self.update()

    def set_picking(self, on: bool) -> None:
        self.picking = on
        self.setCursor(Qt.CrossCursor if on else Qt.ArrowCursor)

    def image_rect(self) -> QRectF:
        if self._pixmap is None:
            return QRectF()
        room = QRectF(self.rect()).adjusted(10, 34, -10, -10)
        scale = min(room.width() / max(self._pixmap.width(), 1), room.height() / max(self._pixmap.height(), 1))
        width, height = self._pixmap.width() * scale, self._pixmap.height() * scale
        return QRectF(room.center().x() - width / 2, room.top(), width, height)

    def mousePressEvent(self, event) -> None:
        rect = self.image_rect()
        pos: QPointF = event.position()
        if self.picking and self.rgb is not None and event.button() == Qt.LeftButton and rect.contains(pos):
            self.picked.emit(color_at(self.rgb, (pos.x() - rect.x()) / rect.width(), (pos.y() - rect.y()) / rect.height()))

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(theme.VIEWER))
        painter.setPen(QColor(theme.MUTED))
        title = "Reference" + (" · click to pick a color" if self.picking else "")
        painter.drawText(QRectF(10, 8, self.width() - 20, 20), Qt.AlignLeft | Qt.AlignVCenter,
                         painter.fontMetrics().elidedText(title, Qt.ElideRight, self.width() - 20))
        if self._pixmap is not None:
            painter.setRenderHint(QPainter.SmoothPixmapTransform)
            painter.drawPixmap(self.image_rect(), self._pixmap, QRectF(self._pixmap.rect()))
