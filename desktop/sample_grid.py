"""The grid of sample thumbnails: they appear one by one; click to view large, double-click to choose.

While a run has brush strokes, a last "Combined" tile shows their mix: clicking
a sample shows that sample alone, so the mix (what Save writes) must stay one
click away.

Viewed and chosen never look alike: the tile on view has a light outline, the chosen
one an accent-filled caption bar and a ★ badge on its picture (``tile_look``). The
tiles' size is the user's (``set_tile_size``: a slider, or Ctrl+wheel over the grid).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QListWidget,
    QListWidgetItem,
    QSizePolicy,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionComboBox,
    QStylePainter,
)

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
MIN_TILE, MAX_TILE = 60, 360
"""The tile size slider's range in px; at its low end every sample fits without scrolling."""
TILE_STEP = 20  # per Ctrl+wheel notch
VIEWED_OUTLINE = "#f4f4f6"


@dataclass(frozen=True)
class TileLook:
    """How a tile shows its state: drawn by the delegate, checked by the tests."""

    outline: str | None
    """The border color, or None: only the tile on view has one."""
    caption_fill: str | None
    """The caption bar's fill, or None: only the chosen tile's is filled."""
    caption_color: str
    badge: bool
    """A ★ on the picture's corner: the chosen tile."""
    mark: str
    """Text at the caption's right: "Chosen", "Brush" (or their short forms on compact tiles)."""


def tile_look(viewed: bool, chosen: bool, source: bool, compact: bool) -> TileLook:
    if chosen:
        mark = "★" if compact else "★ Chosen"
        if source:
            mark += " ✎" if compact else " · Brush"
        return TileLook(VIEWED_OUTLINE if viewed else None, theme.ACCENT, theme.ACCENT_TEXT, True, mark)
    mark = ("✎" if compact else "Brush") if source else ""
    return TileLook(VIEWED_OUTLINE if viewed else None, None, theme.TEXT if viewed else theme.MUTED, False, mark)


def fit_caption(metrics: QFontMetrics, text: str, box: QRect) -> tuple[str, int]:
    """``text`` and drawing flags that fit ``box``: on one line if it fits, else wrapped at spaces, else elided."""
    flags = int(Qt.AlignCenter)
    if metrics.horizontalAdvance(text) <= box.width():
        return text, flags
    wrapped = metrics.boundingRect(box, flags | int(Qt.TextWordWrap), text)
    if wrapped.width() <= box.width() and wrapped.height() <= box.height():
        return text, flags | int(Qt.TextWordWrap)
    return metrics.elidedText(text, Qt.ElideRight, max(box.width(), 0)), flags


class SampleGrid(QListWidget):
    viewed = Signal(int)
    chosen = Signal(int)
    combined_viewed = Signal()
    tile_size_changed = Signal(int)  # by Ctrl+wheel

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
        self._tile_size = 0
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

    def picture_rect(self, row: int) -> QRectF | None:
        """Where tile ``row`` draws its sample (viewport px), or None while it has none."""
        item = self.item(row)
        pixmap = item.data(PIXMAP) if item is not None else None
        if pixmap is None or pixmap.isNull():
            return None
        return _fit(pixmap.size(), _picture_box(QRectF(self.visualItemRect(item)).adjusted(2, 2, -2, -2)))

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

    def tile_size(self) -> int:
        return self._tile_size

    def set_tile_size(self, size: int) -> None:
        """Tiles at least ``size`` px wide (stretched to fill their row), scrolling if need be; a size below
        what fits (0, say) shows every sample without scrolling, as large as that allows."""
        size = max(0, int(size))
        if size != self._tile_size:
            self._tile_size = size
            self._fit_tiles()

    def wheelEvent(self, event) -> None:
        if event.modifiers() & Qt.ControlModifier:
            steps = event.angleDelta().y() / 120
            size = max(self._tile_size, self.iconSize().width())
            self.set_tile_size(int(min(max(size + steps * TILE_STEP, MIN_TILE), MAX_TILE)))
            self.tile_size_changed.emit(self._tile_size)
            event.accept()
            return
        super().wheelEvent(event)

    def _fit_tiles(self) -> None:
        """The largest tiles that show every sample without scrolling, from 2 to 4 columns, or larger
        tiles of the user's size, which scroll.

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
        if self._tile_size > width:  # the user's larger tiles: as many columns as they fit, stretched to fill
            columns = max(1, min(MAX_COLUMNS, (room_width - 2) // (self._tile_size + 2 * spacing)))
            width = max(width, (room_width - 2 * spacing * columns - 2) // columns)
            height = int(width * aspect) + LABEL_HEIGHT
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

    def look(self, option, index) -> TileLook:
        compact = option.rect.width() - 4 < COMPACT_WIDTH
        viewed = bool(option.state & QStyle.State_Selected)
        return tile_look(viewed, bool(index.data(CHOSEN)), bool(index.data(SOURCE)), compact)

    def paint(self, painter: QPainter, option, index) -> None:
        painter.save()
        painter.setRenderHint(QPainter.Antialiasing)
        painter.setRenderHint(QPainter.SmoothPixmapTransform)
        tile = QRectF(option.rect).adjusted(2, 2, -2, -2)
        look = self.look(option, index)
        hovered = bool(option.state & QStyle.State_MouseOver)
        picture = _picture_box(tile)
        painter.setPen(Qt.NoPen)
        painter.setBrush(QColor("#34363c" if look.outline or hovered else theme.RAISED))
        painter.drawRoundedRect(tile, 8, 8)
        if look.caption_fill:  # the chosen tile: its whole caption bar in the accent, unmistakable at any size
            painter.setBrush(QColor(look.caption_fill))
            painter.drawRoundedRect(QRectF(tile.left(), picture.bottom() + 2, tile.width(), tile.bottom() - picture.bottom() - 2), 8, 8)
            painter.drawRect(QRectF(tile.left(), picture.bottom() + 2, tile.width(), 8))  # square top corners
        pixmap: QPixmap | None = index.data(PIXMAP)
        combined = index.data(INDEX) == COMBINED
        number = index.data(INDEX) + 1
        if pixmap is None or pixmap.isNull():
            painter.setBrush(QColor("#222327"))
            painter.drawRoundedRect(picture, 5, 5)
            painter.setPen(QColor(theme.MUTED))
            text = "mixing…" if combined else missing_sample_caption(self.parent().run())
            box = picture.toRect().adjusted(3, 2, -3, -2)
            text, flags = fit_caption(painter.fontMetrics(), text, box)
            painter.drawText(box, flags, text)
        else:
            target = _fit(pixmap.size(), picture)
            clip = QPainterPath()
            clip.addRoundedRect(target, 5, 5)
            painter.setClipPath(clip)
            painter.drawPixmap(target, pixmap, QRectF(pixmap.rect()))
            painter.setClipping(False)
        if look.badge:
            self._paint_badge(painter, picture)
        label = QRectF(tile.left() + 6, picture.bottom() + 2, tile.width() - 12, LABEL_HEIGHT)
        compact = tile.width() < COMPACT_WIDTH
        painter.setPen(QColor(look.caption_color))
        if combined:  # the word the status bar uses ("the combined result"), where it fits
            caption = "Combined" if painter.fontMetrics().horizontalAdvance("Combined") <= label.width() else "Mix"
        else:
            caption = str(number) if compact else f"Sample {number}"
        painter.drawText(label, Qt.AlignLeft | Qt.AlignVCenter, caption)
        if look.mark:
            font = QFont(painter.font())
            font.setWeight(QFont.DemiBold)
            painter.setFont(font)
            painter.setPen(QColor(look.caption_color if look.caption_fill else theme.ACCENT))
            room = label.adjusted(painter.fontMetrics().horizontalAdvance(caption) + 6, 0, 0, 0)
            mark = painter.fontMetrics().elidedText(look.mark, Qt.ElideRight, int(room.width()))
            painter.drawText(room, Qt.AlignRight | Qt.AlignVCenter, mark)
        if look.outline:
            painter.setPen(QPen(QColor(look.outline), 2))
            painter.setBrush(Qt.NoBrush)
            painter.drawRoundedRect(tile.adjusted(1, 1, -1, -1), 8, 8)
        painter.restore()

    @staticmethod
    def _paint_badge(painter: QPainter, picture: QRectF) -> None:
        """A ★ in an accent disc over the picture's top-left corner, with a dark ring to stand out on any photo."""
        side = max(14.0, min(24.0, picture.width() * 0.22))
        disc = QRectF(picture.left() + 3, picture.top() + 3, side, side)
        painter.setPen(QPen(QColor(0, 0, 0, 150), 1.5))
        painter.setBrush(QColor(theme.ACCENT))
        painter.drawEllipse(disc)
        font = QFont(painter.font())
        font.setPixelSize(max(9, int(side * 0.62)))
        font.setWeight(QFont.Bold)
        painter.setFont(font)
        painter.setPen(QColor(theme.ACCENT_TEXT))
        painter.drawText(disc, Qt.AlignCenter, "★")


class RunPicker(QComboBox):
    """The runs of the photo on view. A long label ("Run 18 · regression · seed 123456") is elided to the
    room there is, with the whole label in the tooltip and in the open list (which is as wide as it needs)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(6)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        self.currentIndexChanged.connect(lambda _index: self.setToolTip(self.currentText()))

    def sizeHint(self) -> QSize:
        full = super().sizeHint()
        longest = max((self.fontMetrics().horizontalAdvance(self.itemText(i)) for i in range(self.count())), default=0)
        return QSize(max(full.width(), longest + 48), full.height())

    def addItem(self, text: str, *args) -> None:
        super().addItem(text, *args)
        self.setItemData(self.count() - 1, text, Qt.ToolTipRole)
        self.updateGeometry()

    def _text_room(self) -> QRect:
        option = QStyleOptionComboBox()
        self.initStyleOption(option)
        return self.style().subControlRect(QStyle.CC_ComboBox, option, QStyle.SC_ComboBoxEditField, self)

    def displayed_text(self) -> str:
        """The current label as drawn: whole if it fits, else elided with "…"."""
        return self.fontMetrics().elidedText(self.currentText(), Qt.ElideRight, max(self._text_room().width() - 2, 0))

    def paintEvent(self, event) -> None:
        painter = QStylePainter(self)
        option = QStyleOptionComboBox()
        self.initStyleOption(option)
        option.currentText = self.displayed_text()
        painter.drawComplexControl(QStyle.CC_ComboBox, option)
        painter.drawControl(QStyle.CE_ComboBoxLabel, option)

    def showPopup(self) -> None:
        longest = max((self.fontMetrics().horizontalAdvance(self.itemText(i)) for i in range(self.count())), default=0)
        self.view().setMinimumWidth(longest + 40)
        super().showPopup()


def _picture_box(tile: QRectF) -> QRectF:
    """The room for the picture in a tile: above the caption."""
    return QRectF(tile.left() + 4, tile.top() + 4, tile.width() - 8, tile.height() - LABEL_HEIGHT - 6)


def _fit(size: QSize, box: QRectF) -> QRectF:
    scale = min(box.width() / max(size.width(), 1), box.height() / max(size.height(), 1))
    width, height = size.width() * scale, size.height() * scale
    return QRectF(box.center().x() - width / 2, box.center().y() - height / 2, width, height)
