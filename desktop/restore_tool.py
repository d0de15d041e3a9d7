"""The dust-and-scratches mask on the photo view: the mask drawn in red over the photo, and a brush that
adds to it or erases from it (a right-drag does the other of the two).

The viewer hands this tool its mouse while the mask is shown (``PhotoViewer.set_tool``, as the hint
tool does); a finished stroke goes to the controller (desktop/restore_controller.py), which keeps it
with the photo's restoration.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen

from desktop.hint_tool import HintTool
from desktop.restore_panel import ADD, ERASE

MASK_COLOR = (235, 64, 52)
MASK_ALPHA = 150
MIN_STEP_PX = 1.5
"""A drag adds a point once the pointer has moved this far on screen."""


class MaskTool:
    def __init__(self, controller):
        self.controller = controller
        self._points: list[tuple[float, float]] = []  # the stroke in progress, full-resolution px
        self._last = QPointF()
        self._erase = False
        self._hover: QPointF | None = None

    @property
    def painting(self) -> bool:
        return self.controller.mask_mode in (ADD, ERASE)

    # -- events from the viewer ---------------------------------------------------------------------
    def pressed(self, viewer, event) -> bool:
        if not self.painting or event.button() not in (Qt.LeftButton, Qt.RightButton):
            return False
        pos = event.position()
        if not viewer.image_rect().contains(pos):
            return False
        erasing = self.controller.mask_mode == ERASE
        self._erase = erasing if event.button() == Qt.LeftButton else not erasing
        self._points = [HintTool.photo_point(viewer, pos)]
        self._last = pos
        return True

    def dragged(self, viewer, event) -> None:
        pos = event.position()
        self._hover = pos
        if self._points and math.hypot(pos.x() - self._last.x(), pos.y() - self._last.y()) >= MIN_STEP_PX:
            self._points.append(HintTool.photo_point(viewer, pos))
            self._last = pos

    def released(self, viewer, event) -> None:
        points, self._points = self._points, []
        if points:
            self.controller.add_stroke(points, self._erase)

    def key_pressed(self, viewer, event) -> bool:
        return False

    def cursor(self, viewer, pos: QPointF | None):
        self._hover = pos
        return Qt.CrossCursor if self.painting else Qt.ArrowCursor

    # -- drawing --------------------------------------------------------------------------------------
    def paint(self, viewer, painter: QPainter) -> None:
        painter.save()
        overlay = self.controller.overlay()
        if overlay is not None:
            painter.setRenderHint(QPainter.SmoothPixmapTransform, False)  # crisp mask pixels when zoomed in
            painter.drawImage(viewer.image_rect(), overlay)
        painter.setRenderHint(QPainter.Antialiasing)
        scale = viewer.image_rect().width() / max(viewer.photo_size().width(), 1)
        radius = max(1.0, self.controller.brush_radius * scale)
        if self._points:
            color = QColor(255, 255, 255, 150) if self._erase else QColor(*MASK_COLOR, MASK_ALPHA)
            path = QPainterPath()
            points = [HintTool.widget_point(viewer, x, y) for x, y in self._points]
            path.moveTo(points[0])
            for point in points[1:]:
                path.lineTo(point)
            painter.setPen(QPen(color, 2 * radius, Qt.SolidLine, Qt.RoundCap, Qt.RoundJoin))
            painter.setBrush(Qt.NoBrush)
            painter.drawPath(path) if len(points) > 1 else painter.drawPoint(points[0])
        if self.painting and self._hover is not None:
            painter.setBrush(Qt.NoBrush)
            painter.setPen(QPen(QColor(0, 0, 0, 160), 3))
            painter.drawEllipse(self._hover, radius, radius)
            painter.setPen(QPen(QColor(255, 255, 255, 220), 1.5))
            painter.drawEllipse(self._hover, radius, radius)
        painter.restore()
