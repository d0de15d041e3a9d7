"""The combine tools: a brush that paints which sample a region takes its color from, with undo/redo."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QFormLayout, QHBoxLayout, QLabel, QPushButton, QSlider, QVBoxLayout, QWidget

from desktop import theme
from desktop.controls import section_title
from desktop.state.combine import DEFAULT_SIZE, DEFAULT_SOFTNESS, MAX_RADIUS, MIN_RADIUS, Stroke, size_to_radius
from desktop.state.session import Run

__all__ = ["CombinePanel", "MAX_RADIUS", "MIN_RADIUS"]


class CombinePanel(QWidget):
    brush_toggled = Signal(bool)
    brush_changed = Signal()  # size, softness or snapping
    undo_requested = Signal()
    redo_requested = Signal()
    clear_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.brush = QPushButton(theme.icon("brush"), "Paint from a sample")
        self.brush.setCheckable(True)
        self.brush.setToolTip("Paint regions with another sample's colors (B)")
        self.size = QSlider(Qt.Horizontal)
        self.size.setRange(1, 100)
        self.size.setValue(DEFAULT_SIZE)
        self.size.setToolTip("Brush size ([ and ])")
        self.softness = QSlider(Qt.Horizontal)
        self.softness.setRange(0, 100)
        self.softness.setValue(round(DEFAULT_SOFTNESS * 100))
        self.snap = QCheckBox("Snap to edges")
        self.snap.setChecked(True)
        self.snap.setToolTip("Strokes follow the photo's edges: painting inside an object keeps its color\n"
                             "from spilling across the object's outline. Off: a plain soft brush.")
        self.undo = QPushButton(theme.icon("undo"), "")
        self.undo.setToolTip("Undo stroke (Ctrl+Z)")
        self.redo = QPushButton(theme.icon("redo"), "")
        self.redo.setToolTip("Redo stroke (Ctrl+Shift+Z)")
        self.clear = QPushButton(theme.icon("clear"), "Clear")
        self.clear.setToolTip("Remove every stroke")
        self.hint = QLabel()
        self.hint.setObjectName("Hint")
        self.hint.setWordWrap(True)

        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignRight | Qt.AlignVCenter)
        form.setHorizontalSpacing(10)
        form.addRow("Size", self.size)
        form.addRow("Softness", self.softness)
        form.addRow("", self.snap)
        edits = QHBoxLayout()
        edits.addWidget(self.undo)
        edits.addWidget(self.redo)
        edits.addStretch(1)
        edits.addWidget(self.clear)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(section_title("Combine"))
        layout.addWidget(self.brush)
        layout.addLayout(form)
        layout.addLayout(edits)
        layout.addWidget(self.hint)

        self.brush.toggled.connect(self.brush_toggled)
        self.size.valueChanged.connect(self.brush_changed)
        self.softness.valueChanged.connect(self.brush_changed)
        self.snap.toggled.connect(self.brush_changed)
        self.undo.clicked.connect(self.undo_requested)
        self.redo.clicked.connect(self.redo_requested)
        self.clear.clicked.connect(self.clear_requested)
        self.update_state(None, False)

    def radius(self) -> float:
        return size_to_radius(self.size.value())

    def make_stroke(self, points: list[tuple[float, float]], source: int) -> Stroke:
        return Stroke(source, tuple(points), self.radius(), self.softness.value() / 100, edge_aware=self.snap.isChecked())

    def brush_settings(self) -> tuple[int, int, bool]:
        """Size (1..100), softness (0..100) and snapping, as the settings keep them."""
        return self.size.value(), self.softness.value(), self.snap.isChecked()

    def set_brush_settings(self, size: int, softness: int, snap: bool) -> None:
        self.size.setValue(size)
        self.softness.setValue(softness)
        self.snap.setChecked(snap)

    def update_state(self, run: Run | None, combining: bool) -> None:
        usable = run is not None and len(run.samples) > 1
        self.brush.setEnabled(usable)
        self.brush.blockSignals(True)
        self.brush.setChecked(combining and usable)
        self.brush.blockSignals(False)
        mask = run.combine if run is not None else None
        self.undo.setEnabled(mask is not None and mask.can_undo)
        self.redo.setEnabled(mask is not None and mask.can_redo)
        self.clear.setEnabled(run is not None and run.has_strokes)
        if not usable:
            self.hint.setText("Make two or more samples to combine their colors.")
        elif not combining:
            self.hint.setText("Take a region's color from another sample: the result stays seamless.")
        else:
            base, source = run.base, run.brush_source
            if source is None or source == base:
                self.hint.setText(f"Painting restores Sample {base + 1}. Click another sample to paint with it.")
            else:
                self.hint.setText(f"Painting Sample {source + 1} over Sample {base + 1}.")
