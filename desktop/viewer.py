"""The large photo view: zoom (wheel, fit, 100%), pan, a draggable before/after split, the brush, and a tool
(the color hints, desktop/hint_tool.py) that takes the mouse over the photo while it is active."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import QWidget

from desktop import theme

MIN_ZOOM, MAX_ZOOM = 0.02, 16.0
WHEEL_STEP = 1.0015  # zoom factor per 1/8 degree of wheel rotation: a notch is ×1.2
SPLIT_GRAB_PX = 8
SPLIT_KEY_STEP = 0.02  # of the photo's width, per Left or Right


class PhotoViewer(QWidget):
    zoom_changed = Signal(float)  # 1.0 = one photo pixel per device pixel
    split_changed = Signal(float)
    stroke_finished = Signal(list)  # [(x, y)] in 0..1 of the photo's width and height

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.StrongFocus)
        self.setMinimumSize(320, 240)
        self._before: QPixmap | None = None
        self._after: QPixmap | None = None
        self._photo_size = QSize()
        self._zoom: float | None = None  # None: fit the window
        self._center = QPointF(0.5, 0.5)  # the photo point at the view's center, in 0..1
        self.split = 0.5
        self.compare = True
        self._drag: str | None = None
        self._last = QPointF()
        self._hover: QPointF | None = None
        self._brush = False
        self._brush_radius = 0.05
        self._brush_color = QColor(theme.ACCENT)
        self._stroke: list[QPointF] = []
        self._tool = None  # takes clicks, drags, keys and a layer of drawing while set (set_tool)

    # -- content -----------------------------------------------------------------------
    def set_photo(self, before: QImage | None, after: QImage | None, photo_size: QSize | None = None) -> None:
        """Show a new photo, fitted; ``photo_size`` is its full resolution (the images may be smaller)."""
        self._before = QPixmap.fromImage(before) if before is not None else None
        self._after = QPixmap.fromImage(after) if after is not None else None
        source = before or after
        self._photo_size = photo_size or (source.size() if source is not None else QSize())
        self._zoom, self._center = None, QPointF(0.5, 0.5)
        self.update()
        self.zoom_changed.emit(self.zoom())

    def set_after(self, after: QImage | None) -> None:
        self._after = QPixmap.fromImage(after) if after is not None else None
        self.update()

    def has_photo(self) -> bool:
        return self._before is not None or self._after is not None

    def photo_size(self) -> QSize:
        """The photo's full resolution."""
        return QSize(self._photo_size)

    def photo_fraction(self, pos: QPointF) -> QPointF:
        """Where ``pos`` (widget px) falls on the photo, in 0..1 of its width and height."""
        return self._to_photo(pos)

    def set_tool(self, tool) -> None:
        """Hand clicks, drags and keys over the photo to ``tool`` (``pressed``, ``dragged``, ``released``,
        ``key_pressed``, ``cursor`` and ``paint``, as desktop/hint_tool.py has them); None hands them back."""
        self._tool = tool
        self._drag = None
        self._update_cursor(self._hover)
        self.update()

    # -- zoom and pan --------------------------------------------------------------------
    def zoom(self) -> float:
        return self._scale() * self.devicePixelRatioF()

    def is_fitted(self) -> bool:
        return self._zoom is None

    def fit(self) -> None:
        self._zoom, self._center = None, QPointF(0.5, 0.5)
        self.update()
        self.zoom_changed.emit(self.zoom())

    def actual_size(self, anchor: QPointF | None = None) -> None:
        self.set_zoom(1.0, anchor)

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        if factor < 1 and self.zoom() <= MIN_ZOOM:  # fitted below the limit: zooming out must not zoom in
            return
        self.set_zoom(self.zoom() * factor, anchor)

    def set_zoom(self, zoom: float, anchor: QPointF | None = None) -> None:
        if self._photo_size.isEmpty():
            return
        anchor = anchor if anchor is not None else QPointF(self.width() / 2, self.height() / 2)
        fixed = self._to_photo(anchor)
        self._zoom = min(max(zoom, MIN_ZOOM), MAX_ZOOM)
        scale = self._scale()
        # keep the photo point under the anchor where it is
        self._center = QPointF(
            fixed.x() - (anchor.x() - self.width() / 2) / (self._photo_size.width() * scale),
            fixed.y() - (anchor.y() - self.height() / 2) / (self._photo_size.height() * scale),
        )
        self._clamp_center()
        self.update()
        self.zoom_changed.emit(self.zoom())

    def _scale(self) -> float:
        """Widget (logical) pixels per photo pixel."""
        if self._photo_size.isEmpty():
            return 1.0
        if self._zoom is None:
            margin = 0.96
            fit = margin * min(self.width() / self._photo_size.width(), self.height() / self._photo_size.height())
            # No more than the zoom limit, so that Zoom In from a fitted tiny photo never zooms out
            # (a huge panorama may fit below MIN_ZOOM: it must still fit).
            return min(fit, MAX_ZOOM / self.devicePixelRatioF())
        return self._zoom / self.devicePixelRatioF()

    def image_rect(self) -> QRectF:
        scale = self._scale()
        width, height = self._photo_size.width() * scale, self._photo_size.height() * scale
        return QRectF(
            self.width() / 2 - self._center.x() * width, self.height() / 2 - self._center.y() * height, width, height
        )

    def _clamp_center(self) -> None:
        scale = self._scale()
        for axis, view, size in (("x", self.width(), self._photo_size.width()), ("y", self.height(), self._photo_size.height())):
            half = view / 2 / max(size * scale, 1e-6)
            value = getattr(self._center, axis)()
            value = 0.5 if half >= 0.5 else min(max(value, half), 1 - half)
            getattr(self._center, "set" + axis.upper())(value)

    def _to_photo(self, point: QPointF) -> QPointF:
        rect = self.image_rect()
        return QPointF((point.x() - rect.x()) / max(rect.width(), 1e-6), (point.y() - rect.y()) / max(rect.height(), 1e-6))

    # -- compare and brush -----------------------------------------------------------------
    def set_compare(self, on: bool) -> None:
        self.compare = on
        self.update()

    def set_split(self, fraction: float) -> None:
        self.split = min(max(fraction, 0.0), 1.0)
        self.update()
        self.split_changed.emit(self.split)

    def split_x(self) -> float:
        visible = self.image_rect().intersected(QRectF(self.rect()))
        return visible.left() + self.split * visible.width()

    def _split_active(self) -> bool:
        """The split shows unless the brush is out: painting needs to see the whole result."""
        return (self.compare and not self._brush and self._tool is None
                and self._before is not None and self._after is not None)

    def set_brush(self, enabled: bool, radius: float | None = None, color: QColor | None = None) -> None:
        self._brush = enabled
        self._brush_radius = radius if radius is not None else self._brush_radius
        self._brush_color = color if color is not None else self._brush_color
        self._stroke = []
        self._update_cursor(self._hover)
        self.update()

    def brush_radius_px(self) -> float:
        return self._brush_radius * max(self._photo_size.width(), self._photo_size.height()) * self._scale()

    # -- events ------------------------------------------------------------------------------
    def resizeEvent(self, event) -> None:
        self._clamp_center()
        super().resizeEvent(event)
        if self._zoom is None:
            self.zoom_changed.emit(self.zoom())

    def keyPressEvent(self, event) -> None:
        """Left and Right move the before/after split (Shift: in bigger steps), Home and End to either side."""
        if self._tool is not None and self._tool.key_pressed(self, event):
            return
        step = SPLIT_KEY_STEP * (4 if event.modifiers() & Qt.ShiftModifier else 1)
        moves = {Qt.Key_Left: self.split - step, Qt.Key_Right: self.split + step, Qt.Key_Home: 0.0, Qt.Key_End: 1.0}
        if self._split_active() and event.key() in moves and not event.modifiers() & (Qt.AltModifier | Qt.ControlModifier):
            self.set_split(moves[event.key()])
            return
        super().keyPressEvent(event)

    def wheelEvent(self, event) -> None:
        if self.has_photo():
            self.zoom_by(WHEEL_STEP ** event.angleDelta().y(), event.position())
        event.accept()

    def mouseDoubleClickEvent(self, event) -> None:
        if self.has_photo() and event.button() == Qt.LeftButton and not self._brush and self._tool is None:
            self.fit() if not self.is_fitted() else self.actual_size(event.position())

    def mousePressEvent(self, event) -> None:
        pos = event.position()
        self._last = pos
        if event.button() == Qt.MiddleButton:
            self._drag = "pan"
        elif self._tool is not None and self.has_photo():
            self._drag = "tool" if self._tool.pressed(self, event) else None
        elif event.button() != Qt.LeftButton or not self.has_photo():
            return
        elif self._split_active() and abs(pos.x() - self.split_x()) <= SPLIT_GRAB_PX:
            self._drag = "split"
        elif self._brush and self._after is not None:
            self._drag = "paint"
            self._stroke = [self._to_photo(pos)]
        else:
            self._drag = "pan"
        self._update_cursor(pos)
        self.update()

    def mouseMoveEvent(self, event) -> None:
        pos = event.position()
        self._hover = pos
        if self._drag == "split":
            visible = self.image_rect().intersected(QRectF(self.rect()))
            self.set_split((pos.x() - visible.left()) / max(visible.width(), 1.0))
        elif self._drag == "pan":
            rect = self.image_rect()
            delta = pos - self._last
            self._center -= QPointF(delta.x() / max(rect.width(), 1.0), delta.y() / max(rect.height(), 1.0))
            self._clamp_center()
        elif self._drag == "paint":
            self._stroke.append(self._to_photo(pos))
        elif self._drag == "tool":
            self._tool.dragged(self, event)
        self._last = pos
        self._update_cursor(pos)
        self.update()

    def mouseReleaseEvent(self, event) -> None:
        if self._drag == "paint" and self._stroke:
            points = [(p.x(), p.y()) for p in self._stroke]
            self._stroke = []
            self.stroke_finished.emit(points)
        elif self._drag == "tool" and self._tool is not None:
            self._tool.released(self, event)
        self._drag = None
        self._update_cursor(event.position())
        self.update()

    def leaveEvent(self, event) -> None:
        self._hover = None
        self.update()

    def _update_cursor(self, pos: QPointF | None) -> None:
        if self._drag == "pan":
            shape = Qt.ClosedHandCursor
        elif self._drag == "split" or (pos is not None and self._split_active() and abs(pos.x() - self.split_x()) <= SPLIT_GRAB_PX):
            shape = Qt.SplitHCursor
        elif self._tool is not None and self.has_photo():
            shape = self._tool.cursor(self, pos)
        elif self._brush and self._after is not None:
            shape = Qt.CrossCursor
        else:
            shape = Qt.OpenHandCursor if self.has_photo() and not self.is_fitted() else Qt.ArrowCursor
        self.setCursor(shape)

    # -- painting ------------------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(theme.VIEWER))
        if not self.has_photo():
            self._paint_placeholder(painter)
            return
        rect = self.image_rect()
        painter.setRenderHint(QPainter.SmoothPixmapTransform, self.zoom() < 3.0)
        painter.setRenderHint(QPainter.Antialiasing)
        if self._split_active():
            x = self.split_x()
            painter.save()
            painter.setClipRect(QRectF(rect.left(), rect.top(), x - rect.left(), rect.height()))
            painter.drawPixmap(rect, self._before, QRectF(self._before.rect()))
            painter.setClipRect(QRectF(x, rect.top(), rect.right() - x, rect.height()))
            painter.drawPixmap(rect, self._after, QRectF(self._after.rect()))
            painter.restore()
            self._paint_split(painter, rect, x)
        else:
            shown = self._after or self._before
            painter.drawPixmap(rect, shown, QRectF(shown.rect()))
        self._paint_brush(painter)
        if self._tool is not None:
            self._tool.paint(self, painter)

    def _paint_split(self, painter: QPainter, rect: QRectF, x: float) -> None:
        visible = rect.intersected(QRectF(self.rect()))
        painter.setPen(QPen(QColor(0, 0, 0, 90), 4))
        painter.drawLine(QPointF(x, visible.top()), QPointF(x, visible.bottom()))
        painter.setPen(QPen(QColor(255, 255, 255, 230), 2))
        painter.drawLine(QPointF(x, visible.top()), QPointF(x, visible.bottom()))
        middle = QPointF(x, visible.center().y())
        painter.setBrush(QColor(255, 255, 255, 235))
        painter.setPen(QPen(QColor(0, 0, 0, 70), 1))
        painter.drawEllipse(middle, 15, 15)
        painter.setBrush(QColor(40, 40, 44))
        painter.setPen(Qt.NoPen)
        for direction in (-1, 1):
            arrow = QPainterPath()
            tip = middle + QPointF(9 * direction, 0)
            arrow.moveTo(tip)
            arrow.lineTo(tip + QPointF(-5 * direction, -5))
            arrow.lineTo(tip + QPointF(-5 * direction, 5))
            arrow.closeSubpath()
            painter.drawPath(arrow)
        if self.tags_fit(visible.width()):
            self._paint_tag(painter, "Before", QPointF(visible.left() + 12, visible.top() + 12), Qt.AlignLeft)
            self._paint_tag(painter, "After", QPointF(visible.right() - 12, visible.top() + 12), Qt.AlignRight)

    def _tag_font(self) -> QFont:
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 0.85)
        font.setWeight(QFont.DemiBold)
        return font

    def tags_fit(self, width: float) -> bool:
        """Whether the Before and After tags fit side by side in ``width`` px (at low zoom they would overlap)."""
        return width >= self.tag_width("Before") + self.tag_width("After") + 36

    def tag_width(self, text: str) -> float:
        return QFontMetricsF(self._tag_font()).horizontalAdvance(text) + 16

    def _paint_tag(self, painter: QPainter, text: str, corner: QPointF, align) -> None:
        painter.setFont(self._tag_font())
        width = self.tag_width(text)
        height = painter.fontMetrics().height() + 6
        left = corner.x() if align == Qt.AlignLeft else corner.x() - width
        box = QRectF(left, corner.y(), width, height)
        painter.setPen(Qt.NoPen)
        painter.setBrush(QColor(20, 20, 22, 170))
        painter.drawRoundedRect(box, height / 2, height / 2)
        painter.setPen(QColor(235, 235, 238))
        painter.drawText(box, Qt.AlignCenter, text)

    def _paint_brush(self, painter: QPainter) -> None:
        if not self._brush or self._after is None:
            return
        radius = self.brush_radius_px()
        rect = self.image_rect()
        if len(self._stroke) > 0:
            path = QPainterPath()
            points = [QPointF(rect.x() + p.x() * rect.width(), rect.y() + p.y() * rect.height()) for p in self._stroke]
            path.moveTo(points[0])
            for point in points[1:]:
                path.lineTo(point)
            color = QColor(self._brush_color)
            color.setAlpha(120)
            painter.setPen(QPen(color, 2 * radius, Qt.SolidLine, Qt.RoundCap, Qt.RoundJoin))
            painter.setBrush(Qt.NoBrush)
            painter.drawPath(path) if len(points) > 1 else painter.drawPoint(points[0])
        if self._hover is not None and self._drag != "split":
            painter.setBrush(Qt.NoBrush)
            painter.setPen(QPen(QColor(0, 0, 0, 160), 3))
            painter.drawEllipse(self._hover, radius, radius)
            painter.setPen(QPen(self._brush_color.lighter(130), 1.5))
            painter.drawEllipse(self._hover, radius, radius)

    def _paint_placeholder(self, painter: QPainter) -> None:
        painter.setRenderHint(QPainter.Antialiasing)
        center = QPointF(self.width() / 2, self.height() / 2)
        logo = theme.icon("tinct").pixmap(QSize(72, 72))
        painter.setOpacity(0.85)
        painter.drawPixmap(int(center.x() - 36), int(center.y() - 96), logo)
        painter.setOpacity(1.0)
        title = QFont(self.font())
        title.setPointSizeF(title.pointSizeF() * 1.35)
        title.setWeight(QFont.DemiBold)
        painter.setFont(title)
        painter.setPen(QColor(theme.TEXT))
        painter.drawText(QRectF(0, center.y() - 10, self.width(), 30), Qt.AlignCenter, "Drop black-and-white photos here")
        painter.setFont(self.font())
        painter.setPen(QColor(theme.MUTED))
        painter.drawText(
            QRectF(0, center.y() + 22, self.width(), 24), Qt.AlignCenter, "or press Ctrl+O to open them · Tinct never changes the originals"
        )
