"""The grid of sample thumbnails: they appear one by one; click to view large, double-click to choose.

While a run has brush strokes, a last "Combined" tile shows their mix: clicking
a sample shows that sample alone, so the mix (what Save writes) must stay one
click away.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QListWidget, QListWidgetItem, QStyle, QStyledItemDelegate

from desktop import theme
from desktop.exports import fit_long_side
from desktop.images import to_pixmap
from desktop.state.session import Run

INDEX, PIXMAP, CHOSEN, SOURCE = (Qt.UserRole + n for n in range(4))
LABEL_HEIGHT = 22
COMPACT_WIDTH = 118  # narrower tiles get a number instead of "Sample n"
MIN_COLUMNS, MAX_COLUMNS = 2, 4
COMBINED = -1  # the INDEX of the Combined tile
THUMBNAIL_LONG_SIDE = 256


class SampleGrid(QListWidget):
    viewed = Signal(int)
    chosen = Signal(int)
    combined_viewed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setViewMode(QListWidget.IconMode)
        self.setMovement(QListWidget.Static)
        self.setResizeMode(QListWidget.Adjust)
        self.setSelectionMode(QAbstractItemView.SingleSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setSpacing(4)
        self.setUniformItemSizes(True)
        self.setItemDelegate(_TileDelegate(self))
        self.setMouseTracking(True)
        self._aspect = 0.75
        self._run: Run | None = None
        self._combining = False
        self._syncing = False
        self._combined_from: object = None  # the combined preview the Combined tile's pixmap was made from
        self.currentItemChanged.connect(self._current_changed)
        self.itemDoubleClicked.connect(self._choose)

    def run(self) -> Run | None:
        return self._run

    def show_run(self, run: Run | None, aspect: float | None = None, combining: bool = False) -> None:
        self._syncing = True
        self.clear()
        self._run = run
        if aspect:
            self._aspect = aspect
        if run is not None:
            for index in range(run.expected):
                item = QListWidgetItem()
                item.setData(INDEX, index)
                self.addItem(item)
                sample = run.samples.get(index)
                if sample is not None:
                    item.setData(PIXMAP, to_pixmap(sample.thumbnail))
        self._combined_from = None
        self._syncing = False
        self.update_marks(combining)
        self._fit_tiles()

    def combined_item(self) -> QListWidgetItem | None:
        last = self.item(self.count() - 1) if self.count() else None
        return last if last is not None and last.data(INDEX) == COMBINED else None

    def add_sample(self, run: Run, index: int) -> None:
        if run is not self._run or index >= self.count() or index >= run.expected:
            return
        self.item(index).setData(PIXMAP, to_pixmap(run.samples[index].thumbnail))
        self.update_marks()

    def update_marks(self, combining: bool | None = None) -> None:
        """Redraw which sample is viewed, chosen and (while combining) the brush's source, and the Combined tile."""
        run = self._run
        if combining is not None:
            self._combining = combining
        self._syncing = True
        self._sync_combined()
        for row in range(self.count()):
            item = self.item(row)
            item.setData(CHOSEN, run is not None and run.chosen == row)
            item.setData(SOURCE, self._combining and run is not None and run.brush_source == row)
        if run is not None and run.viewed is not None and run.viewed < run.expected:
            self.setCurrentRow(run.viewed)
        elif run is not None and run.viewed is None and self.combined_item() is not None:
            self.setCurrentItem(self.combined_item())
        self._syncing = False
        self.viewport().update()

    def _sync_combined(self) -> None:
        """The Combined tile is there while the run has strokes; its picture follows the rendered mix."""
        run, item = self._run, self.combined_item()
        if run is None or not run.has_strokes:
            if item is not None:
                self.takeItem(self.count() - 1)
                self._fit_tiles()
            return
        if item is None:
            item = QListWidgetItem()
            item.setData(INDEX, COMBINED)
            item.setToolTip("The strokes' mix of the samples: what Save writes")
            self.addItem(item)
            self._combined_from = None
            self._fit_tiles()
        preview = run.combined_preview
        if preview is not None and preview is not self._combined_from:
            item.setData(PIXMAP, to_pixmap(fit_long_side(preview, THUMBNAIL_LONG_SIDE)))
            self._combined_from = preview

    def _current_changed(self, current, _previous) -> None:
        if self._syncing or current is None:
            return
        if current.data(INDEX) == COMBINED:
            self.combined_viewed.emit()  # even while the mix renders: the viewer shows it as soon as it is there
        elif current.data(PIXMAP) is not None:
            self.viewed.emit(current.data(INDEX))

    def _choose(self, item: QListWidgetItem) -> None:
        if item.data(INDEX) != COMBINED:  # a mix is not a sample to choose: Save writes it anyway
            self.chosen.emit(item.data(INDEX))

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key_Return, Qt.Key_Enter) and self.currentItem() is not None:
            self._choose(self.currentItem())
            return
        super().keyPressEvent(event)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_tiles()

    def _fit_tiles(self) -> None:
        """The largest tiles that show every sample without scrolling, from 2 to 4 columns.

        The room is measured as if the vertical scrollbar were always there: measured from the
        viewport, the scrollbar's coming and going changed the tiles, which toggled it again,
        for ever (a layout loop that burnt a core while idle)."""
        count = max(self.count(), 1)
        spacing = self.spacing()
        aspect = min(max(self._aspect, 0.4), 1.6)
        frame = 2 * self.frameWidth()
        room_width = self.width() - frame - self.style().pixelMetric(QStyle.PM_ScrollBarExtent)
        room_height = self.height() - frame
        for columns in range(MIN_COLUMNS, MAX_COLUMNS + 1):
            width = max(60, (room_width - 2 * spacing * columns - 2) // columns)
            height = int(width * aspect) + LABEL_HEIGHT
            rows = -(-count // columns)
            if rows * (height + 2 * spacing) <= room_height:
                break
        grid = QSize(width + 2 * spacing, height + 2 * spacing)
        if grid != self.gridSize() or QSize(width, height) != self.iconSize():
            self.setGridSize(grid)
            self.setIconSize(QSize(width, height))
            self.doItemsLayout()


def missing_sample_caption(run: Run | None) -> str:
    """What a tile without its sample says: it is on its way, or the run ended (failed, cancelled) without it."""
    return "making…" if run is not None and run.active else "not made"


class _TileDelegate(QStyledItemDelegate):
    def sizeHint(self, option, index) -> QSize:
        return self.parent().iconSize()

    def paint(self, painter: QPainter, option, index) -> None:
        painter.save()
        painter.setRenderHint(QPainter.Antialiasing)
        painter.setRenderHint(QPainter.SmoothPixmapTransform)
        tile = QRectF(option.rect).adjusted(2, 2, -2, -2)
        selected = bool(option.state & QStyle.State_Selected)
        hovered = bool(option.state & QStyle.State_MouseOver)
        picture = QRectF(tile.left() + 4, tile.top() + 4, tile.width() - 8, tile.height() - LABEL_HEIGHT - 6)
        painter.setPen(Qt.NoPen)
        painter.setBrush(QColor("#34363c" if selected or hovered else theme.RAISED))
        painter.drawRoundedRect(tile, 8, 8)
        pixmap: QPixmap | None = index.data(PIXMAP)
        combined = index.data(INDEX) == COMBINED
        number = index.data(INDEX) + 1
        if pixmap is None or pixmap.isNull():
            painter.setBrush(QColor("#222327"))
            painter.drawRoundedRect(picture, 5, 5)
            painter.setPen(QColor(theme.MUTED))
            painter.drawText(picture, Qt.AlignCenter, "mixing…" if combined else missing_sample_caption(self.parent().run()))
        else:
            target = _fit(pixmap.size(), picture)
            clip = QPainterPath()
            clip.addRoundedRect(target, 5, 5)
            painter.setClipPath(clip)
            painter.drawPixmap(target, pixmap, QRectF(pixmap.rect()))
            painter.setClipping(False)
        label = QRectF(tile.left() + 6, picture.bottom() + 2, tile.width() - 12, LABEL_HEIGHT)
        compact = tile.width() < COMPACT_WIDTH
        painter.setPen(QColor(theme.TEXT if selected else theme.MUTED))
        if combined:  # the word the status bar uses ("the combined result"), where it fits
            caption = "Combined" if painter.fontMetrics().horizontalAdvance("Combined") <= label.width() else "Mix"
        else:
            caption = str(number) if compact else f"Sample {number}"
        painter.drawText(label, Qt.AlignLeft | Qt.AlignVCenter, caption)
        mark = "★" if index.data(CHOSEN) else ("Brush" if index.data(SOURCE) else "")
        if mark:
            font = QFont(painter.font())
            font.setWeight(QFont.DemiBold)
            painter.setFont(font)
            painter.setPen(QColor(theme.ACCENT))
            text = mark if compact or mark != "★" else "★ Chosen"
            painter.drawText(label, Qt.AlignRight | Qt.AlignVCenter, "✎" if compact and mark == "Brush" else text)
        if selected:
            painter.setPen(QPen(QColor(theme.ACCENT), 2))
            painter.setBrush(Qt.NoBrush)
            painter.drawRoundedRect(tile.adjusted(1, 1, -1, -1), 8, 8)
        painter.restore()


def _fit(size: QSize, box: QRectF) -> QRectF:
    scale = min(box.width() / max(size.width(), 1), box.height() / max(size.height(), 1))
    width, height = size.width() * scale, size.height() * scale
    return QRectF(box.center().x() - width / 2, box.center().y() - height / 2, width, height)
