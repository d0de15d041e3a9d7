"""The end of a Turing test: how often each contender fooled the person (with a 95 % Wilson interval), the
colorizations that fooled best and worst, and where the results file is. Names are shown only here."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.controls import section_title
from desktop.exports import fit_long_side
from desktop.images import to_pixmap
from desktop.turing.plan import Answer
from desktop.turing.stats import Score, interval_text, percent

THUMBNAIL_SIDE = 120
HEADERS = ("Backend", "Fooled you", "Rounds", "Fool rate", "95 % interval", "Skipped")


class ResultsView(QWidget):
    new_test_requested = Signal()
    save_as_requested = Signal()
    close_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.NoSelection)
        self.table.setFocusPolicy(Qt.NoFocus)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.Stretch)
        self.table.setToolTip("Fool rate: how often you took the colorization for the real photo (50 % is a "
                              "perfect fake). The interval is where the true rate lies, with 95 % confidence.")
        self.best = QGridLayout()
        self.worst = QGridLayout()
        self.best_title = section_title("Fooled you best: taken for real, fastest")
        self.worst_title = section_title("Fooled you least: told apart, fastest")
        self.saved = QLabel()
        self.saved.setObjectName("Hint")
        self.saved.setWordWrap(True)
        self.saved.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.open_folder = QPushButton("Open Folder")
        self.save_as = QPushButton("Save Results As…")
        self.save_as.setVisible(False)
        new_test = QPushButton("New Test")
        new_test.setObjectName("Primary")
        close = QPushButton("Close")
        self._folder: Path | None = None

        buttons = QHBoxLayout()
        buttons.addWidget(self.open_folder)
        buttons.addWidget(self.save_as)
        buttons.addStretch(1)
        buttons.addWidget(new_test)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table)
        layout.addWidget(self.best_title)
        layout.addLayout(self.best)
        layout.addWidget(self.worst_title)
        layout.addLayout(self.worst)
        layout.addStretch(1)
        layout.addWidget(self.saved)
        layout.addLayout(buttons)

        self.open_folder.clicked.connect(lambda: self._folder and QDesktopServices.openUrl(QUrl.fromLocalFile(str(self._folder))))
        self.save_as.clicked.connect(self.save_as_requested)
        new_test.clicked.connect(self.new_test_requested)
        close.clicked.connect(self.close_requested)

    def show_results(self, table: Sequence[Score], best: Sequence[Answer], worst: Sequence[Answer],
                     pictures: Mapping[int, np.ndarray], stopped_early: bool) -> None:
        """``pictures``: each round's colorization by round number."""
        answered = sum(score.rounds for score in table)
        skipped = sum(score.skipped for score in table)
        words = f"{answered} round{'s' if answered != 1 else ''} answered"
        if skipped:
            words += f", {skipped} skipped"
        self.summary.setText(("Test stopped early: " if stopped_early else "Test complete: ") + words + ".")
        self.table.setRowCount(len(table))
        for row, score in enumerate(table):
            cells = (score.contender, str(score.fooled), str(score.rounds), percent(score.rate),
                     interval_text(score), str(score.skipped))
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignVCenter | (Qt.AlignLeft if column == 0 else Qt.AlignRight))
                self.table.setItem(row, column, item)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.Stretch)
        rows = sum(self.table.rowHeight(row) for row in range(self.table.rowCount()))
        self.table.setFixedHeight(self.table.horizontalHeader().sizeHint().height() + rows + 2 * self.table.frameWidth())
        self._fill(self.best, self.best_title, best, pictures)
        self._fill(self.worst, self.worst_title, worst, pictures)

    def set_saved(self, path: Path | None, problem: str = "") -> None:
        """Where the results were written, or why they were not (then Save Results As… is offered)."""
        self._folder = path.parent if path is not None else None
        self.open_folder.setVisible(path is not None)
        self.save_as.setVisible(bool(problem))
        if path is not None:
            self.saved.setText(f"Saved to {path}  ·  tinct turing report prints it again")
        else:
            self.saved.setText(problem)

    @staticmethod
    def _fill(grid: QGridLayout, title: QLabel, answers: Sequence[Answer], pictures: Mapping[int, np.ndarray]) -> None:
        while grid.count():
            widget = grid.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        title.setVisible(bool(answers))
        for column, answer in enumerate(answers):
            picture = QLabel()
            image = pictures.get(answer.round.number)
            if image is not None:
                picture.setPixmap(to_pixmap(fit_long_side(image, THUMBNAIL_SIDE)))
            caption = QLabel(f"{answer.round.contender}\n{elided(answer.round.photo.name)} · {answer.seconds:.1f} s")
            caption.setToolTip(answer.round.photo.name)
            caption.setObjectName("Hint")
            caption.setAlignment(Qt.AlignHCenter)
            grid.addWidget(picture, 0, column, Qt.AlignHCenter)
            grid.addWidget(caption, 1, column, Qt.AlignHCenter)
        grid.setColumnStretch(len(answers), 1)


def elided(name: str, limit: int = 22) -> str:
    return name if len(name) <= limit else name[:limit - 8] + "…" + name[-7:]
