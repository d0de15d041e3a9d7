"""One round on screen: two pictures side by side, shown for a moment; the person clicks the real one.

The pictures hide after the round's time (Zhang et al. showed each pair for about a second) and the
question stays until it is answered: with a click, ← or → (1 or 2), S to skip or Esc to quit. This view
knows nothing of which picture is which or who made it: it says which side was clicked, and when.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QElapsedTimer, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from desktop import theme
from desktop.images import to_pixmap
from desktop.turing.plan import LEFT, RIGHT

PICTURE_MIN_SIDE = 240


class Picture(QWidget):
    """A clickable square picture, or an empty frame once it has hidden."""

    clicked = Signal()

    def __init__(self, caption: str):
        super().__init__()
        self.caption = caption
        self.image: np.ndarray | None = None
        """What is on screen now (None: hidden)."""
        self._pixmap = None
        self.setCursor(Qt.PointingHandCursor)
        self.setMinimumSize(PICTURE_MIN_SIDE, PICTURE_MIN_SIDE)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(420, 420)

    def set_image(self, image: np.ndarray | None) -> None:
        self.image = image
        self._pixmap = to_pixmap(image) if image is not None else None
        self.update()

    def mouseReleaseEvent(self, event) -> None:
        if event.button() == Qt.LeftButton and self.rect().contains(event.position().toPoint()):
            self.clicked.emit()

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.SmoothPixmapTransform)
        side = min(self.width(), self.height())
        square = QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)
        if self._pixmap is not None:
            painter.drawPixmap(square, self._pixmap, QRectF(self._pixmap.rect()))
        else:
            painter.fillRect(square, QColor(theme.VIEWER))
            painter.setPen(QPen(QColor(theme.BORDER), 1))
            painter.drawRect(square.adjusted(0.5, 0.5, -0.5, -0.5))
            painter.setPen(QColor(theme.MUTED))
            font = QFont(self.font())
            font.setPointSizeF(font.pointSizeF() * 1.3)
            painter.setFont(font)
            painter.drawText(square, Qt.AlignCenter, self.caption)
        painter.end()


class RoundView(QWidget):
    answered = Signal(str, float)  # the side clicked (LEFT or RIGHT), seconds since the pair appeared
    skipped = Signal(float)
    quit_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setFocusPolicy(Qt.StrongFocus)
        self.counter = QLabel()
        self.counter.setObjectName("Hint")
        self.question = QLabel()
        self.question.setAlignment(Qt.AlignCenter)
        font = self.question.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        self.question.setFont(font)
        self.left = Picture("Left  (←)")
        self.right = Picture("Right  (→)")
        self.skip = QPushButton("Skip  (S)")
        self.skip.setToolTip("Neither: this round does not count")
        self.quit = QPushButton("Quit Test  (Esc)")
        self.quit.setToolTip("End the test now: the rounds answered so far are kept and scored")
        for button in (self.skip, self.quit):
            button.setFocusPolicy(Qt.NoFocus)  # the keys belong to the round, not to a button
        self._hide_timer = QTimer(self)
        self._hide_timer.setSingleShot(True)
        self._hide_timer.timeout.connect(self.hide_pair)
        self._clock = QElapsedTimer()
        self._waiting = False

        pictures = QHBoxLayout()
        pictures.setSpacing(16)
        pictures.addWidget(self.left, 1)
        pictures.addWidget(self.right, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.counter)
        buttons.addStretch(1)
        buttons.addWidget(self.skip)
        buttons.addWidget(self.quit)
        layout = QVBoxLayout(self)
        layout.addWidget(self.question)
        layout.addLayout(pictures, 1)
        layout.addLayout(buttons)

        self.left.clicked.connect(lambda: self._answer(LEFT))
        self.right.clicked.connect(lambda: self._answer(RIGHT))
        self.skip.clicked.connect(self._skip)
        self.quit.clicked.connect(self.quit_requested)

    @property
    def waiting(self) -> bool:
        """A pair is up (or has just hidden) and no answer is in yet."""
        return self._waiting

    def show_pair(self, number: int, total: int, left: np.ndarray, right: np.ndarray, shown_s: float) -> None:
        """Show round ``number`` of ``total``; ``shown_s`` seconds later the pictures hide (0: they stay)."""
        self.counter.setText(f"Round {number} of {total}")
        self.question.setText("Which photo is real? Click it.")
        self.left.set_image(left)
        self.right.set_image(right)
        self._waiting = True
        self._clock.start()
        self._hide_timer.stop()
        if shown_s > 0:
            self._hide_timer.start(round(shown_s * 1000))
        self.setFocus()

    def hide_pair(self) -> None:
        self.left.set_image(None)
        self.right.set_image(None)
        if self._waiting:
            self.question.setText("Which one was real: left or right?")

    def stop(self) -> None:
        """No round is up any more (the test ended or was quit)."""
        self._waiting = False
        self._hide_timer.stop()
        self.hide_pair()

    def _answer(self, side: str) -> None:
        if self._waiting:
            self._waiting = False
            self._hide_timer.stop()
            self.answered.emit(side, self._clock.elapsed() / 1000)

    def _skip(self) -> None:
        if self._waiting:
            self._waiting = False
            self._hide_timer.stop()
            self.skipped.emit(self._clock.elapsed() / 1000)

    def keyPressEvent(self, event) -> None:
        key = event.key()
        if key in (Qt.Key_Left, Qt.Key_1):
            self._answer(LEFT)
        elif key in (Qt.Key_Right, Qt.Key_2):
            self._answer(RIGHT)
        elif key == Qt.Key_S:
            self._skip()
        elif key == Qt.Key_Escape:
            self.quit_requested.emit()
        else:
            super().keyPressEvent(event)
