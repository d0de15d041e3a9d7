"""The hint tool on the photo view: click to add a color hint, drag one to move it, right-click it or
press Delete to remove it. Each hint is drawn as a disc of its color (its radius, at least a few
screen pixels) with a ring; the selected one has the accent ring.

The viewer hands this tool its mouse and keys while it is active (``PhotoViewer.set_tool``); the
edits themselves go to the controller (``desktop/hint_controller.py``), which keeps the history.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPen

from desktop import theme

GRAB_PX = 9.0
"""How near (screen px) a click must be to a hint's marker to take it rather than add a new hint."""
MARKER_PX = 5.0
"""The smallest marker radius on screen: a hint of a small radius stays visible and easy to grab."""
DRAG_START_PX = 3.0
"""A press that moves less than this is a click (it selects), not a drag (it moves)."""


class HintTool:
    def __init__(self, controller):
        self.controller = controller
        self._dragging: int | None = None
        self._record = True  # the next move is an edit of its own (False: it continues the add or the drag)
        self._press = QPointF()
        self._offset = (0.0, 0.0)  # from the pointer to the grabbed hint's center, in photo px
        self._moved = False

    # -- coordinates ------------------------------------------------------------------------------
    @staticmethod
    def photo_point(viewer, pos: QPointF) -> tuple[float, float]:
        """The full-resolution photo pixel under ``pos`` (0 at the center of the top-left pixel)."""
        fraction = viewer.photo_fraction(pos)
        size = viewer.photo_size()
        return fraction.x() * size.width() - 0.5, fraction.y() * size.height() - 0.5

    @staticmethod
    def widget_point(viewer, x: float, y: float) -> QPointF:
        size = viewer.photo_size()
        rect = viewer.image_rect()
        return QPointF(rect.x() + (x + 0.5) / max(size.width(), 1) * rect.width(),
                       rect.y() + (y + 0.5) / max(size.height(), 1) * rect.height())

    @staticmethod
    def marker_radius(viewer, hint) -> float:
        scale = viewer.image_rect().width() / max(viewer.photo_size().width(), 1)
        return max(MARKER_PX, hint.radius * scale)

    def hint_at(self, viewer, pos: QPointF) -> int | None:
        """The hint whose marker is under ``pos`` (the one drawn on top, the last, when several are)."""
        hints = self.controller.hints()
        for index in range(len(hints) - 1, -1, -1):
            hint = hints[index]
            center = self.widget_point(viewer, hint.x, hint.y)
            if math.hypot(pos.x() - center.x(), pos.y() - center.y()) <= max(GRAB_PX, self.marker_radius(viewer, hint)):
                return index
        return None

    # -- events from the viewer ---------------------------------------------------------------------
    def pressed(self, viewer, event) -> bool:
        """A press over the view; True when it starts a drag this tool follows."""
        pos = event.position()
        index = self.hint_at(viewer, pos)
        if event.button() == Qt.RightButton:
            if index is not None:
                self.controller.remove_hint(index)
            return False
        if event.button() != Qt.LeftButton:
            return False
        if index is None:
            if not viewer.image_rect().contains(pos):
                return False
            index = self.controller.add_hint(*self.photo_point(viewer, pos))
            if index is None:
                return False
            self._record = False  # a drag right after the click places the new hint: one edit
        else:
            self.controller.select_hint(index)
            self._record = True
        hint = self.controller.hints()[index]
        x, y = self.photo_point(viewer, pos)
        self._dragging, self._press, self._offset, self._moved = index, pos, (hint.x - x, hint.y - y), False
        return True

    def dragged(self, viewer, event) -> None:
        pos = event.position()
        if self._dragging is None:
            return
        if not self._moved and math.hypot(pos.x() - self._press.x(), pos.y() - self._press.y()) < DRAG_START_PX:
            return
        self._moved = True
        x, y = self.photo_point(viewer, pos)
        self.controller.move_hint(self._dragging, x + self._offset[0], y + self._offset[1], record=self._record)
        self._record = False

    def released(self, viewer, event) -> None:
        self._dragging = None

    def key_pressed(self, viewer, event) -> bool:
        """Delete and Backspace remove the selected hint (also Edit ▸ Delete Hint, wherever the focus is)."""
        if event.key() in (Qt.Key_Delete, Qt.Key_Backspace) and self.controller.selected_hint() is not None:
            self.controller.remove_selected()
            return True
        return False

    def cursor(self, viewer, pos: QPointF | None):
        if pos is not None and self.hint_at(viewer, pos) is not None:
            return Qt.SizeAllCursor if self._dragging is None else Qt.ClosedHandCursor
        return Qt.CrossCursor

    # -- drawing --------------------------------------------------------------------------------------
    def paint(self, viewer, painter: QPainter) -> None:
        painter.save()
        painter.setRenderHint(QPainter.Antialiasing)
        selected = self.controller.selected
        for index, hint in enumerate(self.controller.hints()):
            center = self.widget_point(viewer, hint.x, hint.y)
            radius = self.marker_radius(viewer, hint)
            painter.setBrush(QColor(hint.color))
            painter.setPen(QPen(QColor(0, 0, 0, 170), 3))
            painter.drawEllipse(center, radius, radius)
            ring = QColor(theme.ACCENT) if index == selected else QColor(255, 255, 255, 230)
            painter.setPen(QPen(ring, 2.5 if index == selected else 1.5))
            painter.setBrush(Qt.NoBrush)
            painter.drawEllipse(center, radius, radius)
        painter.restore()
