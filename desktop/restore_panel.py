"""The Restore panel, shown while the Restore tool is out: the restoration steps a photo gets before it
is colorized (learned clean-up, dust and scratches, denoise, tone), each optional, each with its strength; and the
tools for the dust-and-scratches mask (show it, add to it, erase from it).

No state of its own: the controller (desktop/restore_controller.py) draws it with ``update_state``
and gets the user's changes as :class:`RestoreSettings` (without the mask's strokes, which it keeps).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop import theme
from desktop.controls import section_title
from desktop.state.restoration import ORDER, RestoreSettings

SHOW, ADD, ERASE = "show", "add", "erase"
"""What the mask tools do: show the mask over the photo, or paint on it (which shows it too)."""
MIN_BRUSH_PX, MAX_BRUSH_PX = 1.0, 80.0
DEFAULT_BRUSH = 40
"""On the 1..100 brush scale: about 6 px, a speck or a thick scratch in one stroke."""
TINTED_NOTE = "A tinted scan (sepia, yellowed paper): only its lightness is used, so the tint is gone already."
UNTINTED_NOTE = "Sepia or yellowed scans need no step: only their lightness is used, so the tint is gone already."
STATUS_LINES = 4
"""The status keeps this many lines' room, so that the panel does not jump as it changes."""


def brush_radius(size: int) -> float:
    """The mask brush's radius in full-resolution px for a size on the 1..100 scale (even steps on a log scale)."""
    fraction = (min(max(size, 1), 100) - 1) / 99
    return MIN_BRUSH_PX * (MAX_BRUSH_PX / MIN_BRUSH_PX) ** fraction


def _strength_slider(tip: str) -> QSlider:
    slider = QSlider(Qt.Horizontal)
    slider.setRange(0, 100)
    slider.setToolTip(tip)
    return slider


def _hint_label(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setObjectName("Hint")
    label.setWordWrap(True)
    label.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)  # never wider than the panel
    return label


class RestorePanel(QWidget):
    done_requested = Signal()
    settings_edited = Signal(object)  # RestoreSettings, strokes left out
    mask_mode_changed = Signal(str)  # "", SHOW, ADD or ERASE
    brush_changed = Signal(float)  # radius, full-resolution px
    undo_requested = Signal()
    redo_requested = Signal()
    clear_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.done = QToolButton()
        self.done.setObjectName("Flat")
        self.done.setText("Done")
        self.done.setToolTip("Put the Restore panel away (R); the settings stay with the photo")
        self.intro = _hint_label("Repairs the scan before it is colorized. Drag the split on the photo to compare.")
        self.learned = QCheckBox("Learned clean-up")
        self.learned.setToolTip("Grain, dust and scratches at once, by a small network trained on worn photos: "
                                "instead of Dust, scratches and Denoise (Tone still sets a faded scan's levels)")
        self.learned_strength = _strength_slider("How much of the clean-up to keep")
        self.learned_value = QLabel()
        self.tone = QCheckBox("Tone")
        self.tone.setToolTip("Faded prints: stretches the black and white points, then adds local contrast")
        self.tone_strength = _strength_slider("Local contrast (CLAHE)")
        self.tone_value = QLabel()
        self.tint_note = _hint_label(UNTINTED_NOTE)
        self.denoise = QCheckBox("Denoise")
        self.denoise.setToolTip("Film grain and scanner noise (non-local means)")
        self.denoise_strength = _strength_slider("How strongly to smooth the noise")
        self.denoise_value = QLabel()
        self.denoise_auto = QCheckBox("From the photo's noise")
        self.denoise_auto.setChecked(True)
        self.denoise_auto.setToolTip("Take the strength the measured noise calls for; off: set it yourself")
        self.scratches = QCheckBox("Dust, scratches")
        self.scratches.setToolTip("Thin bright or dark lines and specks: found by their shape, filled from around them")
        self.scratches_strength = _strength_slider("Sensitivity: how readily a line or speck is taken for damage")
        self.scratches_value = QLabel()
        for value in (self.learned_value, self.tone_value, self.denoise_value, self.scratches_value):
            value.setObjectName("Hint")
            value.setMinimumWidth(34)
            value.setAlignment(Qt.AlignRight | Qt.AlignVCenter)

        self.show_mask = QPushButton("Mask")
        self.show_mask.setToolTip("Show the dust and scratches found, in red over the photo before they are filled")
        self.add = QPushButton(theme.icon("brush"), "Add")
        self.add.setToolTip("Paint damage the detection missed (right-drag erases)")
        self.erase = QPushButton("Erase")
        self.erase.setToolTip("Paint over what is not damage, so it is left as it is (right-drag adds)")
        self.mask_tools = QButtonGroup(self)
        self.mask_tools.setExclusive(False)  # at most one is checked, none is fine too: see _mask_tool_clicked
        for button in (self.show_mask, self.add, self.erase):
            button.setCheckable(True)
            self.mask_tools.addButton(button)
        self.brush = QSlider(Qt.Horizontal)
        self.brush.setRange(1, 100)
        self.brush.setValue(DEFAULT_BRUSH)
        self.brush.setToolTip("Brush size")
        self.brush_value = QLabel()
        self.brush_value.setObjectName("Hint")
        self.brush_value.setMinimumWidth(34)
        self.brush_value.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        self.undo = QPushButton(theme.icon("undo"), "")
        self.undo.setToolTip("Undo the last mask edit")
        self.redo = QPushButton(theme.icon("redo"), "")
        self.redo.setToolTip("Redo the mask edit")
        self.clear = QPushButton(theme.icon("clear"), "Clear")
        self.clear.setToolTip("Remove every mask edit: the mask as it was found")
        self.status = _hint_label()
        self.status.setAlignment(Qt.AlignLeft | Qt.AlignTop)
        self.status.setFixedHeight(self.status.fontMetrics().lineSpacing() * STATUS_LINES + 2)

        title = QHBoxLayout()
        title.addWidget(section_title("Restore"))
        title.addStretch(1)
        title.addWidget(self.done)
        mask = QHBoxLayout()
        mask.setSpacing(4)
        mask.addWidget(self.show_mask)
        mask.addWidget(self.add)
        mask.addWidget(self.erase)
        mask.addWidget(self.brush, 1)
        mask.addWidget(self.brush_value)
        edits = QHBoxLayout()
        edits.addWidget(self.undo)
        edits.addWidget(self.redo)
        edits.addStretch(1)
        edits.addWidget(self.clear)
        blocks = {  # each step's rows: its switch, strength and value, then what goes with it
            "learned": ((self.learned, self.learned_strength, self.learned_value),),
            "tone": ((self.tone, self.tone_strength, self.tone_value), self.tint_note),
            "denoise": ((self.denoise, self.denoise_strength, self.denoise_value), self.denoise_auto),
            "scratches": ((self.scratches, self.scratches_strength, self.scratches_value), mask, edits),
        }
        steps = QGridLayout()
        steps.setHorizontalSpacing(8)
        steps.setVerticalSpacing(2)
        steps.setColumnStretch(1, 1)
        row = 0
        for step_id in ORDER:  # in the order they run
            for part in blocks.get(step_id, ()):
                if isinstance(part, tuple):
                    for column, widget in enumerate(part):
                        steps.addWidget(widget, row, column)
                elif isinstance(part, QWidget):
                    steps.addWidget(part, row, 0, 1, 3)
                else:
                    steps.addLayout(part, row, 0, 1, 3)
                row += 1
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(title)
        layout.addWidget(self.intro)
        layout.addLayout(steps)
        layout.addWidget(self.status)

        self.done.clicked.connect(self.done_requested)
        for box in (self.learned, self.tone, self.denoise, self.denoise_auto, self.scratches):
            box.toggled.connect(self._edited)
        for slider in (self.learned_strength, self.tone_strength, self.denoise_strength, self.scratches_strength):
            slider.valueChanged.connect(self._edited)
        self.mask_tools.buttonClicked.connect(self._mask_tool_clicked)
        self.brush.valueChanged.connect(lambda _value: self._brush_moved())
        self.undo.clicked.connect(self.undo_requested)
        self.redo.clicked.connect(self.redo_requested)
        self.clear.clicked.connect(self.clear_requested)
        self._brush_moved(emit=False)

    # -- what the user set ---------------------------------------------------------------------------
    def settings(self) -> RestoreSettings:
        """The steps and strengths as the widgets show them (no strokes: the controller keeps those)."""
        return RestoreSettings(
            tone=self.tone.isChecked(), tone_strength=self.tone_strength.value() / 100,
            denoise=self.denoise.isChecked(),
            denoise_strength=None if self.denoise_auto.isChecked() else self.denoise_strength.value() / 100,
            scratches=self.scratches.isChecked(), scratches_strength=self.scratches_strength.value() / 100,
            learned=self.learned.isChecked(), learned_strength=self.learned_strength.value() / 100)

    def mask_mode(self) -> str:
        for button, mode in ((self.add, ADD), (self.erase, ERASE), (self.show_mask, SHOW)):
            if button.isChecked():
                return mode
        return ""

    def brush_radius(self) -> float:
        return brush_radius(self.brush.value())

    def _edited(self, *_args) -> None:
        self.settings_edited.emit(self.settings())

    def _mask_tool_clicked(self, clicked) -> None:
        for button in (self.show_mask, self.add, self.erase):
            if button is not clicked:
                button.setChecked(False)
        self.mask_mode_changed.emit(self.mask_mode())

    def set_mask_mode(self, mode: str) -> None:
        """Check the tool of ``mode`` ("" for none) without announcing it."""
        for button, button_mode in ((self.show_mask, SHOW), (self.add, ADD), (self.erase, ERASE)):
            button.setChecked(mode == button_mode)

    def _brush_moved(self, emit: bool = True) -> None:
        self.brush_value.setText(f"{self.brush_radius():.0f} px")
        if emit:
            self.brush_changed.emit(self.brush_radius())

    # -- drawing --------------------------------------------------------------------------------------
    def update_state(self, *, settings: RestoreSettings, photo: bool, tinted: bool, estimate: float | None,
                     sigma: float | None, mask_mode: str, can_undo: bool, can_redo: bool, status: str,
                     details: str = "") -> None:
        """Show ``settings`` (the photo's), the denoise strength its noise calls for (``estimate``, from
        noise ``sigma`` L*; None: not measured yet), ``status`` (what the preview is doing, what it found:
        a few lines) and ``details`` (what each step said, as the status's tooltip)."""
        widgets = (self.learned, self.learned_strength, self.tone, self.tone_strength, self.denoise, self.denoise_strength, self.denoise_auto,
                   self.scratches, self.scratches_strength, self.show_mask, self.add, self.erase, self.brush)
        for widget in widgets:
            widget.blockSignals(True)
        self.learned.setChecked(settings.learned)
        self.learned_strength.setValue(round(settings.learned_strength * 100))
        self.tone.setChecked(settings.tone)
        self.tone_strength.setValue(round(settings.tone_strength * 100))
        self.denoise.setChecked(settings.denoise)
        self.denoise_auto.setChecked(settings.denoise_strength is None)
        shown = settings.denoise_strength if settings.denoise_strength is not None else estimate
        if shown is not None:
            self.denoise_strength.setValue(round(shown * 100))
        self.scratches.setChecked(settings.scratches)
        self.scratches_strength.setValue(round(settings.scratches_strength * 100))
        self.set_mask_mode(mask_mode)
        for widget in widgets:
            widget.blockSignals(False)
        for widget in (self.learned, self.tone, self.denoise, self.scratches, self.denoise_auto):
            widget.setEnabled(photo)
        self.learned_strength.setEnabled(photo and settings.learned)
        self.tone_strength.setEnabled(photo and settings.tone)
        self.denoise_strength.setEnabled(photo and settings.denoise and settings.denoise_strength is not None)
        self.denoise_auto.setEnabled(photo and settings.denoise)
        self.scratches_strength.setEnabled(photo and settings.scratches)
        for widget in (self.show_mask, self.add, self.erase, self.brush):
            widget.setEnabled(photo and settings.scratches)
        self.learned_value.setText(f"{settings.learned_strength:.2f}")
        self.tone_value.setText(f"{settings.tone_strength:.2f}")
        self.denoise_value.setText("auto" if shown is None else f"{shown:.2f}")
        self.scratches_value.setText(f"{settings.scratches_strength:.2f}")
        measured = f"σ {sigma:.1f} L*" if sigma is not None else "not measured yet"
        whose = "the cleaned photo's" if settings.learned else "the photo's"  # the denoiser gets the learned step's result
        self.denoise_auto.setText(f"From {whose} noise ({measured})")
        self.tint_note.setText(TINTED_NOTE if tinted else UNTINTED_NOTE)
        self.undo.setEnabled(can_undo)
        self.redo.setEnabled(can_redo)
        self.clear.setEnabled(bool(settings.strokes))
        self.status.setText(status)
        self.status.setToolTip(details)
