"""The colorize controls: backend (with version and license), samples, seed, working size, device, the backend's
own options (a slider for a number, a spin box for a whole number, a drop-down list for a choice)."""

from __future__ import annotations

import random

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop import theme
from desktop.state.settings import ColorizeSettings
from plugins.host.discovery import BackendEntry
from plugins.host.runner import MAX_WORKING_SIZE, MIN_WORKING_SIZE
from plugins.types import BackendOption, OptionKind

DEVICE_LABELS = {"auto": "Automatic", "cpu": "CPU", "cuda": "CUDA (NVIDIA GPU)", "mps": "MPS (Apple GPU)"}
SLIDER_STEPS = 1000
WORKING_SIZES = (128, 192, 224, 256, 320, 384, 512, 768, 1024, 1536, 2048)


class WrappingLabel(QLabel):
    """A word-wrapped label as tall as its text needs at the width it really has: in a form layout
    it was sized for a wider one, and a backend's longer description lost its first and last lines."""

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        super().setText(text)
        self._fit_height()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._fit_height()

    def _fit_height(self) -> None:
        needed = self.heightForWidth(self.width())
        if needed > 0 and needed != self.minimumHeight():
            self.setMinimumHeight(needed)


class NumberRow(QWidget):
    """A slider with a spin box beside it, for one float option."""

    value_changed = Signal(float)

    def __init__(self, minimum: float, maximum: float, value: float, tooltip: str = ""):
        super().__init__()
        self.minimum, self.maximum = minimum, maximum
        self.slider = QSlider(Qt.Horizontal)
        self.slider.setRange(0, SLIDER_STEPS)
        self.spin = QDoubleSpinBox()
        self.spin.setRange(minimum, maximum)
        self.spin.setDecimals(2)
        self.spin.setSingleStep((maximum - minimum) / 100 or 0.01)
        self.spin.setFixedWidth(72)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.spin)
        self.setToolTip(tooltip)
        self.slider.valueChanged.connect(lambda step: self.set_value(minimum + (maximum - minimum) * step / SLIDER_STEPS))
        self.spin.valueChanged.connect(self.set_value)
        self.set_value(value)

    def value(self) -> float:
        return self.spin.value()

    def set_value(self, value: float) -> None:
        value = min(max(float(value), self.minimum), self.maximum)
        span = self.maximum - self.minimum or 1.0
        for widget, new in ((self.spin, value), (self.slider, round((value - self.minimum) / span * SLIDER_STEPS))):
            widget.blockSignals(True)
            widget.setValue(new)
            widget.blockSignals(False)
        self.value_changed.emit(value)


class IntegerRow(QSpinBox):
    """A spin box for one whole-number option, with NumberRow's value()/set_value()/value_changed."""

    value_changed = Signal(object)

    def __init__(self, minimum: int, maximum: int, value: int, tooltip: str = ""):
        super().__init__()
        self.setRange(int(minimum), int(maximum))
        self.setToolTip(tooltip)
        self.set_value(value)
        self.valueChanged.connect(lambda value: self.value_changed.emit(value))

    def set_value(self, value) -> None:
        self.setValue(int(round(float(value))))


class ChoiceRow(QComboBox):
    """A drop-down list for one choice option; its value is the chosen string."""

    value_changed = Signal(object)

    def __init__(self, choices: tuple[str, ...], value: str, tooltip: str = ""):
        super().__init__()
        for choice in choices:
            self.addItem(choice, choice)
        self.setToolTip(tooltip)
        self.set_value(value)
        self.currentIndexChanged.connect(lambda _index: self.value_changed.emit(self.value()))

    def value(self) -> str:
        return self.currentData()

    def set_value(self, value) -> None:
        self.setCurrentIndex(max(self.findData(value), 0))


def option_control(option: BackendOption, value) -> NumberRow | IntegerRow | ChoiceRow:
    """The control for one of a backend's own options, showing ``value`` (the saved one, if it
    still fits the option, else its default)."""
    try:
        value = option.value_of(value)
    except ValueError:  # saved for an older version of the option
        value = option.default
    if option.kind is OptionKind.CHOICE:
        return ChoiceRow(option.choices, value, option.help)
    if option.kind is OptionKind.INTEGER:
        return IntegerRow(option.minimum, option.maximum, value, option.help)
    return NumberRow(option.minimum, option.maximum, value, option.help)


def section_title(text: str) -> QLabel:
    label = QLabel(text.upper())
    label.setObjectName("SectionTitle")
    return label


class ControlsPanel(QWidget):
    settings_changed = Signal(object)  # ColorizeSettings
    colorize_requested = Signal()
    cancel_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self._entries: dict[str, BackendEntry] = {}
        self._params: dict[str, dict[str, float | int | str]] = {}
        self._temperatures: dict[str, float] = {}  # per backend: each has its own default
        self._param_rows: dict[str, NumberRow | IntegerRow | ChoiceRow] = {}
        self._loading = False

        self.backend = QComboBox()
        self.backend.setMinimumContentsLength(16)
        self.backend_info = WrappingLabel("Looking for backends…")
        self.backend_info.setObjectName("BackendInfo")
        self.backend_info.setWordWrap(True)
        # Never squeezed below its wrapped lines when the panel is short (the samples grid gives way instead).
        self.backend_info.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Minimum)
        self.samples = QSpinBox()
        self.samples.setRange(1, 1)
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.shuffle = QToolButton()
        self.shuffle.setObjectName("Flat")
        self.shuffle.setIcon(theme.icon("dice"))
        self.shuffle.setToolTip("New random seed")
        self.working_size = QComboBox()
        self.working_size.setToolTip("The short side, in pixels, the backend colorizes at. Larger sizes "
                                     "see more detail but take longer; the result is always saved at full resolution.")
        self._wanted_samples = 1
        self.device = QComboBox()
        for device_id, label in DEVICE_LABELS.items():
            self.device.addItem(label, device_id)
        self.temperature = NumberRow(0.0, 2.0, 1.0, "How adventurous the sampling is; higher gives more varied colors.")

        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignRight | Qt.AlignVCenter)
        form.setHorizontalSpacing(10)
        form.setVerticalSpacing(8)
        form.addRow("Backend", self.backend)
        form.addRow("", self.backend_info)
        counts = QHBoxLayout()
        counts.setSpacing(6)
        self.samples.setMaximumWidth(self.samples.fontMetrics().horizontalAdvance("8") + 40)
        counts.addWidget(self.samples)
        seed_label = QLabel("Seed")
        counts.addSpacing(6)
        counts.addWidget(seed_label)
        counts.addWidget(self.seed, 1)
        counts.addWidget(self.shuffle)
        form.addRow("Samples", counts)
        form.addRow("Working size", self.working_size)
        form.addRow("Device", self.device)
        form.addRow("Temperature", self.temperature)
        self.form = form

        self.colorize = QPushButton(theme.icon("colorize"), "Colorize")
        self.colorize.setObjectName("Primary")
        self.colorize.setToolTip("Colorize the current photo (Ctrl+R); while one runs, this queues the next")
        self.cancel = QPushButton("Cancel")
        self.cancel.setToolTip("Stop the running colorization (Esc)")
        self.cancel.setEnabled(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.colorize, 1)
        buttons.addWidget(self.cancel)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setFixedHeight(6)
        self.status = QLabel("")
        self.status.setObjectName("Hint")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(section_title("Colorize"))
        layout.addLayout(form)
        layout.addSpacing(4)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)

        self.backend.currentIndexChanged.connect(self._backend_changed)
        self.shuffle.clicked.connect(lambda: self.seed.setValue(random.randrange(0, 100_000)))
        self.colorize.clicked.connect(self.colorize_requested)
        self.cancel.clicked.connect(self.cancel_requested)
        self.samples.valueChanged.connect(self._samples_set)
        for signal in (self.samples.valueChanged, self.seed.valueChanged, self.working_size.currentIndexChanged,
                       self.device.currentIndexChanged, self.temperature.value_changed):  # fmt: skip
            signal.connect(self._changed)
        self.temperature.value_changed.connect(self._temperature_set)
        self.set_progress(None)

    # -- backends ------------------------------------------------------------------------
    def set_backends(self, entries: list[BackendEntry], weights_state: dict[str, str], preferred: str) -> None:
        self._loading = True
        self.backend.clear()
        self._entries = {entry.info.id: entry for entry in entries}
        for entry in entries:
            state = weights_state.get(entry.info.id, "")
            suffix = "" if state in ("", "verified", "none needed") else f"  (weights {state})"
            self.backend.addItem(entry.info.name + suffix, entry.info.id)
            self.backend.setItemData(self.backend.count() - 1, entry.info.description, Qt.ToolTipRole)
        found = self.backend.findData(preferred)
        self._loading = False
        self.backend.setCurrentIndex(max(found, 0))
        self._backend_changed()
        if not entries:
            self.backend_info.setText("No backend is installed. See Backends ▸ Installed Backends.")
        self.colorize.setEnabled(bool(entries))

    def set_available_devices(self, device_ids: set[str]) -> None:
        self._available = {d.split(":")[0] for d in device_ids}
        self._update_devices()

    def _update_devices(self) -> None:
        entry = self._entries.get(self.backend.currentData())
        supported = set(entry.info.devices) if entry else {"cpu"}
        available = getattr(self, "_available", None)
        model = self.device.model()
        for row in range(self.device.count()):
            device_id = self.device.itemData(row)
            usable = device_id == "auto" or (device_id in supported and (available is None or device_id in available))
            model.item(row).setEnabled(usable)

    def _backend_changed(self) -> None:
        if self._loading:
            return
        entry = self._entries.get(self.backend.currentData())
        if entry is None:
            return
        info = entry.info
        self.backend_info.setText(info.description)
        self.backend_info.setToolTip(f"{info.description}\n\n{info.id} {info.version} · {info.license} license · "
                                     f"from {entry.distribution}")
        wanted = self._wanted_samples
        self._loading = True
        self.samples.setMaximum(info.sample_limit)
        self.samples.setValue(min(wanted, info.sample_limit))
        self._loading = False
        self._wanted_samples = wanted  # a one-sample backend shows 1 but keeps the number asked for
        self.samples.setEnabled(info.sample_limit > 1)
        self.samples.setToolTip("How many different colorizations to make" if info.sample_limit > 1 else
                                f"{info.name} makes one colorization per photo")
        self._fill_working_sizes(info.default_working_size)
        self._set_row_visible(self.temperature, info.has_temperature)
        if info.has_temperature:
            self.temperature.set_value(self._temperatures.get(info.id, info.default_temperature))
        self._rebuild_params(entry)
        self._update_devices()
        self._changed()

    def _fill_working_sizes(self, default: int, chosen: int | None = None) -> None:
        """Sizes smallest first, the backend's own default marked (and stored as 0: 'the default')."""
        chosen = self.working_size.currentData() if chosen is None else chosen
        loading, self._loading = self._loading, True
        self.working_size.clear()
        default = min(max(default, MIN_WORKING_SIZE), MAX_WORKING_SIZE)
        sizes = sorted(set(WORKING_SIZES) | {default} | ({chosen} if chosen else set()))
        for size in sizes:
            if MIN_WORKING_SIZE <= size <= MAX_WORKING_SIZE:
                self.working_size.addItem(f"{size} px · default" if size == default else f"{size} px", 0 if size == default else size)
        index = self.working_size.findData(chosen or 0)
        self.working_size.setCurrentIndex(index if index >= 0 else self.working_size.findData(0))
        self._loading = loading

    def _samples_set(self, value: int) -> None:
        if not self._loading and self.samples.isEnabled():
            self._wanted_samples = value

    def _rebuild_params(self, entry: BackendEntry) -> None:
        for row in self._param_rows.values():
            self.form.removeRow(row)
        self._param_rows = {}
        saved = self._params.setdefault(entry.info.id, {})
        for option in entry.info.params:
            row = option_control(option, saved.get(option.name, option.default))
            row.value_changed.connect(lambda value, name=option.name, backend=entry.info.id: self._param_set(backend, name, value))
            self.form.addRow(option.label, row)
            self._param_rows[option.name] = row

    def _temperature_set(self, value: float) -> None:
        backend_id = self.backend.currentData()
        if backend_id and not self._loading:
            self._temperatures[backend_id] = value

    def _param_set(self, backend_id: str, name: str, value: float | int | str) -> None:
        self._params.setdefault(backend_id, {})[name] = value
        self._changed()

    def _set_row_visible(self, field: QWidget, visible: bool) -> None:
        self.form.setRowVisible(field, visible)

    # -- settings ------------------------------------------------------------------------
    def settings(self) -> ColorizeSettings:
        backend_id = self.backend.currentData() or ""
        entry = self._entries.get(backend_id)
        size = self.working_size.currentData() or 0
        has_temperature = entry is not None and entry.info.has_temperature
        return ColorizeSettings(
            backend_id=backend_id,
            samples=self.samples.value(),
            seed=self.seed.value(),
            working_size=size,
            device=self.device.currentData(),
            temperature=self.temperature.value() if has_temperature else None,
            params={name: row.value() for name, row in self._param_rows.items()},
        )

    def set_settings(self, settings: ColorizeSettings) -> None:
        """Show remembered settings; call after :meth:`set_backends`."""
        self._loading = True
        if settings.params and settings.backend_id:
            self._params[settings.backend_id] = dict(settings.params)
        if settings.temperature is not None and settings.backend_id:
            self._temperatures[settings.backend_id] = settings.temperature
        found = self.backend.findData(settings.backend_id)
        if found >= 0:
            self.backend.setCurrentIndex(found)
        self._loading = False
        self._backend_changed()
        self._wanted_samples = max(settings.samples, 1)
        self.samples.setValue(min(settings.samples, self.samples.maximum()))
        self._wanted_samples = max(settings.samples, 1)
        self.seed.setValue(settings.seed)
        entry = self._entries.get(self.backend.currentData())
        self._fill_working_sizes(entry.info.default_working_size if entry else 256, settings.working_size)
        self._changed()
        self.device.setCurrentIndex(max(self.device.findData(settings.device), 0))

    def _changed(self, *_args) -> None:
        if not self._loading:
            self.settings_changed.emit(self.settings())

    # -- progress ------------------------------------------------------------------------
    def set_progress(self, run, queued: int = 0) -> None:
        """Show the run in progress (or the last one's outcome) and how many wait behind it."""
        busy = run is not None and run.active
        self.cancel.setEnabled(busy)
        self.progress.setVisible(busy)
        if run is not None:
            self.progress.setValue(int(run.progress * 1000))
        text = "" if run is None else (run.error or run.message) if not busy else run.message
        if queued:
            text = f"{text} · {queued} queued" if text else f"{queued} queued"
        self.status.setText(text)
        self.colorize.setText("Queue" if busy else "Colorize")
