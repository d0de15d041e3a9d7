"""The strip of open photos along the bottom, each with its state: queued, colorizing, done, failed."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QAbstractItemView, QListWidget, QListWidgetItem, QMenu, QStyle, QStyledItemDelegate

from desktop import theme
from desktop.images import to_pixmap
from desktop.state.session import RUNNING, PhotoDoc, Session

DOC, PIXMAP, STATUS, PROGRESS = (Qt.UserRole + n for n in range(4))
TILE = QSize(132, 104)


class Filmstrip(QListWidget):
    close_requested = Signal(object)  # PhotoDoc
    colorize_requested = Signal(object)  # PhotoDoc

    def __init__(self, session: Session, parent=None):
        super().__init__(parent)
        self.session = session
        self.setFlow(QListWidget.LeftToRight)
        self.setWrapping(False)
        self.setViewMode(QListWidget.IconMode)
        self.setMovement(QListWidget.Static)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollPerPixel)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setGridSize(TILE + QSize(6, 6))
        self.setFixedHeight(TILE.height() + 22)
        self.setItemDelegate(_FilmDelegate(self))
        self.setContextMenuPolicy(Qt.CustomContextMenu)
        self.customContextMenuRequested.connect(self._menu)
        self._syncing = False
        self.currentItemChanged.connect(self._picked)
        session.photos_changed.connect(self.rebuild)
        session.current_changed.connect(self._select_current)
        session.photo_loaded.connect(self.refresh)
        session.run_changed.connect(lambda doc, _run: self.refresh(doc))
        session.selection_changed.connect(lambda doc, _run: self.refresh(doc))

    def rebuild(self) -> None:
        self._syncing = True
        self.clear()
        for doc in self.session.photos:
            item = QListWidgetItem()
            item.setData(DOC, doc)
            item.setToolTip(str(doc.path))
            self.addItem(item)
            self._fill(item, doc)
        self._syncing = False
        self._select_current()

    def refresh(self, doc: PhotoDoc) -> None:
        for row in range(self.count()):
            if self.item(row).data(DOC) is doc:
                self._fill(self.item(row), doc)

    def _fill(self, item: QListWidgetItem, doc: PhotoDoc) -> None:
        run = doc.current_run
        picture = None
        sample_index = None if run is None else (run.chosen if run.chosen is not None else run.viewed)
        if run is not None and sample_index in run.samples:
            picture = run.samples[sample_index].thumbnail
        elif doc.original_preview is not None:
            step = max(1, max(doc.original_preview.shape[:2]) // 256)
            picture = doc.original_preview[::step, ::step]
        item.setData(PIXMAP, to_pixmap(picture) if picture is not None else None)
        item.setData(STATUS, run.state if run is not None else "")
        item.setData(PROGRESS, run.progress if run is not None else 0.0)

    def _select_current(self) -> None:
        self._syncing = True
        for row in range(self.count()):
            if self.item(row).data(DOC) is self.session.current:
                self.setCurrentRow(row)
                self.scrollToItem(self.item(row))
        self._syncing = False

    def _picked(self, current, _previous) -> None:
        if not self._syncing and current is not None:
            self.session.set_current(current.data(DOC))

    def _menu(self, position) -> None:
        item = self.itemAt(position)
        if item is None:
            return
        doc = item.data(DOC)
        menu = QMenu(self)
        menu.addAction("Colorize", lambda: self.colorize_requested.emit(doc))
        menu.addSeparator()
        menu.addAction("Close photo", lambda: self.close_requested.emit(doc))
        menu.exec(self.viewport().mapToGlobal(position))


class _FilmDelegate(QStyledItemDelegate):
    def sizeHint(self, option, index) -> QSize:
        return TILE

    def paint(self, painter: QPainter, option, index) -> None:
        painter.save()
        painter.setRenderHint(QPainter.Antialiasing)
        painter.setRenderHint(QPainter.SmoothPixmapTransform)
        tile = QRectF(option.rect).adjusted(3, 3, -3, -3)
        selected = bool(option.state & QStyle.State_Selected)
        painter.setPen(Qt.NoPen)
        painter.setBrush(QColor("#34363c" if selected else theme.RAISED))
        painter.drawRoundedRect(tile, 7, 7)
        picture = QRectF(tile.left() + 5, tile.top() + 5, tile.width() - 10, tile.height() - 28)
        pixmap = index.data(PIXMAP)
        if pixmap is not None and not pixmap.isNull():
            scale = min(picture.width() / pixmap.width(), picture.height() / pixmap.height())
            w, h = pixmap.width() * scale, pixmap.height() * scale
            target = QRectF(picture.center().x() - w / 2, picture.center().y() - h / 2, w, h)
            clip = QPainterPath()
            clip.addRoundedRect(target, 4, 4)
            painter.setClipPath(clip)
            painter.drawPixmap(target, pixmap, QRectF(pixmap.rect()))
            painter.setClipping(False)
        else:
            painter.setBrush(QColor("#222327"))
            painter.drawRoundedRect(picture, 4, 4)
        doc: PhotoDoc = index.data(DOC)
        name_box = QRectF(tile.left() + 8, tile.bottom() - 22, tile.width() - 26, 18)
        painter.setPen(QColor(theme.TEXT if selected else theme.MUTED))
        painter.drawText(name_box, Qt.AlignLeft | Qt.AlignVCenter, painter.fontMetrics().elidedText(doc.name, Qt.ElideRight, int(name_box.width())))
        self._paint_status(painter, index.data(STATUS), index.data(PROGRESS), tile, picture)
        if selected:
            painter.setPen(QPen(QColor(theme.ACCENT), 2))
            painter.setBrush(Qt.NoBrush)
            painter.drawRoundedRect(tile.adjusted(1, 1, -1, -1), 7, 7)
        painter.restore()

    def _paint_status(self, painter: QPainter, status: str, progress: float, tile: QRectF, picture: QRectF) -> None:
        dot = QRectF(tile.right() - 16, tile.bottom() - 17, 9, 9)
        colors = {"done": "#5cc98a", "failed": theme.ERROR, "cancelled": theme.MUTED, "queued": theme.INFO, "running": theme.ACCENT}
        if status in colors:
            painter.setPen(Qt.NoPen)
            painter.setBrush(QColor(colors[status]))
            painter.drawEllipse(dot)
        if status == RUNNING:
            bar = QRectF(picture.left() + 6, picture.bottom() - 8, picture.width() - 12, 4)
            painter.setBrush(QColor(0, 0, 0, 150))
            painter.drawRoundedRect(bar, 2, 2)
            painter.setBrush(QColor(theme.ACCENT))
            painter.drawRoundedRect(QRectF(bar.left(), bar.top(), bar.width() * max(progress, 0.03), bar.height()), 2, 2)
