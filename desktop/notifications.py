"""Non-modal notices over the photo's corner: errors stay until closed, news fades; details on demand.

Plain words come first: what happened, then what to do (``Notice.advice``). A traceback is
for bug reports: the Details dialog keeps it folded under "Technical details"."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QColor, QGuiApplication, QPainter
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop import theme
from desktop.state.notices import ERROR, INFO, WARNING, Notice, Notices

LEVEL_COLORS = {INFO: theme.INFO, WARNING: theme.WARNING, ERROR: theme.ERROR}
AUTO_HIDE_MS = {INFO: 6000, WARNING: 15000}
MAX_CARDS = 4
CARD_WIDTH = 360


class NotificationCard(QWidget):
    def __init__(self, notice: Notice, notices: Notices, parent=None):
        super().__init__(parent)
        self.notice = notice
        self.setAttribute(Qt.WA_StyledBackground, True)
        self.setFixedWidth(CARD_WIDTH)
        title = QLabel(notice.title)
        title.setWordWrap(True)
        title.setStyleSheet("font-weight: 600;")
        close = QToolButton()
        close.setObjectName("Flat")
        close.setText("✕")
        close.setToolTip("Dismiss")
        close.clicked.connect(lambda: notices.dismiss(notice))
        header = QHBoxLayout()
        header.addWidget(title, 1)
        header.addWidget(close, 0, Qt.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 10, 10, 12)
        layout.setSpacing(6)
        layout.addLayout(header)
        for text, style in ((notice.message, "Hint"), (notice.advice, "NoticeAdvice")):
            if text:
                label = QLabel(text)
                label.setWordWrap(True)
                label.setObjectName(style)
                label.setTextInteractionFlags(Qt.TextSelectableByMouse)
                layout.addWidget(label)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for action in notice.actions:
            button = QPushButton(action.label)
            button.clicked.connect(lambda _=False, a=action: (notices.dismiss(notice), a.callback()))
            buttons.addWidget(button)
        if notice.details:
            details = QPushButton("Details…")
            details.clicked.connect(self.show_details)
            buttons.addWidget(details)
        if buttons.count() > 1:
            layout.addLayout(buttons)
        self.details_dialog: DetailsDialog | None = None
        if notice.level in AUTO_HIDE_MS:
            QTimer.singleShot(AUTO_HIDE_MS[notice.level], self, lambda: notices.dismiss(notice))

    def show_details(self) -> None:
        self.details_dialog = DetailsDialog(self.notice, self.window())
        self.details_dialog.show()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.Antialiasing)
        painter.setPen(QColor(theme.BORDER))
        painter.setBrush(QColor(theme.RAISED))
        painter.drawRoundedRect(self.rect().adjusted(0, 0, -1, -1), 8, 8)
        painter.setPen(Qt.NoPen)
        painter.setBrush(QColor(LEVEL_COLORS.get(self.notice.level, theme.INFO)))
        painter.drawRoundedRect(4, 8, 4, self.height() - 16, 2, 2)


class DetailsDialog(QDialog):
    """Everything behind a notice, non-modal: what happened and what to do first, in plain words;
    a traceback only under "Technical details", folded; other details (a list of photos) in full."""

    def __init__(self, notice: Notice, parent=None):
        super().__init__(parent)
        self.setWindowTitle(notice.title)
        self.setModal(False)
        heading = QLabel(notice.title)
        heading.setWordWrap(True)
        heading.setStyleSheet("font-weight: 600; font-size: 11pt;")
        self.summary = QLabel("\n\n".join(part for part in (notice.message, notice.advice) if part))
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.summary.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Minimum)
        self.text = QPlainTextEdit(notice.details)
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.NoWrap if notice.technical else QPlainTextEdit.WidgetWidth)
        self.expander = QToolButton()
        self.expander.setObjectName("Flat")
        self.expander.setText("Technical details")
        self.expander.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        self.expander.setCheckable(True)
        self.expander.setArrowType(Qt.RightArrow)
        self.expander.setToolTip("What went wrong, for a bug report")
        self.expander.toggled.connect(self.show_technical)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        copy = buttons.addButton("Copy", QDialogButtonBox.ActionRole)
        copy.setToolTip("Copy everything above, the technical details too, e.g. for a bug report")
        full_text = "\n\n".join(part for part in (notice.title, notice.message, notice.advice, notice.details) if part)
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(full_text))
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addWidget(heading)
        if self.summary.text():
            layout.addWidget(self.summary)
        if notice.technical:
            layout.addWidget(self.expander, 0, Qt.AlignLeft)
        if notice.details:
            layout.addWidget(self.text, 1)
        else:
            self.text.hide()
        if not notice.technical:
            self.expander.hide()
        else:
            self.text.hide()
        layout.addStretch(0)
        layout.addWidget(buttons)
        self.resize(640, 360 if notice.details and not notice.technical else 200)

    def show_technical(self, shown: bool) -> None:
        self.expander.setArrowType(Qt.DownArrow if shown else Qt.RightArrow)
        self.text.setVisible(shown)
        if shown and self.height() < 360:
            self.resize(max(self.width(), 640), 420)


class NotificationArea(QWidget):
    """Stacks cards in the bottom-right corner of ``parent`` and follows its size."""

    def __init__(self, notices: Notices, parent: QWidget):
        super().__init__(parent)
        self.notices = notices
        self.setAttribute(Qt.WA_TranslucentBackground, True)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(8)
        self._cards: dict[int, NotificationCard] = {}
        notices.posted.connect(self._add)
        notices.dismissed.connect(self._remove)
        parent.installEventFilter(self)
        self.hide()

    def cards(self) -> list[NotificationCard]:
        return list(self._cards.values())

    def _add(self, notice: Notice) -> None:
        card = NotificationCard(notice, self.notices, self)
        self._cards[notice.id] = card
        self._layout.addWidget(card)
        card.show()  # before _place sizes the area: a hidden card adds no height, and the cards get squashed
        while len(self._cards) > MAX_CARDS:
            oldest = next(iter(self._cards.values()))
            self.notices.dismiss(oldest.notice)
        self._place()

    def _remove(self, notice: Notice) -> None:
        card = self._cards.pop(notice.id, None)
        if card is not None:
            self._layout.removeWidget(card)
            card.deleteLater()
        self._place()

    def _place(self) -> None:
        if not self._cards:
            self.hide()
            return
        self.adjustSize()
        parent = self.parentWidget()
        self.move(parent.width() - self.width() - 16, parent.height() - self.height() - 16)
        self.show()
        self.raise_()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Resize and self._cards:
            self._place()
        return False
