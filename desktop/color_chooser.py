"""The color hints panel, shown while the hint tool is out: a color chooser for the selected hint.

The chooser offers the colors the samples have at the hint (``desktop.state.hints.suggested_colors``),
the colors used last (kept in the settings), an eyedropper that picks from any sample tile or from
the reference photo, and Qt's full color dialog. Below: the hint's radius, undo, redo, delete and
clear, and the reference photo. No state of its own: the controller (desktop/hint_controller.py)
draws it with ``update_state``.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop import theme
from desktop.controls import section_title
from desktop.state.hints import Hint

SWATCH_PX = 22
SWATCH_COLUMNS = 9


class Swatch(QToolButton):
    """A button showing one color; clicking it picks that color."""

    picked = Signal(str)

    def __init__(self, color: str, tip: str = "", parent=None):
        super().__init__(parent)
        self.color = color
        self.setObjectName("Swatch")
        self.setFixedSize(QSize(SWATCH_PX, SWATCH_PX))
        self.setCursor(Qt.PointingHandCursor)
        self.setToolTip(f"{tip} {color}".strip())
        self.setStyleSheet(f"QToolButton#Swatch {{ background: {color}; border: 1px solid #000000; border-radius: 4px; }}"
                           f"QToolButton#Swatch:hover {{ border: 2px solid {theme.ACCENT}; }}")
        self.clicked.connect(lambda: self.picked.emit(self.color))


class SwatchRow(QWidget):
    """Swatches in rows of ``SWATCH_COLUMNS``; a muted line when there are none."""

    picked = Signal(str)

    def __init__(self, empty_text: str, tip: str, parent=None):
        super().__init__(parent)
        self.tip = tip
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(4)
        self.grid.setAlignment(Qt.AlignLeft | Qt.AlignTop)
        self.empty = QLabel(empty_text)
        self.empty.setObjectName("Hint")
        self.colors: list[str] = []
        self.set_colors([])

    def swatches(self) -> list[Swatch]:
        return self.findChildren(Swatch)

    def set_colors(self, colors: list[str]) -> None:
        if colors == self.colors and self.grid.count():
            return
        self.colors = list(colors)
        while self.grid.count():
            widget = self.grid.takeAt(0).widget()
            if widget is not None and widget is not self.empty:
                widget.deleteLater()
        if not colors:
            self.grid.addWidget(self.empty, 0, 0, 1, SWATCH_COLUMNS)
            self.empty.show()
            return
        self.empty.hide()
        for position, color in enumerate(colors):
            swatch = Swatch(color, self.tip, self)
            swatch.picked.connect(self.picked)
            self.grid.addWidget(swatch, position // SWATCH_COLUMNS, position % SWATCH_COLUMNS)


class HintPanel(QWidget):
    tool_toggled = Signal(bool)  # False: Done, put the tool away
    color_picked = Signal(str)  # "#rrggbb" for the selected hint
    eyedropper_toggled = Signal(bool)
    more_colors_requested = Signal()
    radius_changed = Signal(float)
    delete_requested = Signal()
    clear_requested = Signal()
    undo_requested = Signal()
    redo_requested = Signal()
    reference_requested = Signal()
    reference_removed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.tool = QToolButton()
        self.tool.setObjectName("Flat")
        self.tool.setText("Done")
        self.tool.setToolTip("Put the hint tool away (H); Colorize ▸ Color Hints takes it out again")
        self.current = QLabel()
        self.current.setObjectName("Hint")
        self.current.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)  # never wider than the panel
        self.current_swatch = QLabel()
        self.current_swatch.setFixedSize(QSize(SWATCH_PX, SWATCH_PX))
        self.suggested = SwatchRow("the samples' colors at the hint", "In a sample:")
        self.recent = SwatchRow("the colors you use", "Used recently:")
        self.eyedropper = QPushButton(theme.icon("eyedropper"), "Pick")
        self.eyedropper.setCheckable(True)
        self.eyedropper.setToolTip("Pick the hint's color from a sample tile or from the reference photo")
        self.more = QPushButton("More…")
        self.more.setToolTip("Any color (only its hue and colorfulness count: the lightness stays the photo's)")
        self.radius = QSpinBox()
        self.radius.setRange(1, 10_000)
        self.radius.setSuffix(" px")
        self.radius.setFixedWidth(80)
        self.radius.setToolTip("How far around its point a hint holds its color exactly (full-resolution pixels)")
        self.undo = QPushButton(theme.icon("undo"), "")
        self.undo.setToolTip("Undo hint (Ctrl+Z)")
        self.redo = QPushButton(theme.icon("redo"), "")
        self.redo.setToolTip("Redo hint (Ctrl+Shift+Z)")
        self.delete = QPushButton("Delete")
        self.delete.setToolTip("Remove the selected hint (Delete, or right-click it)")
        self.clear = QPushButton(theme.icon("clear"), "Clear")
        self.clear.setToolTip("Remove every hint of this photo")
        self.reference = QPushButton(theme.icon("reference"), "Use a reference photo…")
        self.reference.setToolTip("Take colors from a color photo of the same place, family or era")
        self.remove_reference = QPushButton("Remove")
        self.remove_reference.setToolTip("Stop taking colors from the reference photo")
        self.message = QLabel()
        self.message.setObjectName("Hint")
        self.message.setWordWrap(True)

        # As compact as the combine panel whose place it takes: the samples above keep their room.
        title = QHBoxLayout()
        title.addWidget(section_title("Color hints"))
        title.addStretch(1)
        title.addWidget(self.undo)
        title.addWidget(self.redo)
        title.addWidget(self.tool)
        header = QHBoxLayout()
        header.addWidget(self.current_swatch)
        header.addWidget(self.current, 1)
        header.addWidget(QLabel("Radius"))
        header.addWidget(self.radius)
        colors = QFormLayout()
        colors.setLabelAlignment(Qt.AlignRight | Qt.AlignVCenter)
        colors.setHorizontalSpacing(8)
        colors.setVerticalSpacing(4)
        colors.addRow(_caption("Samples"), self.suggested)
        colors.addRow(_caption("Recent"), self.recent)
        edits = QHBoxLayout()
        edits.addWidget(self.eyedropper)
        edits.addWidget(self.more)
        edits.addStretch(1)
        edits.addWidget(self.delete)
        edits.addWidget(self.clear)
        reference = QHBoxLayout()
        reference.addWidget(self.reference, 1)
        reference.addWidget(self.remove_reference)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(title)
        layout.addLayout(header)
        layout.addLayout(colors)
        layout.addLayout(edits)
        layout.addLayout(reference)
        layout.addWidget(self.message)

        self.tool.clicked.connect(lambda: self.tool_toggled.emit(False))
        self.suggested.picked.connect(self.color_picked)
        self.recent.picked.connect(self.color_picked)
        self.eyedropper.toggled.connect(self.eyedropper_toggled)
        self.more.clicked.connect(self.more_colors_requested)
        self.radius.valueChanged.connect(lambda value: self.radius_changed.emit(float(value)))
        self.delete.clicked.connect(self.delete_requested)
        self.clear.clicked.connect(self.clear_requested)
        self.undo.clicked.connect(self.undo_requested)
        self.redo.clicked.connect(self.redo_requested)
        self.reference.clicked.connect(self.reference_requested)
        self.remove_reference.clicked.connect(self.reference_removed)

    def update_state(self, *, picking: bool, photo: bool, hints: int, selected: int | None, hint: Hint | None,
                     suggested: list[str], recent: list[str], can_undo: bool, can_redo: bool,
                     has_reference: bool, max_radius: int, message: str) -> None:
        self.eyedropper.blockSignals(True)
        self.eyedropper.setChecked(picking and hint is not None)
        self.eyedropper.blockSignals(False)
        if hint is not None:
            self.current.setText(f"Hint {selected + 1} of {hints}: {hint.color}")
            self.current_swatch.setStyleSheet(f"background: {hint.color}; border: 1px solid #000000; border-radius: 4px;")
        else:
            self.current.setText(f"{hints} hint{'s' if hints != 1 else ''} · click the photo to add"
                                 if photo else "Open a photo first")
            self.current_swatch.setStyleSheet("background: transparent; border: 1px dashed #62646b; border-radius: 4px;")
        self.suggested.set_colors(suggested if hint is not None else [])
        self.recent.set_colors(recent[:SWATCH_COLUMNS])
        for widget in (*self.suggested.swatches(), *self.recent.swatches(), self.eyedropper, self.more, self.delete):
            widget.setEnabled(hint is not None)
        self.radius.blockSignals(True)
        self.radius.setMaximum(max(1, max_radius))
        if hint is not None:
            self.radius.setValue(max(1, round(hint.radius)))
        self.radius.blockSignals(False)
        self.radius.setEnabled(photo)
        self.undo.setEnabled(can_undo)
        self.redo.setEnabled(can_redo)
        self.clear.setEnabled(hints > 0)
        self.reference.setEnabled(photo)
        self.reference.setText("Change reference photo…" if has_reference else "Use a reference photo…")
        self.remove_reference.setVisible(has_reference)
        self.message.setText(message)


def _caption(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("Hint")
    return label
