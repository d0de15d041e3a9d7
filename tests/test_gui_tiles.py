"""The sample tiles: chosen and viewed look different, the tiles' size is the user's and is kept, the survey
compares the samples large, and no caption is cut."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, QPointF, QRect, Qt
from PySide6.QtGui import QColor, QFontMetrics, QWheelEvent
from PySide6.QtWidgets import QApplication, QWidget, QHBoxLayout

from desktop import theme
from desktop.sample_grid import (
    MIN_TILE,
    VIEWED_OUTLINE,
    RunPicker,
    SampleGrid,
    fit_caption,
    missing_sample_caption,
    tile_look,
)
from desktop.state import SettingsStore
from desktop.state.session import DONE, FAILED, ColorSample, Run
from desktop.state.settings import ColorizeSettings
from gui_fixtures import gray_photo, make_window, no_leftover_workers, settings_store  # noqa: F401


def run_with_samples(count: int, made: int | None = None) -> Run:
    run = Run(ColorizeSettings(backend_id="testbackend", samples=count), expected=count)
    for index in range(count if made is None else made):
        image = np.full((90, 120, 3), (60 + 20 * index, 90, 120), np.uint8)
        run.samples[index] = ColorSample(index, np.zeros((90, 120, 2), np.float32), image, image)
    return run


def colorized_window(qtbot, make_window, gray_photo, samples: int = 4, **kwargs):
    window = make_window(samples=samples, **kwargs)
    with qtbot.waitSignal(window.session.photo_loaded, timeout=10_000):
        window.open_paths([gray_photo(size=(160, 120))])
    run = window.colorize_current()
    qtbot.waitUntil(lambda: run.state == DONE and not window.queue.busy, timeout=10_000)
    return window, run


def near(color: QColor, hex_color: str, tolerance: int = 24) -> bool:
    wanted = QColor(hex_color)
    return max(abs(color.red() - wanted.red()), abs(color.green() - wanted.green()), abs(color.blue() - wanted.blue())) <= tolerance


# -- chosen vs viewed ----------------------------------------------------------------------------------


def test_chosen_and_viewed_are_marked_in_different_ways():
    viewed = tile_look(viewed=True, chosen=False, source=False, compact=True)
    chosen = tile_look(viewed=False, chosen=True, source=False, compact=True)
    plain = tile_look(viewed=False, chosen=False, source=False, compact=True)
    assert viewed.outline and not viewed.caption_fill and not viewed.badge
    assert chosen.caption_fill == theme.ACCENT and chosen.badge and chosen.outline is None
    assert plain.outline is None and plain.caption_fill is None and not plain.badge
    assert viewed.outline != theme.ACCENT, "the viewing border is not the chosen mark's color"
    both = tile_look(viewed=True, chosen=True, source=False, compact=False)
    assert both.outline and both.caption_fill and "Chosen" in both.mark


def test_the_grid_draws_the_chosen_tile_filled_and_the_viewed_one_outlined(qtbot):
    grid = SampleGrid()
    qtbot.addWidget(grid)
    grid.resize(300, 420)
    grid.show()
    run = run_with_samples(4)
    run.viewed, run.chosen = 0, 2
    grid.show_run(run, aspect=0.75)
    qtbot.waitExposed(grid)
    image = grid.viewport().grab().toImage()
    rects = {row: grid.visualItemRect(grid.item(row)) for row in (0, 2)}

    def caption_pixel(row: int) -> QColor:  # in the caption bar, left of the text
        rect = rects[row]
        return image.pixelColor(rect.left() + 4, rect.bottom() - 8)

    def border_pixel(row: int) -> QColor:  # on the tile's outline, halfway down its left side
        rect = rects[row]
        return image.pixelColor(rect.left() + 3, rect.center().y())

    assert near(caption_pixel(2), theme.ACCENT) and not near(caption_pixel(0), theme.ACCENT)
    assert near(border_pixel(0), VIEWED_OUTLINE, 40) and not near(border_pixel(2), VIEWED_OUTLINE, 40)


# -- the tiles' size ----------------------------------------------------------------------------------------


def test_the_tile_size_changes_with_the_slider_and_is_kept(qtbot, make_window, gray_photo, settings_store):
    window, _run = colorized_window(qtbot, make_window, gray_photo, samples=8)
    grid = window.samples
    fitted = grid.iconSize().width()
    assert fitted < 120, "eight samples fit the panel: small tiles"
    window.tile_slider.setValue(260)
    assert grid.iconSize().width() >= 260 and grid.tile_size() == 260
    assert settings_store.state.tile_size == 260
    window.tile_slider.setValue(MIN_TILE)  # the slider's low end: every sample fits again
    assert grid.tile_size() == 0 and grid.iconSize().width() == fitted
    window.tile_slider.setValue(200)
    settings_store.save()

    reopened = make_window(store=SettingsStore(settings_store.path))
    assert reopened.tile_slider.value() == 200 and reopened.samples.tile_size() == 200


def test_ctrl_wheel_over_the_samples_makes_the_tiles_larger(qtbot, make_window, gray_photo):
    window, _run = colorized_window(qtbot, make_window, gray_photo, samples=8)
    grid = window.samples
    before = grid.iconSize().width()
    center = QPointF(grid.viewport().rect().center())
    for _ in range(3):
        event = QWheelEvent(center, grid.viewport().mapToGlobal(center), QPoint(), QPoint(0, 120), Qt.NoButton,
                            Qt.ControlModifier, Qt.NoScrollPhase, False)
        QApplication.sendEvent(grid.viewport(), event)
    assert grid.iconSize().width() >= before + 40
    assert window.tile_slider.value() == grid.tile_size() == window.store.state.tile_size


# -- the survey -------------------------------------------------------------------------------------------


def test_the_survey_shows_the_samples_large_and_a_click_chooses_one(qtbot, make_window, gray_photo):
    window, run = colorized_window(qtbot, make_window, gray_photo, samples=4)
    assert window.actions_.survey.isEnabled()
    window.actions_.survey.trigger()
    survey = window.survey
    assert survey.isVisible() and survey.geometry() == window.viewer.rect()
    cells = survey.cells()
    assert [index for index, _rect in cells] == [0, 1, 2, 3]
    assert min(rect.width() for _index, rect in cells) > 2 * window.samples.iconSize().width(), "larger than the tiles"
    qtbot.mouseClick(survey, Qt.LeftButton, pos=cells[2][1].center().toPoint())
    assert run.chosen == 2 and run.viewed == 2 and window.samples.item(2).data(Qt.UserRole + 2)

    first = cells[0][1]
    qtbot.mouseMove(survey, first.center().toPoint())
    qtbot.mouseClick(survey, Qt.LeftButton, pos=survey.close_rect(first).center().toPoint())
    assert [index for index, _rect in survey.cells()] == [1, 2, 3] and run.chosen == 2
    assert survey.show_all.isVisible()
    survey.show_all.click()
    assert len(survey.cells()) == 4

    survey.setFocus()
    qtbot.keyClick(survey, Qt.Key_Escape)
    assert not survey.isVisible() and not window.actions_.survey.isChecked()
    assert run.state == DONE, "Esc left the survey; it cancelled nothing"


def test_the_survey_needs_two_samples_and_never_drops_below_two(qtbot, make_window, gray_photo):
    window, run = colorized_window(qtbot, make_window, gray_photo, samples=2)
    window.set_survey(True)
    survey = window.survey
    assert len(survey.cells()) == 2 and not survey.drop(0)
    survey.chosen_and_left.emit(1)
    assert run.chosen == 1 and not survey.isVisible()
    one, _run = colorized_window(qtbot, make_window, gray_photo, samples=1)
    assert not one.actions_.survey.isEnabled()
    one.set_survey(True)
    assert not one.survey.isVisible()


# -- captions that fit --------------------------------------------------------------------------------------


def test_the_missing_sample_caption_fits_a_small_tile(qtbot):
    widget = QWidget()
    qtbot.addWidget(widget)
    metrics = QFontMetrics(widget.font())
    run = run_with_samples(8, made=5)
    run.state = FAILED
    text = missing_sample_caption(run)
    assert text == "not made"
    box = QRect(0, 0, metrics.horizontalAdvance(text) - 10, 3 * metrics.height())  # narrower than the words
    shown, flags = fit_caption(metrics, text, box)
    drawn = metrics.boundingRect(box, flags, shown)
    assert drawn.width() <= box.width() and drawn.height() <= box.height()
    flat = QRect(0, 0, box.width(), metrics.height())  # no room for two lines either: elided
    shown, flags = fit_caption(metrics, text, flat)
    assert shown.endswith("…") and metrics.horizontalAdvance(shown) <= flat.width()


def test_tiles_of_samples_not_made_are_drawn_at_the_smallest_size(qtbot):
    grid = SampleGrid()
    qtbot.addWidget(grid)
    grid.resize(200, 300)
    grid.show()
    run = run_with_samples(8, made=3)
    run.state = FAILED
    grid.show_run(run, aspect=0.75)
    qtbot.waitExposed(grid)
    assert grid.iconSize().width() <= 70
    grid.viewport().grab()  # paints the "not made" tiles: nothing raises


def test_a_long_run_label_is_elided_with_the_whole_label_in_the_tooltip(qtbot):
    box = QWidget()
    layout = QHBoxLayout(box)
    picker = RunPicker()
    layout.addWidget(picker)
    qtbot.addWidget(box)
    box.setFixedWidth(170)
    box.show()
    label = "Run 18 · regression · seed 123456789"
    picker.addItem(label)
    qtbot.waitExposed(box)
    shown = picker.displayed_text()
    assert shown != label and shown.endswith("…")
    assert picker.toolTip() == label and picker.itemData(0, Qt.ToolTipRole) == label
    assert picker.width() <= 170
    box.setFixedWidth(600)
    qtbot.waitUntil(lambda: picker.displayed_text() == label, timeout=2000)


def test_the_run_picker_shows_whole_labels_where_the_panel_has_room(qtbot, make_window, gray_photo):
    window, _run = colorized_window(qtbot, make_window, gray_photo, samples=2)
    run = window.colorize_current()
    qtbot.waitUntil(lambda: run.state == DONE and not window.queue.busy, timeout=10_000)
    picker = window.run_picker
    assert picker.isVisible() and picker.count() == 2
    assert picker.displayed_text() == picker.currentText() == run.label()
    panel = picker.parentWidget()
    assert picker.geometry().right() <= panel.width()
