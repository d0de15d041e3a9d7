"""Unsaved work is never lost without a word: quitting asks, the session is kept as JSON and reopens with
its runs made again from their seeds, the chosen samples and the brush strokes."""

from __future__ import annotations

import json

import numpy as np
from PySide6.QtWidgets import QMessageBox, QPushButton

from desktop import file_actions
from desktop.state import saved_session
from desktop.state.combine import CLEAR, CombineMask, Stroke, StrokeHistory
from desktop.state.saved_session import SavedPhoto, SavedRun, SavedSession
from desktop.state.session import DONE, FAILED
from desktop.state.settings import ColorizeSettings
from gui_fixtures import gray_photo, make_window, no_leftover_workers, settings_store  # noqa: F401


def open_and_wait(qtbot, window, paths):
    with qtbot.waitSignals([window.session.photo_loaded] * len(paths), timeout=10_000):
        return window.open_paths(paths)


def colorize_and_wait(qtbot, window):
    run = window.colorize_current()
    qtbot.waitUntil(lambda: run.state == DONE and not window.queue.busy, timeout=10_000)
    return run


def paint(qtbot, window, run, source: int, points) -> None:
    """A stroke painting sample ``source``, then wait for its mix to render."""
    window.set_combining(True)
    window.view_sample(source)
    with qtbot.waitSignal(window.session.combine_changed, check_params_cb=lambda doc, r: r.combined_preview is not None,
                          timeout=10_000):
        window.paint_stroke(points)
    window.set_combining(False)


def answering(window, answer: bool) -> list[int]:
    """Replace the quit question: record the count it was asked with and answer at once."""
    asked = []
    window.ask_to_quit = lambda count, reply: (asked.append(count), reply(answer))
    return asked


STROKE = Stroke(2, ((0.1, 0.2), (0.35, 0.2000001)), 0.125, 0.6)


def a_session(tmp_path) -> SavedSession:
    runs = (
        SavedRun(ColorizeSettings("testbackend", 3, 7, 64, "cpu", 0.4, {"chroma": 22.5}), "1.0.0", 3, chosen=1, viewed=None,
                 strokes=StrokeHistory((STROKE, CLEAR, Stroke(0, ((0.5, 0.5),), 0.01, 0.0, edge_aware=False)),
                                       (Stroke(1, ((0.9, 0.9),), 0.2),))),
        SavedRun(ColorizeSettings("other", 1, 2**31 - 1), "", 1),
    )
    return SavedSession((SavedPhoto(tmp_path / "a.png", runs, 0, unsaved=True), SavedPhoto(tmp_path / "b é.tif")), 1)


# -- the JSON, without Qt --------------------------------------------------------------------------


def test_the_session_json_round_trips_and_is_written_atomically(tmp_path):
    session = a_session(tmp_path)
    assert saved_session.from_json(json.loads(json.dumps(saved_session.to_json(session)))) == session
    path = tmp_path / "state" / "session.json"
    saved_session.write(path, session)
    assert saved_session.read(path) == session
    assert [p.name for p in path.parent.iterdir()] == ["session.json"]  # no .part left behind
    assert session.summary() == "2 photos, 2 runs"


def test_a_damaged_session_file_keeps_what_it_can(tmp_path):
    raw = saved_session.to_json(a_session(tmp_path))
    raw["photos"].insert(0, {"path": 3})
    raw["photos"][1]["runs"][0]["strokes"][0]["points"] = [[0.1, "x"]]  # that stroke alone is dropped
    raw["photos"][1]["runs"][1]["settings"] = "garbage"
    loaded = saved_session.from_json(raw)
    assert [p.path.name for p in loaded.photos] == ["a.png", "b é.tif"]
    assert len(loaded.photos[0].runs) == 1 and loaded.photos[0].runs[0].strokes.done[0] is CLEAR
    (tmp_path / "broken.json").write_text("{not json")
    assert saved_session.read(tmp_path / "broken.json") == SavedSession()
    assert saved_session.read(tmp_path / "missing.json") == SavedSession()


def test_a_mask_rebuilt_from_its_history_undoes_and_redoes_alike():
    mask = CombineMask((60, 80), base=0)
    mask.paint(Stroke(1, ((0.2, 0.5), (0.6, 0.5)), 0.1))
    mask.clear()
    mask.paint(Stroke(2, ((0.5, 0.5),), 0.2))
    mask.paint(Stroke(1, ((0.7, 0.3),), 0.1))
    mask.undo()
    twin = CombineMask((60, 80), base=0)
    twin.restore_history(mask.history())
    for step in ("as saved", "undo", "undo", "undo", "redo", "redo", "redo", "redo"):
        if step != "as saved":
            assert getattr(twin, step)() == getattr(mask, step)()
        assert all(np.array_equal(twin.weight(k), mask.weight(k)) for k in range(3)), step


# -- quitting ------------------------------------------------------------------------------------------


def test_quit_with_unsaved_results_asks_and_cancel_keeps_the_window_open(qtbot, make_window, gray_photo):
    window = make_window(samples=2)
    (doc,) = open_and_wait(qtbot, window, [gray_photo()])
    assert not doc.unsaved and window.close() and not window.isVisible()  # nothing made yet: no question
    window.show()
    colorize_and_wait(qtbot, window)
    assert doc.unsaved and window.isWindowModified()
    asked = answering(window, False)
    assert not window.close() and window.isVisible() and asked == [1]

    del window.ask_to_quit  # the real question: window-modal, it blocks nothing
    window.close()
    box = window._quit_box
    assert box.isVisible() and "1 photo has results that are not saved" in box.text()
    assert "reopen" in box.informativeText()
    box.button(QMessageBox.Cancel).click()
    assert window.isVisible()

    window.close()
    next(b for b in window._quit_box.buttons() if b.text() == "Quit").click()
    assert not window.isVisible()
    kept = saved_session.read(window.session_file)
    assert kept.photos[0].path == doc.path and kept.photos[0].unsaved and kept.run_count == 1


def test_quit_after_saving_does_not_ask(qtbot, make_window, gray_photo, tmp_path):
    window = make_window(samples=2)
    (doc,) = open_and_wait(qtbot, window, [gray_photo()])
    run = colorize_and_wait(qtbot, window)
    window.choose_sample(1)
    with qtbot.waitSignal(window.queue.saved, timeout=10_000):
        assert file_actions.save_result(window, tmp_path / "out.png")
    assert not doc.unsaved and not window.isWindowModified()
    paint(qtbot, window, run, 0, [(0.5, 0.5)])  # a stroke after the save is unsaved again
    assert doc.unsaved
    with qtbot.waitSignal(window.queue.saved, timeout=10_000):
        assert file_actions.save_all_samples(window, tmp_path)
    assert not doc.unsaved
    asked = answering(window, False)
    assert window.close() and asked == [] and not window.isVisible()


# -- reopening ---------------------------------------------------------------------------------------


def test_reopening_makes_the_runs_again_with_their_seeds_and_restores_choice_and_strokes(qtbot, make_window, gray_photo):
    first = make_window(samples=3)
    first.controls.seed.setValue(7)
    (doc,) = open_and_wait(qtbot, first, [gray_photo(size=(160, 120))])
    run = colorize_and_wait(qtbot, first)
    first.choose_sample(2)
    paint(qtbot, first, run, 0, [(0.1, 0.1), (0.4, 0.6)])
    paint(qtbot, first, run, 1, [(0.8, 0.2)])
    paint(qtbot, first, run, 1, [(0.8, 0.8)])
    first.undo_stroke()  # the undone stroke comes back as redo
    qtbot.waitUntil(lambda: run.combined_preview is not None, timeout=10_000)
    first.view_combined()
    weights = {k: run.combine.weight(k) for k in range(3)}
    original = {k: s.ab for k, s in run.samples.items()}
    preview = run.combined_preview
    answering(first, True)
    assert first.close()

    second = make_window(samples=1)
    second.controls.seed.setValue(0)  # the kept settings, not these, make the run again
    second.offer_reopen()
    [offer] = [n for n in second.notices.open if n.title == "Reopen your last session?"]
    assert offer.message == "1 photo, 1 run" and second.actions_.reopen.isEnabled()
    card = next(c for c in second.notifications.cards() if c.notice is offer)
    next(b for b in card.findChildren(QPushButton) if b.text() == "Reopen").click()
    again = second.session.current.current_run
    qtbot.waitUntil(lambda: again.state == DONE and again.restoring is None and again.combined_preview is not None,
                    timeout=10_000)
    assert again.settings.seed == 7 and again.settings.samples == 3
    assert all(np.array_equal(again.samples[k].ab, ab) for k, ab in original.items())
    assert again.chosen == 2 and again.viewed is None
    assert all(np.array_equal(again.combine.weight(k), w) for k, w in weights.items())
    assert np.array_equal(again.combined_preview, preview)
    assert again.combine.can_redo and second.session.current.unsaved  # unsaved then, unsaved now
    assert offer not in second.notices.open and not second.actions_.reopen.isEnabled()
    assert "combined result of samples 1, 2, 3" in second.save_label.text()
    answering(second, True)


def test_gone_photos_and_missing_or_changed_backends_are_each_said_once(qtbot, make_window, gray_photo, tmp_path):
    present, gone = gray_photo("here.png"), tmp_path / "gone.png"
    runs = (SavedRun(ColorizeSettings("no-such-backend", 2, 3), "2.0", 2, chosen=1),
            SavedRun(ColorizeSettings("testbackend", 2, 5), "0.9.0", 2, chosen=1))
    kept = SavedSession((SavedPhoto(gone), SavedPhoto(present.resolve(), runs, 1), SavedPhoto(tmp_path / "also-gone.jpg")), 0)
    window = make_window()
    saved_session.write(window.session_file, kept)
    window.offer_reopen()
    window.reopen_last_session()
    [missing] = [n for n in window.notices.history if "no longer exist" in n.title]
    assert missing.title.startswith("2 photos") and missing.message == "Skipped: gone.png, also-gone.jpg"
    [backends] = [n for n in window.notices.history if "cannot be restored" in n.title]
    assert "no-such-backend is not installed" in backends.details and "now 1.0.0" in backends.details
    doc = window.session.current
    assert [d.path for d in window.session.photos] == [present.resolve()]
    lost, remade = doc.runs
    qtbot.waitUntil(lambda: remade.state == DONE and remade.restoring is None, timeout=10_000)
    assert remade.chosen == 1 and doc.current_run is remade
    assert lost.state == FAILED and lost.restoring is not None  # kept as it was, so it is not lost either
    assert [r.settings.backend_id for r in window.session.snapshot(window.backend_versions()).photos[0].runs] == [
        "no-such-backend", "testbackend"]
    answering(window, True)


def test_the_last_session_is_kept_until_this_one_has_results(qtbot, make_window, gray_photo):
    window = make_window(samples=1)
    photo = gray_photo("old.png")
    saved_session.write(window.session_file, SavedSession((SavedPhoto(photo, (SavedRun(ColorizeSettings("testbackend", 1)),)),)))
    window.offer_reopen()
    open_and_wait(qtbot, window, [gray_photo("new.png")])
    assert window.write_session()
    assert saved_session.read(window.session_file).photos[0].path == photo  # only a photo opened: kept
    colorize_and_wait(qtbot, window)
    qtbot.waitUntil(lambda: [p.path.name for p in saved_session.read(window.session_file).photos] == ["new.png"],
                    timeout=5000)  # written by itself once the run is done
    answering(window, True)

