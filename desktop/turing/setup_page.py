"""The Turing test's first page: a folder of the person's own color photos, the contenders, how many rounds
and how long each pair shows."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop import theme
from desktop.exports import photos_in
from desktop.saving import ask_folder
from desktop.turing.contenders import Contender, contenders_for
from plugins.host import PluginHost

DEFAULT_SHOWN_S = 1.6
DEFAULT_ROUNDS = 24
MAX_ROUNDS = 200
"""Each round keeps its two pictures in memory (under 1 MB)."""
MAX_SHOWN_S = 10.0
TEST_BACKEND = "testbackend"
"""Listed, but not checked at first: its flat colors fool nobody."""

# The theme styles check boxes, not the check marks of list items: these look the same.
LIST_CHECKS = (f"QListWidget::item {{ padding: 3px; }}"
               f"QListWidget::indicator {{ width: 14px; height: 14px; background: {theme.RAISED}; "
               f"border: 1px solid #8c8f98; border-radius: 3px; }}"
               f"QListWidget::indicator:checked {{ background: {theme.ACCENT}; border-color: {theme.ACCENT}; "
               f"image: url({theme.ICONS}/check.svg); }}")

INTRO = ("Each round shows one of your photos and a colorization of its gray version, side by side, in random "
         "order. Click the one that looks real. Which backend made a picture is told only at the end.")


class SetupPage(QWidget):
    start_requested = Signal()

    def __init__(self, start_folder: Path, parent=None):
        super().__init__(parent)
        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        self.folder = QLineEdit(str(start_folder))
        browse = QPushButton("Choose…")
        browse.setAutoDefault(False)
        browse.clicked.connect(self._browse)
        self.contenders = QListWidget()
        self.contenders.setMaximumHeight(180)
        self.contenders.setStyleSheet(LIST_CHECKS)
        self.contenders.setToolTip("The backends to compare; the last entry, when there is one, is the backend "
                                   "with the options set in the window")
        self.rounds = QSpinBox()
        self.rounds.setRange(1, 1)
        self.rounds.setMaximumWidth(180)
        self.rounds.setToolTip("Each photo is shown once at most, so there are no more rounds than photos")
        self.shown_s = QDoubleSpinBox()
        self.shown_s.setRange(0.0, MAX_SHOWN_S)
        self.shown_s.setMaximumWidth(180)
        self.shown_s.setSingleStep(0.1)
        self.shown_s.setDecimals(1)
        self.shown_s.setSuffix(" s")
        self.shown_s.setSpecialValueText("until you answer")
        self.shown_s.setValue(DEFAULT_SHOWN_S)
        self.shown_s.setToolTip("How long each pair stays up; you can still answer after it hides. "
                                "Zhang et al. showed each pair for about a second.")
        self.summary = QLabel()
        self.summary.setObjectName("Hint")
        self.summary.setWordWrap(True)
        self.start = QPushButton("Prepare Rounds")
        self.start.setObjectName("Primary")
        self.start.setAutoDefault(False)

        form = QFormLayout()
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(browse)
        form.addRow("Color photos in", row)
        form.addRow("Compare", self.contenders)
        form.addRow("Rounds", self.rounds)
        form.addRow("Show each pair for", self.shown_s)
        buttons = QHBoxLayout()
        buttons.addWidget(self.summary, 1)
        buttons.addWidget(self.start)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addStretch(1)
        layout.addLayout(buttons)

        self.folder.textChanged.connect(self._describe)
        self.contenders.itemChanged.connect(self._describe)
        self.start.clicked.connect(self.start_requested)
        self._host: PluginHost | None = None
        self._describe()

    def set_host(self, host: PluginHost | None, current_settings) -> None:
        """List the backends whose weights are in place (checked), and the window's settings if they differ."""
        self._host = host
        checked = {c.label for c in self.chosen()}
        self.contenders.blockSignals(True)
        self.contenders.clear()
        if host is not None:
            usable = [entry for entry in host.backends if host.weights_status(entry).ok]
            for contender in contenders_for(usable, current_settings):
                item = QListWidgetItem(contender.label)
                item.setData(Qt.UserRole, contender)
                item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
                wanted = contender.label in checked if checked else contender.settings.backend_id != TEST_BACKEND
                item.setCheckState(Qt.Checked if wanted else Qt.Unchecked)
                self.contenders.addItem(item)
        self.contenders.blockSignals(False)
        self._describe()

    def set_checked(self, labels) -> None:
        """Check exactly the contenders named ``labels``."""
        for row in range(self.contenders.count()):
            item = self.contenders.item(row)
            item.setCheckState(Qt.Checked if item.text() in labels else Qt.Unchecked)

    def chosen(self) -> list[Contender]:
        items = (self.contenders.item(row) for row in range(self.contenders.count()))
        return [item.data(Qt.UserRole) for item in items if item.checkState() == Qt.Checked]

    def photos(self) -> list[Path]:
        folder = Path(self.folder.text()).expanduser()
        ids = self._host.ids() if self._host is not None else []
        try:
            return photos_in(folder, ids) if folder.is_dir() else []
        except OSError:
            return []

    def _browse(self) -> None:
        folder = ask_folder(self, "Folder of your color photos", Path(self.folder.text() or Path.home()))
        if folder is not None:
            self.folder.setText(str(folder))

    def _describe(self) -> None:
        photos, chosen = self.photos(), self.chosen()
        count = len(photos)
        previous_max = self.rounds.maximum()
        self.rounds.setRange(1, max(min(count, MAX_ROUNDS), 1))
        if self.rounds.value() == previous_max or self.rounds.value() > count:
            self.rounds.setValue(min(max(count, 1), DEFAULT_ROUNDS))
        if self._host is None:
            text = "Looking for backends…"
        elif not count:
            text = "That folder holds no photos."
        elif not chosen:
            text = "Check at least one backend to compare."
        else:
            text = f"{count} photo{'s' if count != 1 else ''} · {len(chosen)} to compare"
        self.summary.setText(text)
        self.start.setEnabled(self._host is not None and count > 0 and bool(chosen))
