"""Runs across several photos: 'colorize all' skips finished photos unless asked, runs are numbered per photo,
and Esc cancels only the photo on view (Cancel All stops everything)."""

from __future__ import annotations

from desktop.state.session import CANCELLED, DONE
from gui_fixtures import gray_photo, make_window, no_leftover_workers, settings_store, slow_plugin  # noqa: F401


def open_photos(qtbot, window, paths):
    with qtbot.waitSignals([window.session.photo_loaded] * len(paths), timeout=10_000):
        return window.open_paths(paths)


def wait_idle(qtbot, window):
    qtbot.waitUntil(lambda: not window.queue.busy, timeout=10_000)


def test_colorize_all_skips_photos_with_a_result_unless_asked_and_runs_are_numbered_per_photo(qtbot, make_window, gray_photo):
    window = make_window()
    first, second = open_photos(qtbot, window, [gray_photo("a.png"), gray_photo("b.png")])
    window.session.set_current(first)
    window.colorize_current()
    wait_idle(qtbot, window)
    assert [r.number for r in first.runs] == [1] and not second.runs

    window.colorize_all()
    wait_idle(qtbot, window)
    assert len(first.runs) == 1 and len(second.runs) == 1  # only the photo without a result
    assert second.runs[0].number == 1 and second.runs[0].label().startswith("Run 1 · ")

    window.colorize_all(again=True)
    wait_idle(qtbot, window)
    assert [r.number for r in first.runs] == [1, 2] and [r.number for r in second.runs] == [1, 2]
    assert all(run.state == DONE for doc in (first, second) for run in doc.runs)


def test_esc_cancels_the_photo_on_view_and_cancel_all_the_rest(qtbot, make_window, gray_photo):
    window = make_window(slow_plugin(steps=3000, delay_s=0.002))
    window.controls.backend.setCurrentIndex(window.controls.backend.findData("slow"))
    first, second = open_photos(qtbot, window, [gray_photo("a.png"), gray_photo("b.png")])
    window.session.set_current(first)
    running = window.colorize_current()
    qtbot.waitUntil(lambda: running.progress > 0.01, timeout=10_000)
    window.session.set_current(second)
    window.cancel()  # Esc on the second photo, which has no run: the first one's goes on
    qtbot.wait(50)
    assert running.active and "other photos" in window.statusBar().currentMessage()
    queued = window.colorize_current()
    window.cancel()  # now it cancels the second photo's (queued) run only
    assert queued.state == CANCELLED and running.active
    window.cancel_all()
    qtbot.waitUntil(lambda: running.state == CANCELLED and not window.queue.busy, timeout=5000)
