"""The colorize controls: a list of working sizes with the default marked, and a samples box that says why it is 1."""

from __future__ import annotations

from dataclasses import replace

from desktop.controls import ControlsPanel
from desktop.state.settings import ColorizeSettings
from plugins.host.discovery import BackendEntry
from tinct_testbackend import FlatColorizer


def entry(backend_id: str, max_samples: int, working_size: int = 256) -> BackendEntry:
    cls = type(backend_id, (FlatColorizer,), {})
    cls.info = replace(FlatColorizer.info, id=backend_id, name=backend_id.title(), max_samples=max_samples,
                       default_working_size=working_size)
    return BackendEntry(cls, backend_id, "test")


def panel(qtbot) -> ControlsPanel:
    controls = ControlsPanel()
    qtbot.addWidget(controls)
    controls.set_backends([entry("many", 8), entry("single", 1, 224)], {}, "many")
    return controls


def test_working_sizes_go_up_the_list_and_the_default_is_marked(qtbot):
    controls = panel(qtbot)
    sizes = [controls.working_size.itemText(i) for i in range(controls.working_size.count())]
    assert sizes[0] == "128 px" and sizes[-1] == "2048 px" and "256 px · default" in sizes
    values = [int(text.split()[0]) for text in sizes]
    assert values == sorted(values)
    assert controls.settings().working_size == 0  # the default: whatever the backend prefers
    controls.working_size.setCurrentIndex(controls.working_size.findText("512 px"))
    assert controls.settings().working_size == 512
    controls.backend.setCurrentIndex(controls.backend.findData("single"))  # a chosen size stays chosen
    assert controls.settings().working_size == 512 and controls.working_size.findText("224 px · default") >= 0


def test_a_stored_size_off_the_list_is_kept_and_an_impossible_one_falls_back_to_the_default(qtbot):
    controls = panel(qtbot)
    controls.set_settings(ColorizeSettings(backend_id="many", working_size=300))
    assert controls.settings().working_size == 300 and controls.working_size.currentText() == "300 px"
    controls.set_settings(ColorizeSettings(backend_id="many", working_size=10_000))
    assert controls.settings().working_size == 0 and controls.working_size.currentText() == "256 px · default"


def test_a_one_sample_backend_disables_the_box_says_why_and_gives_the_number_back(qtbot):
    controls = panel(qtbot)
    controls.samples.setValue(6)
    controls.backend.setCurrentIndex(controls.backend.findData("single"))
    assert controls.samples.value() == 1 and not controls.samples.isEnabled()
    assert "one colorization" in controls.samples.toolTip()
    controls.backend.setCurrentIndex(controls.backend.findData("many"))
    assert controls.samples.value() == 6 and controls.samples.isEnabled()


def test_stored_samples_survive_starting_on_a_one_sample_backend(qtbot):
    controls = panel(qtbot)
    controls.set_settings(ColorizeSettings(backend_id="single", samples=5))
    assert controls.settings().samples == 1
    controls.backend.setCurrentIndex(controls.backend.findData("many"))
    assert controls.settings().samples == 5


def test_the_seed_box_shows_the_largest_seed_whole(qtbot):
    controls = panel(qtbot)
    controls.resize(340, 600)
    controls.show()
    controls.seed.setValue(2**31 - 1)
    qtbot.wait(10)
    text = controls.seed.lineEdit()
    assert text.fontMetrics().horizontalAdvance(text.text()) <= text.width()


def test_each_kind_of_backend_option_gets_its_control_and_its_value_type(qtbot):
    from PySide6.QtWidgets import QComboBox, QSpinBox

    from desktop.controls import NumberRow
    from plugins import BackendOption

    options = (BackendOption.choice("palette", "Palette", "postcard", ("postcard", "portrait", "autochrome")),
               BackendOption.integer("wash", "Brush softness", 4, 0, 16),
               BackendOption("strength", "Strength", 1.0, 0.0, 1.5))
    tinted = entry("tinted", 1)
    tinted.cls.info = replace(tinted.cls.info, params=options)
    controls = ControlsPanel()
    qtbot.addWidget(controls)
    controls.set_backends([tinted], {}, "tinted")
    rows = controls._param_rows
    assert isinstance(rows["palette"], QComboBox) and isinstance(rows["wash"], QSpinBox)
    assert isinstance(rows["strength"], NumberRow)
    assert [rows["palette"].itemText(i) for i in range(3)] == ["postcard", "portrait", "autochrome"]
    assert (rows["wash"].minimum(), rows["wash"].maximum()) == (0, 16)
    assert controls.settings().params == {"palette": "postcard", "wash": 4, "strength": 1.0}
    with qtbot.waitSignal(controls.settings_changed) as changed:
        rows["palette"].setCurrentIndex(2)
    assert changed.args[0].params["palette"] == "autochrome"
    rows["wash"].setValue(9)
    params = controls.settings().params
    assert params == {"palette": "autochrome", "wash": 9, "strength": 1.0} and type(params["wash"]) is int
    # Remembered values come back; one the option no longer takes falls back to its default.
    controls.set_settings(ColorizeSettings(backend_id="tinted", params={"palette": "portrait", "wash": 12}))
    assert controls.settings().params == {"palette": "portrait", "wash": 12, "strength": 1.0}
    controls.set_settings(ColorizeSettings(backend_id="tinted", params={"palette": "neon", "wash": 3.5}))
    assert controls.settings().params == {"palette": "postcard", "wash": 4, "strength": 1.0}
