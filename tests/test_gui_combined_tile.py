"""The brush strokes' mix stays one click away (a Combined tile after the samples), and the status bar
always says what Save writes."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from desktop.sample_grid import COMBINED, INDEX, PIXMAP
from desktop.state.session import DONE
from gui_fixtures import gray_photo, make_window, no_leftover_workers, settings_store  # noqa: F401


def shown(window) -> np.ndarray:
    """The colorized image the viewer draws, as uint8 RGB."""
    image = window.viewer._after.toImage().convertToFormat(QImage.Format_RGB888)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    return rows[:, : 3 * image.width()].reshape(image.height(), image.width(), 3).copy()


def click_tile(qtbot, window, row: int) -> None:
    grid = window.samples
    qtbot.mouseClick(grid.viewport(), Qt.LeftButton, pos=grid.visualItemRect(grid.item(row)).center())


def test_the_combined_tile_appears_after_a_stroke_shows_the_mix_and_the_status_says_what_save_writes(qtbot, make_window, gray_photo):
    window = make_window(samples=3)
    with qtbot.waitSignal(window.session.photo_loaded, timeout=10_000):
        window.open_paths([gray_photo(size=(160, 120))])
    run = window.colorize_current()
    qtbot.waitUntil(lambda: run.state == DONE and not window.queue.busy, timeout=10_000)
    grid = window.samples
    assert grid.count() == 3 and grid.combined_item() is None
    assert window.save_label.text() == "Save writes: sample 1 (on view)"
    click_tile(qtbot, window, 1)
    assert run.viewed == 1 and window.save_label.text() == "Save writes: sample 2 (on view)"
    window.choose_sample(1)
    click_tile(qtbot, window, 0)
    assert window.save_label.text() == "Save writes: sample 2 (chosen)"

    window.set_combining(True)
    window.view_sample(2)
    with qtbot.waitSignal(window.session.combine_changed, check_params_cb=lambda doc, r: r.combined_preview is not None,
                          timeout=10_000):
        window.paint_stroke([(0.1, 0.5), (0.3, 0.5)])
    window.set_combining(False)
    combined = grid.combined_item()
    assert grid.count() == 4 and combined is not None and combined.data(INDEX) == COMBINED
    assert combined.data(PIXMAP) is not None and grid.currentItem() is combined  # brush off: the mix on view
    assert window.save_label.text() == "Save writes: the combined result of samples 2, 3"

    click_tile(qtbot, window, 0)  # a plain sample: shown alone, but Save still writes the mix, and says so
    assert np.array_equal(shown(window), run.samples[0].preview)
    assert window.save_label.text() == "Save writes: the combined result of samples 2, 3"
    click_tile(qtbot, window, 3)
    assert run.viewed is None and np.array_equal(shown(window), run.combined_preview)
    assert not np.array_equal(run.combined_preview, run.samples[1].preview)  # it is a mix, not the base sample
    qtbot.mouseDClick(grid.viewport(), Qt.LeftButton, pos=grid.visualItemRect(combined).center())
    assert run.chosen == 1  # the mix cannot be "chosen": double-clicking it changes nothing

    window.undo_stroke()
    assert grid.combined_item() is None and grid.count() == 3
    assert run.viewed == 1 and window.save_label.text() == "Save writes: sample 2 (chosen)"
    window.ask_to_quit = lambda count, reply: reply(True)
