"""The survey view: a run's samples large, side by side over the photo view, as Lightroom's Survey (N).

Click a sample to choose it, double-click to choose it and leave; ✕ on a sample drops it from the
comparison (down to two), so eight can be narrowed to the last few; Esc or N leaves. Only draws
the run: choosing goes through the window like any other choice.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import QPushButton, QWidget

from desktop import theme
from desktop.images import to_pixmap
from desktop.sample_grid import VIEWED_OUTLINE, tile_look
from desktop.state.session import Run

MARGIN = 16
GAP = 12
CAPTION = 28
HEADER = 30
CLOSE_SIDE = 22
MIN_SHOWN = 2


def survey_layout(count: int, width: float, height: float, aspect: float) -> tuple[int, float]:
    """``(columns, picture width)`` that show ``count`` pictures of ``aspect`` (height / width) largest
    in ``width`` × ``height`` px, each with a caption below."""
    best = (1, 0.0)
    for columns in range(1, max(count, 1) + 1):
        rows = math.ceil(count / columns)
        cell_width = (width - GAP * (columns - 1)) / columns
        cell_height = (height - GAP * (rows - 1)) / rows - CAPTION
        picture = min(cell_width, cell_height / max(aspect, 1e-3))
        if picture > best[1]:
            best = (columns, picture)
    return best


class SurveyView(QWidget):
    chosen = Signal(int)
    chosen_and_left = Signal(int)
    left = Signal()

    def __init__(self, parent: QWidget):
        super().__init__(parent)
        self.setFocusPolicy(Qt.StrongFocus)
        self.setMouseTracking(True)
        self.setAttribute(Qt.WA_OpaquePaintEvent, True)
        self._run: Run | None = None
        self._pixmaps: dict[int, tuple[object, QPixmap]] = {}  # index -> (the preview it was made from, pixmap)
        self._dropped: set[int] = set()
        self._hover: int | None = None
        self.show_all = QPushButton("Show all", self)
        self.show_all.setToolTip("Bring back the samples dropped from the survey")
        self.show_all.clicked.connect(self.restore_all)
        self.show_all.hide()
        parent.installEventFilter(self)
        self.setGeometry(parent.rect())
        self.hide()

    # -- content -----------------------------------------------------------------------------
    def run(self) -> Run | None:
        return self._run

    def show_run(self, run: Run | None) -> None:
        """Show ``run``'s samples (those made so far; more join as they arrive)."""
        if run is not self._run:
            self._dropped = set()
            self._pixmaps = {}
        self._run = run
        for index, sample in (run.samples.items() if run is not None else ()):
            made = self._pixmaps.get(index)
            if made is None or made[0] is not sample.preview:
                self._pixmaps[index] = (sample.preview, to_pixmap(sample.preview))
        self._place_button()
        self.update()

    def indices(self) -> list[int]:
        """The samples in the comparison, in order."""
        if self._run is None:
            return []
        return [k for k in sorted(self._run.samples) if k not in self._dropped]

    def drop(self, index: int) -> bool:
        """Take ``index`` out of the comparison (never below two samples)."""
        if index not in self.indices() or len(self.indices()) <= MIN_SHOWN:
            return False
        self._dropped.add(index)
        self._hover = None
        self._place_button()
        self.update()
        return True

    def restore_all(self) -> None:
        self._dropped = set()
        self._place_button()
        self.update()
        self.setFocus()

    # -- geometry ----------------------------------------------------------------------------
    def cells(self) -> list[tuple[int, QRectF]]:
        """Each sample in the comparison and the rectangle of its picture."""
        indices = self.indices()
        if not indices:
            return []
        first = self._run.samples[indices[0]].preview
        aspect = first.shape[0] / max(first.shape[1], 1)
        room = QRectF(self.rect()).adjusted(MARGIN, MARGIN + HEADER, -MARGIN, -MARGIN)
        columns, width = survey_layout(len(indices), room.width(), room.height(), aspect)
        height = width * aspect
        rows = math.ceil(len(indices) / columns)
        total_height = rows * (height + CAPTION) + GAP * (rows - 1)
        top = room.top() + max(0.0, (room.height() - total_height) / 2)
        cells = []
        for position, index in enumerate(indices):
            row, column = divmod(position, columns)
            in_row = min(columns, len(indices) - row * columns)  # the last row is centred
            row_width = in_row * width + GAP * (in_row - 1)
            left = room.left() + (room.width() - row_width) / 2 + column * (width + GAP)
            cells.append((index, QRectF(left, top + row * (height + CAPTION + GAP), width, height)))
        return cells

    def cell_at(self, pos: QPointF) -> int | None:
        for index, picture in self.cells():
            if picture.adjusted(0, 0, 0, CAPTION).contains(pos):
                return index
        return None

    def close_rect(self, picture: QRectF) -> QRectF:
        return QRectF(picture.right() - CLOSE_SIDE - 6, picture.top() + 6, CLOSE_SIDE, CLOSE_SIDE)

    def _place_button(self) -> None:
        hidden = len(self._dropped & set(self._run.samples)) if self._run is not None else 0
        self.show_all.setText(f"Show all ({hidden} hidden)")
        self.show_all.adjustSize()
        self.show_all.move(self.width() - MARGIN - self.show_all.width(), MARGIN - 4)
        self.show_all.setVisible(hidden > 0)

    # -- events ------------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.parentWidget() and event.type() == QEvent.Resize:
            self.setGeometry(watched.rect())
        return False

    def resizeEvent(self, event) -> None:
        self._place_button()
        super().resizeEvent(event)

    def event(self, event: QEvent) -> bool:
        # Esc leaves the survey: the window's Esc shortcut (Cancel) must not take it first.
        if event.type() == QEvent.ShortcutOverride and event.key() == Qt.Key_Escape:
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key_Escape:
            self.left.emit()
            return
        super().keyPressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        hover = self.cell_at(event.position())
        if hover != self._hover:
            self._hover = hover
            self.update()

    def leaveEvent(self, event) -> None:
        self._hover = None
        self.update()

    def mousePressEvent(self, event) -> None:
        if event.button() != Qt.LeftButton:
            return
        pos = event.position()
        for index, picture in self.cells():
            if len(self.indices()) > MIN_SHOWN and self.close_rect(picture).contains(pos):
                self.drop(index)
                return
        index = self.cell_at(pos)
        if index is not None:
            self.chosen.emit(index)

    def mouseDoubleClickEvent(self, event) -> None:
        index = self.cell_at(event.position()) if event.button() == Qt.LeftButton else None
        if index is not None:
            self.chosen_and_left.emit(index)

    # -- painting ------------------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(theme.VIEWER))
        painter.setRenderHint(QPainter.Antialiasing)
        painter.setRenderHint(QPainter.SmoothPixmapTransform)
        painter.setPen(QColor(theme.MUTED))
        hint = "Survey · click a sample to choose it · ✕ drops it from the comparison · Esc leaves"
        painter.drawText(QRectF(MARGIN, MARGIN - 4, self.width() - 2 * MARGIN, HEADER - 6), Qt.AlignLeft | Qt.AlignVCenter,
                         painter.fontMetrics().elidedText(hint, Qt.ElideRight, max(0, self.width() - 2 * MARGIN - 180)))
        run = self._run
        can_drop = len(self.indices()) > MIN_SHOWN
        for index, picture in self.cells():
            look = tile_look(viewed=index == self._hover, chosen=run.chosen == index, source=False, compact=False)
            pixmap = self._pixmaps.get(index, (None, QPixmap()))[1]
            clip = QPainterPath()
            clip.addRoundedRect(picture, 6, 6)
            painter.save()
            painter.setClipPath(clip)
            painter.drawPixmap(picture, pixmap, QRectF(pixmap.rect()))
            painter.restore()
            caption = QRectF(picture.left(), picture.bottom() + 4, picture.width(), CAPTION - 6)
            if look.caption_fill:
                painter.setPen(Qt.NoPen)
                painter.setBrush(QColor(look.caption_fill))
                painter.drawRoundedRect(caption, 5, 5)
            font = QFont(self.font())
            font.setWeight(QFont.DemiBold if look.caption_fill else QFont.Normal)
            painter.setFont(font)
            painter.setPen(QColor(look.caption_color if look.caption_fill else theme.TEXT))
            painter.drawText(caption.adjusted(8, 0, -8, 0), Qt.AlignLeft | Qt.AlignVCenter, f"Sample {index + 1}")
            if look.mark:
                painter.drawText(caption.adjusted(8, 0, -8, 0), Qt.AlignRight | Qt.AlignVCenter, look.mark)
            painter.setFont(self.font())
            if look.badge:
                self._paint_badge(painter, picture)
            if look.outline:
                painter.setPen(QPen(QColor(VIEWED_OUTLINE), 2))
                painter.setBrush(Qt.NoBrush)
                painter.drawRoundedRect(picture.adjusted(-3, -3, 3, CAPTION - 1), 8, 8)
                if can_drop:
                    self._paint_close(painter, self.close_rect(picture))

    @staticmethod
    def _paint_badge(painter: QPainter, picture: QRectF) -> None:
        disc = QRectF(picture.left() + 8, picture.top() + 8, 28, 28)
        painter.setPen(QPen(QColor(0, 0, 0, 150), 1.5))
        painter.setBrush(QColor(theme.ACCENT))
        painter.drawEllipse(disc)
        font = QFont(painter.font())
        font.setPixelSize(17)
        font.setWeight(QFont.Bold)
        painter.setFont(font)
        painter.setPen(QColor(theme.ACCENT_TEXT))
        painter.drawText(disc, Qt.AlignCenter, "★")

    @staticmethod
    def _paint_close(painter: QPainter, box: QRectF) -> None:
        painter.setPen(Qt.NoPen)
        painter.setBrush(QColor(20, 20, 22, 190))
        painter.drawEllipse(box)
        painter.setPen(QPen(QColor(235, 235, 238), 1.8))
        inset = box.adjusted(7, 7, -7, -7)
        painter.drawLine(inset.topLeft(), inset.bottomRight())
        painter.drawLine(inset.topRight(), inset.bottomLeft())
