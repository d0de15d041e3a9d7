"""The main window end to end, offscreen, with the test backend: open, colorize, cancel, choose, combine, save, batch, errors."""

from __future__ import annotations

import numpy as np
import pytest
import tinct_testbackend
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from desktop import file_actions, menus
from desktop.sample_grid import PIXMAP, missing_sample_caption
from desktop.state import SettingsStore
from desktop.state.session import CANCELLED, DONE, FAILED
from fakes import backend_class, flat_samples, make_plugin
from gui_fixtures import (  # noqa: F401
    gray_photo,
    host_with,
    make_window,
    no_leftover_workers,
    raising_plugin,
    settings_store,
    slow_plugin,
)
from plugins import Sample, hookimpl
from plugins.color import srgb_to_lab


def hue_of(pixels: np.ndarray) -> float:
    lab = srgb_to_lab(pixels.reshape(-1, 3).astype(np.float32) / 255.0)
    return float(np.degrees(np.arctan2(lab[:, 2].mean(), lab[:, 1].mean())) % 360)


def sample_hue(seed: int, index: int, samples: int) -> float:
    return float(np.degrees(tinct_testbackend.sample_hue(seed, index, samples)) % 360)


def assert_hue(pixels: np.ndarray, expected: float, tolerance: float = 6.0) -> None:
    measured = hue_of(pixels)
    assert abs((measured - expected + 180) % 360 - 180) <= tolerance, f"hue {measured:.1f}°, expected {expected:.1f}°"


def open_and_wait(qtbot, window, paths):
    with qtbot.waitSignals([window.session.photo_loaded] * len(paths), timeout=10_000):
        docs = window.open_paths(paths)
    return docs


def colorize_and_wait(qtbot, window, samples: int):
    with qtbot.waitSignals([window.session.sample_added] * samples, timeout=10_000):
        run = window.colorize_current()
    qtbot.waitUntil(lambda: run.state == DONE and not window.queue.busy, timeout=5000)
    return run


def drop(window, paths) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path)) for path in paths])
    center = QPointF(window.width() / 2, window.height() / 2)
    enter = QDragEnterEvent(center, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(window, QDropEvent(center, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier))


# -- opening ----------------------------------------------------------------------------------------


def test_opening_a_photo_by_path_shows_it(qtbot, make_window, gray_photo, settings_store):
    window = make_window()
    photo = gray_photo()
    (doc,) = open_and_wait(qtbot, window, [photo])
    assert window.session.current is doc and doc.size == (160, 120)
    assert window.viewer.has_photo() and window.windowTitle().startswith("photo.png")
    assert settings_store.state.recent_files == [str(photo.resolve())]
    assert not window.filmstrip.isVisible(), "one photo needs no filmstrip"


def test_dropping_photos_opens_them_as_a_filmstrip(qtbot, make_window, gray_photo):
    window = make_window()
    photos = [gray_photo("a.png"), gray_photo("b.png"), gray_photo("c.png")]
    with qtbot.waitSignals([window.session.photo_loaded] * 3, timeout=10_000):
        drop(window, photos)
    assert [doc.path.name for doc in window.session.photos] == ["a.png", "b.png", "c.png"]
    assert window.filmstrip.isVisible() and window.filmstrip.count() == 3
    window.filmstrip.setCurrentRow(2)
    assert window.session.current.path.name == "c.png"
    window.actions_.next_photo.trigger()
    assert window.session.current.path.name == "a.png"


def test_an_unreadable_photo_is_a_notice_not_a_crash(qtbot, make_window, gray_photo, tmp_path):
    window = make_window()
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 not really a jpeg")
    with qtbot.waitSignal(window.notices.posted, timeout=10_000) as posted:
        window.open_paths([broken])
    assert posted.args[0].level == "error" and "broken.jpg" in posted.args[0].title
    qtbot.waitUntil(lambda: not window.session.photos, timeout=5000)
    open_and_wait(qtbot, window, [gray_photo()])


# -- colorize, cancel, errors ---------------------------------------------------------------------------


def test_colorizing_fills_the_grid_one_sample_at_a_time(qtbot, make_window, gray_photo):
    window = make_window(samples=3)
    open_and_wait(qtbot, window, [gray_photo()])
    arrived = []
    window.session.sample_added.connect(lambda doc, run, sample: arrived.append(window.samples.count()))
    run = colorize_and_wait(qtbot, window, 3)
    assert arrived == [3, 3, 3], "placeholders for every sample from the start"
    assert all(window.samples.item(k).data(Qt.UserRole + 1) is not None for k in range(3))
    assert run.viewed == 0 and "Done" in window.controls.status.text()
    window.actions_.samples[2].trigger()
    assert run.viewed == 2 and window.samples.currentRow() == 2


def test_cancelling_mid_run_leaves_the_app_ready(qtbot, make_window, gray_photo):
    window = make_window(slow_plugin(steps=3000, delay_s=0.002))
    open_and_wait(qtbot, window, [gray_photo()])
    window.controls.backend.setCurrentIndex(window.controls.backend.findData("slow"))
    run = window.colorize_current()
    qtbot.waitUntil(lambda: run.progress > 0.01 and window.controls.cancel.isEnabled(), timeout=10_000)
    qtbot.mouseClick(window.controls.cancel, Qt.LeftButton)
    qtbot.waitUntil(lambda: run.state == CANCELLED and not window.queue.busy, timeout=5000)
    assert not window.controls.cancel.isEnabled() and window.controls.colorize.text() == "Colorize"
    window.controls.backend.setCurrentIndex(window.controls.backend.findData("testbackend"))
    colorize_and_wait(qtbot, window, 4)


def test_a_plugin_that_raises_shows_a_notification_and_the_app_goes_on(qtbot, make_window, gray_photo):
    window = make_window(raising_plugin("the model exploded"))
    open_and_wait(qtbot, window, [gray_photo()])
    window.controls.backend.setCurrentIndex(window.controls.backend.findData("raising"))
    with qtbot.waitSignal(window.notices.posted, timeout=10_000):
        run = window.colorize_current()
    qtbot.waitUntil(lambda: not window.queue.busy, timeout=5000)
    assert run.state == FAILED and "the model exploded" in run.error
    (card,) = window.notifications.cards()
    assert card.isVisible() and card.notice.level == "error" and "Traceback" in card.notice.details
    card.show_details()
    assert card.details_dialog.isVisible() and not card.details_dialog.isModal()
    card.details_dialog.close()
    window.controls.backend.setCurrentIndex(window.controls.backend.findData("testbackend"))
    colorize_and_wait(qtbot, window, 4)


def test_the_plugins_view_lists_backends_and_broken_plugins(qtbot, make_window):
    @hookimpl
    def register_colorizers():
        raise ImportError("needs a library that is missing")

    broken = make_plugin("broken_plugin")
    broken.register_colorizers = register_colorizers
    window = make_window(broken)
    assert any("broken_plugin" in notice.title for notice in window.notices.history)
    dialog = file_actions.show_plugins(window)
    rows = [dialog.tree.topLevelItem(k) for k in range(dialog.tree.topLevelItemCount())]
    texts = [[row.text(c) for c in range(6)] for row in rows]
    assert texts[0][:4] == ["Test backend (flat colors)", "1.0.0", "Apache-2.0", "none needed"]
    assert any(t[0] == "broken_plugin" and t[4].startswith("broken") for t in texts)
    dialog.close()


# -- choose, combine, save -------------------------------------------------------------------------------


def drag_on_viewer(qtbot, viewer, points) -> None:
    rect = viewer.image_rect()
    where = [QPoint(round(rect.x() + x * rect.width()), round(rect.y() + y * rect.height())) for x, y in points]
    qtbot.mousePress(viewer, Qt.LeftButton, pos=where[0])
    for point in where[1:]:
        QTest.mouseMove(viewer, point)
    qtbot.mouseRelease(viewer, Qt.LeftButton, pos=where[-1])


def test_a_combine_stroke_takes_its_colors_from_the_painted_sample(qtbot, make_window, gray_photo, tmp_path):
    window = make_window(samples=3)
    open_and_wait(qtbot, window, [gray_photo(size=(160, 120))])
    run = colorize_and_wait(qtbot, window, 3)
    seed = run.settings.seed
    window.choose_sample(0)
    window.view_sample(2)
    window.actions_.brush.trigger()
    assert window.session.combining and run.brush_source == 2
    window.combine.size.setValue(100)  # a quarter of the long side: 40 px
    window.combine.softness.setValue(25)
    with qtbot.waitSignal(window.session.combine_changed, check_params_cb=lambda doc, r: r.combined_preview is not None, timeout=10_000):
        drag_on_viewer(qtbot, window.viewer, [(0.02, 0.0), (0.02, 0.5), (0.02, 1.0)])
    assert run.has_strokes and window.actions_.undo.isEnabled()
    target = tmp_path / "combined.png"
    with qtbot.waitSignal(window.queue.saved, timeout=10_000):
        assert file_actions.save_result(window, target)
    with Image.open(target) as saved:
        assert saved.size == (160, 120)
        pixels = np.asarray(saved.convert("RGB"))
    assert_hue(pixels[:, :20], sample_hue(seed, 2, 3))  # painted: sample 3's color
    assert_hue(pixels[:, 100:], sample_hue(seed, 0, 3))  # untouched: the chosen sample's
    preview = run.combined_preview
    assert_hue(preview[:, :20], sample_hue(seed, 2, 3))
    window.actions_.brush.trigger()  # brush off: the view shows the mix, which is what Save wrote
    assert not window.session.combining and window._shown_result(run, False) is run.combined_preview
    window.actions_.undo.trigger()
    assert not run.has_strokes and window.actions_.redo.isEnabled()


def test_saving_the_chosen_sample_and_all_samples_and_a_comparison_sheet(qtbot, make_window, gray_photo, tmp_path):
    window = make_window(samples=2)
    (doc,) = open_and_wait(qtbot, window, [gray_photo(size=(200, 150))])
    original = doc.path.read_bytes()
    run = colorize_and_wait(qtbot, window, 2)
    window.choose_sample(1)
    assert run.chosen == 1 and window.samples.item(1).data(Qt.UserRole + 2)
    chosen = tmp_path / "chosen.jpg"
    with qtbot.waitSignal(window.queue.saved, timeout=10_000):
        file_actions.save_result(window, chosen)
    with Image.open(chosen) as saved:
        assert saved.format == "JPEG" and saved.size == (200, 150)
        assert_hue(np.asarray(saved.convert("RGB")), sample_hue(run.settings.seed, 1, 2), tolerance=8)
    folder = tmp_path / "all"
    folder.mkdir()
    with qtbot.waitSignal(window.queue.saved, timeout=10_000) as saved_all:
        file_actions.save_all_samples(window, folder)
    # in the format saved last
    assert sorted(p.name for p in saved_all.args[0]) == ["photo.testbackend.1.jpg", "photo.testbackend.2.jpg"]
    sheet = tmp_path / "sheet.png"
    with qtbot.waitSignal(window.queue.saved, timeout=10_000):
        file_actions.export_sheet(window, sheet)
    with Image.open(sheet) as image:
        assert image.width > 3 * 200  # original and two samples side by side
    assert doc.path.read_bytes() == original


def test_save_as_never_replaces_a_file_the_dialog_did_not_ask_about(qtbot, make_window, gray_photo, monkeypatch):
    """The user types "other"; the dialog confirms nothing (no file is called that), and .png is added."""
    window = make_window(samples=1)
    (doc,) = open_and_wait(qtbot, window, [gray_photo()])
    colorize_and_wait(qtbot, window, 1)
    other = doc.path.with_name("other.png")
    other.write_bytes(b"keep me")
    monkeypatch.setattr(file_actions.saving.QFileDialog, "getSaveFileName",
                        staticmethod(lambda *args, **kwargs: (str(doc.path.with_name("other")), "")))
    with qtbot.waitSignal(window.queue.save_failed, timeout=10_000) as failed:
        assert file_actions.save_result(window)
    assert "already exists" in failed.args[0] and other.read_bytes() == b"keep me"
    monkeypatch.setattr(file_actions.saving.QFileDialog, "getSaveFileName",
                        staticmethod(lambda *args, **kwargs: (str(other), "")))  # named in full: the dialog asked
    with qtbot.waitSignal(window.queue.saved, timeout=10_000):
        assert file_actions.save_result(window)
    assert other.read_bytes().startswith(b"\x89PNG")


def test_batch_dialog_colorizes_a_folder_and_lists_the_bad_file(qtbot, make_window, gray_photo, tmp_path):
    window = make_window(samples=1)
    folder = tmp_path / "album"
    folder.mkdir()
    for name in ("one.png", "two.png"):
        (folder / name).write_bytes(gray_photo(name).read_bytes())
    (folder / "bad.png").write_bytes(b"\x89PNG broken")
    dialog = file_actions.show_batch(window)
    out = tmp_path / "results"
    with qtbot.waitSignal(window.queue.batch_finished, timeout=20_000):
        assert dialog.run(folder, out)
    qtbot.waitUntil(lambda: not window.queue.busy, timeout=5000)
    assert sorted(p.name for p in out.iterdir()) == ["one.testbackend.1.png", "two.testbackend.1.png"]
    assert "bad.png" in dialog.report.toPlainText() and "1 failed" in dialog.current.text()
    assert any(n.level == "warning" and "failed" in n.title for n in window.notices.history)
    dialog.close()


def test_the_batch_dialogs_cancel_stops_the_batch_and_there_is_one_dialog(qtbot, make_window, gray_photo, tmp_path):
    window = make_window(slow_plugin(steps=400, delay_s=0.01), samples=1)
    window.controls.backend.setCurrentIndex(window.controls.backend.findData("slow"))
    folder = tmp_path / "album"
    folder.mkdir()
    for name in ("a.png", "b.png", "c.png"):
        (folder / name).write_bytes(gray_photo(name).read_bytes())
    dialog = file_actions.show_batch(window)
    assert file_actions.show_batch(window) is dialog  # Ctrl+B again: the same dialog
    assert dialog.run(folder, tmp_path / "out")
    qtbot.waitUntil(lambda: window.queue.batch_running, timeout=10_000)
    assert window.actions_.cancel.isEnabled()
    with qtbot.waitSignal(window.queue.batch_finished, timeout=10_000) as finished:
        dialog.cancel.click()
    assert finished.args[0] is None and dialog.current.text().startswith("Stopped: ")
    qtbot.waitUntil(lambda: not window.queue.busy, timeout=5000)
    assert len(list((tmp_path / "out").iterdir())) < 3 and not window.actions_.cancel.isEnabled()
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert not dialog.run(folder, blocker / "sub")
    assert dialog.current.text().startswith("Cannot write to")
    dialog.close()


def broken_photos(folder, count: int) -> list:
    paths = [folder / f"broken{i}.png" for i in range(count)]
    for path in paths:
        path.write_bytes(b"\x89PNG not really")
    return paths


def test_many_unreadable_photos_make_one_notice_that_lists_them_all(qtbot, make_window, tmp_path):
    window = make_window()
    window.open_paths(broken_photos(tmp_path, 6))
    qtbot.waitUntil(lambda: not window.session.photos, timeout=10_000)
    [card] = [n for n in window.notices.open if n.title.startswith("Could not open")]
    assert card.title == "Could not open 6 photos" and all(f"broken{i}.png" in card.details for i in range(6))


def test_the_unread_photos_notice_names_them_all_even_when_other_notices_push_it_out(qtbot, make_window, tmp_path):
    window = make_window()
    paths = broken_photos(tmp_path, 3)
    for i in range(5):  # each says "Note on …: already in color", more than the cards shown at once
        paths.append(tmp_path / f"color{i}.png")
        Image.new("RGB", (40, 30), (200, 40, 30)).save(paths[-1])
    window.open_paths(paths)
    qtbot.waitUntil(lambda: len(window.session.photos) == 5 and not window.queue._reads, timeout=10_000)
    unread = [n for n in window.notices.history if n.title.startswith("Could not open")][-1]
    assert unread.title == "Could not open 3 photos" and all(f"broken{i}.png" in unread.details for i in range(3))


def test_zoom_fits_a_panorama_below_the_zoom_limit_and_zoom_out_does_not_zoom_in(qtbot):
    from PySide6.QtCore import QSize
    from PySide6.QtGui import QImage

    from desktop.viewer import PhotoViewer

    viewer = PhotoViewer()
    qtbot.addWidget(viewer)
    viewer.resize(900, 600)
    viewer.set_photo(QImage(600, 6, QImage.Format_RGB32), None, QSize(60_000, 600))
    assert viewer.image_rect().width() <= 900
    fitted = viewer.zoom()
    viewer.zoom_by(0.8)
    assert viewer.zoom() == pytest.approx(fitted)


def test_colorize_after_discovery_failed_says_why(qtbot, settings_store, gray_photo, no_leftover_workers):
    from desktop.app import make_application, open_window

    def broken_host():
        raise RuntimeError("entry points are unreadable")

    make_application()
    window = open_window([gray_photo()], settings_store, broken_host, probe_devices=False)
    try:
        qtbot.waitUntil(lambda: window.discovery_error != "", timeout=10_000)
        with qtbot.waitSignal(window.notices.posted, timeout=5000) as posted:
            assert window.colorize_current() is None
        assert posted.args[0].title == "No backends to colorize with"
        assert "unreadable" in posted.args[0].message
    finally:
        window.close()
        window.deleteLater()


def test_notification_cards_are_not_squashed(qtbot, make_window):
    window = make_window()
    window.notices.error("Could not colorize photo.png", "a reason that is long enough to wrap over two lines " * 2,
                         details="traceback")
    window.notices.info("Second", "short")
    cards = window.notifications.cards()
    assert len(cards) == 2 and all(card.height() >= card.minimumSizeHint().height() for card in cards)


def test_tiles_of_samples_a_failed_run_never_made_say_so(qtbot, make_window, gray_photo):
    def colorize(self, lightness, options):
        yield Sample(0, np.zeros((8, 8, 2), np.float32))
        raise RuntimeError("out of ideas")

    window = make_window(make_plugin("halfway_plugin", backend_class("halfway", colorize, max_samples=4)), samples=3)
    window.controls.backend.setCurrentIndex(window.controls.backend.findData("halfway"))
    open_and_wait(qtbot, window, [gray_photo()])
    run = window.colorize_current()
    qtbot.waitUntil(lambda: run.state == FAILED and not window.queue.busy, timeout=10_000)
    assert missing_sample_caption(window.samples.run()) == "not made"  # tiles 2 and 3, no longer "making…"
    assert [window.samples.item(i).data(PIXMAP) is not None for i in range(3)] == [True, False, False]


def test_a_default_backend_that_is_not_installed_falls_back_with_a_warning(qtbot, make_window, monkeypatch):
    monkeypatch.setenv("TINCT_BACKEND", "no-such-backend")
    window = make_window(make_plugin("preferred", backend_class("regression", flat_samples())))  # backends_ready
    assert window.controls.settings().backend_id == "regression"  # the usual default, not the first found
    assert any(n.title == "Default backend not found" for n in window.notices.history)


def test_zoom_in_on_a_fitted_tiny_photo_does_not_zoom_out(qtbot, make_window, gray_photo):
    window = make_window()
    open_and_wait(qtbot, window, [gray_photo(size=(40, 30))])  # fits at over 1600 %
    fitted = window.viewer.zoom()
    window.viewer.zoom_by(1.25)
    assert window.viewer.zoom() >= fitted


# -- the viewer and the window's memory -------------------------------------------------------------------


def test_viewer_zooms_fits_and_drags_the_split(qtbot, make_window, gray_photo):
    window = make_window(samples=1)
    open_and_wait(qtbot, window, [gray_photo(size=(160, 120))])
    colorize_and_wait(qtbot, window, 1)
    viewer = window.viewer
    assert viewer.is_fitted()
    window.actions_.actual.trigger()
    assert viewer.zoom() == pytest.approx(1.0) and not viewer.is_fitted()
    window.actions_.zoom_in.trigger()
    assert viewer.zoom() == pytest.approx(1.25)
    window.actions_.fit.trigger()
    assert viewer.is_fitted()
    split_x = round(viewer.split_x())
    middle = round(viewer.height() / 2)
    qtbot.mousePress(viewer, Qt.LeftButton, pos=QPoint(split_x, middle))
    target = viewer.image_rect().intersected(viewer.rect().toRectF()).left() + 0.25 * viewer.image_rect().width()
    QTest.mouseMove(viewer, QPoint(round(target), middle))
    qtbot.mouseRelease(viewer, Qt.LeftButton, pos=QPoint(round(target), middle))
    assert viewer.split == pytest.approx(0.25, abs=0.02)
    before = viewer.split
    qtbot.keyClick(viewer, Qt.Key_Right)
    assert viewer.split == pytest.approx(before + 0.02)
    qtbot.keyClick(viewer, Qt.Key_Left, Qt.ShiftModifier)
    assert viewer.split == pytest.approx(before - 0.06)
    qtbot.keyClick(viewer, Qt.Key_End)
    assert viewer.split == 1.0
    window.actions_.compare.trigger()
    assert not viewer.compare


def test_settings_are_remembered_in_the_given_store_only(qtbot, make_window, tmp_path):
    store = SettingsStore(tmp_path / "remembered.json")
    first = make_window(store=store, samples=3)
    first.controls.seed.setValue(42)
    first.close()
    assert (tmp_path / "remembered.json").exists()
    second = make_window(store=SettingsStore(tmp_path / "remembered.json"), samples=3)
    assert second.controls.settings().seed == 42 and second.controls.settings().backend_id == "testbackend"


def test_recent_files_menu_reopens_a_photo(qtbot, make_window, gray_photo):
    window = make_window()
    photo = gray_photo()
    (doc,) = open_and_wait(qtbot, window, [photo])
    window.session.close(doc)
    menus.fill_recent(window, window.actions_.recent_menu)
    first = window.actions_.recent_menu.actions()[0]
    assert first.text() == str(photo.resolve())
    with qtbot.waitSignal(window.session.photo_loaded, timeout=10_000):
        first.trigger()


def test_recent_files_list_only_photos_that_opened_and_still_exist(qtbot, make_window, gray_photo, tmp_path):
    window = make_window()
    kept, deleted = gray_photo("kept.png"), gray_photo("deleted.png")
    open_and_wait(qtbot, window, [kept, deleted])
    text = tmp_path / "notes.txt"
    text.write_text("not a photo")
    with qtbot.waitSignal(window.notices.posted, timeout=10_000):
        window.open_paths([text])  # unreadable: a notice, and not a recent file
    deleted.unlink()
    menus.fill_recent(window, window.actions_.recent_menu)
    listed = [a.text() for a in window.actions_.recent_menu.actions() if a.text().endswith(".png")]
    assert listed == [str(kept.resolve())]


def test_opening_a_folder_without_photos_says_so(qtbot, make_window, tmp_path):
    window = make_window()
    (tmp_path / "empty" / "inner").mkdir(parents=True)
    with qtbot.waitSignal(window.notices.posted, timeout=5000) as posted:
        assert window.open_paths([tmp_path / "empty"]) == []
    assert posted.args[0].title == "No photos in empty"


def test_tinct_and_tinct_gui_hand_the_photos_and_colorize_flag_to_the_app(monkeypatch):
    import desktop.app
    from desktop.cli import main

    opened = []
    monkeypatch.setattr(desktop.app, "main", lambda files, colorize: opened.append((list(files), colorize)) or 0)
    assert main(["gui", "a.jpg", "b.tif"]) == 0
    assert main([]) == 0
    assert main(["gui", "--colorize", "a.jpg"]) == 0
    assert opened == [(["a.jpg", "b.tif"], False), ([], False), (["a.jpg"], True)]


def test_tinct_gui_opens_the_window_with_the_photo_and_exits_0_when_it_closes(qtbot, monkeypatch, gray_photo):
    """``tinct gui PHOTO`` for real, offscreen: the app's own main() shows the window and runs the event loop.
    Only the plugins differ, as in every GUI test: the test backend, and no device probe."""
    import desktop.app
    from desktop.cli import main

    photo = gray_photo()
    real_open_window = desktop.app.open_window
    seen, windows = {}, []

    def open_window(files, store, host_factory, colorize=False, probe_devices=True):
        window = real_open_window(files, store, lambda: host_with(), colorize, probe_devices=False)
        windows.append(window)

        def close_once_loaded():  # polled from the app's event loop; closing the last window ends it
            if window.isVisible() and window.host is not None and window.viewer.has_photo():
                seen.update(title=window.windowTitle(), photos=[doc.path for doc in window.session.photos])
                window.close()
            elif watchdog.isActive():
                QTimer.singleShot(20, close_once_loaded)

        QTimer.singleShot(0, close_once_loaded)
        return window

    monkeypatch.setattr(desktop.app, "open_window", open_window)
    watchdog = QTimer(singleShot=True, interval=20_000)  # a window that never closes must not hang the suite
    watchdog.timeout.connect(lambda: QApplication.exit(3))
    watchdog.start()
    try:
        assert main(["gui", str(photo)]) == 0
    finally:
        watchdog.stop()
        for window in windows:
            window.close()
    assert seen["title"].startswith("photo.png") and seen["photos"] == [photo]


def test_gui_colorize_opens_the_photos_and_colorizes_them(qtbot, settings_store, gray_photo, no_leftover_workers):
    from desktop.app import make_application, open_window

    make_application()
    photos = [gray_photo("a.png"), gray_photo("b.png")]
    window = open_window(photos, settings_store, lambda: host_with(), colorize=True, probe_devices=False)
    try:
        qtbot.waitUntil(lambda: all(doc.current_run is not None and len(doc.current_run.samples) > 0
                                    and not doc.current_run.active for doc in window.session.photos), timeout=20_000)
        assert [doc.path.name for doc in window.session.photos] == ["a.png", "b.png"]
        qtbot.waitUntil(lambda: not window.queue.busy, timeout=10_000)
    finally:
        window.close()
        window.deleteLater()


def test_colorize_pressed_before_the_backends_are_found_runs_once_they_are(qtbot, settings_store, gray_photo,
                                                                           no_leftover_workers):
    from desktop.app import make_application, open_window

    make_application()
    window = open_window([gray_photo()], settings_store, lambda: host_with(), probe_devices=False)
    try:
        assert window.host is None  # discovery answers on the event loop, which has not run yet
        assert window.colorize_current() is None
        window.colorize_current()  # pressed again, and the filmstrip's "colorize all": still one run
        window.colorize_all()
        doc = window.session.current
        qtbot.waitUntil(lambda: doc.current_run is not None and doc.current_run.state == DONE, timeout=20_000)
        assert doc.current_run.settings.backend_id == "testbackend" and len(doc.runs) == 1
        qtbot.waitUntil(lambda: not window.queue.busy, timeout=10_000)
    finally:
        window.close()
        window.deleteLater()


def test_an_unwritable_settings_file_is_reported_and_the_window_still_closes(qtbot, make_window, tmp_path, capfd):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the settings folder should be")
    window = make_window(store=SettingsStore(blocker / "gui.json"))
    window.close()
    assert "could not save the settings" in capfd.readouterr().err and not window.queue.busy


def test_colorizing_again_keeps_the_zoom(qtbot, make_window, gray_photo):
    window = make_window(samples=1)
    open_and_wait(qtbot, window, [gray_photo(size=(1600, 1200))])
    colorize_and_wait(qtbot, window, 1)
    window.viewer.actual_size()
    colorize_and_wait(qtbot, window, 1)
    assert not window.viewer.is_fitted() and window.viewer.zoom() == 1.0


def test_an_already_colored_photo_is_said_once(qtbot, make_window, tmp_path):
    photo = tmp_path / "color.png"
    Image.fromarray(np.dstack([np.full((40, 60), v, np.uint8) for v in (200, 60, 40)])).save(photo)
    window = make_window(samples=1)
    posted = []
    window.notices.posted.connect(posted.append)
    open_and_wait(qtbot, window, [photo])
    colorize_and_wait(qtbot, window, 1)
    notes = [n for n in posted if n.title == "Note on color.png"]
    assert len(notes) == 1 and notes[0].message.startswith("Already in color")


def test_each_backend_starts_at_its_own_default_temperature_and_keeps_the_users(qtbot, make_window):
    import dataclasses

    from fakes import backend_class, flat_samples

    warm = backend_class("warm", flat_samples())
    warm.info = dataclasses.replace(warm.info, has_temperature=True, default_temperature=0.38)
    window = make_window(make_plugin("warm_plugin", warm))
    controls = window.controls

    def pick(backend_id):
        controls.backend.setCurrentIndex(controls.backend.findData(backend_id))

    pick("warm")
    assert controls.settings().temperature == pytest.approx(0.38)
    controls.temperature.set_value(0.6)
    pick("testbackend")
    assert controls.settings().temperature == pytest.approx(1.0)  # the test backend's default
    pick("warm")
    assert controls.settings().temperature == pytest.approx(0.6)


def test_a_long_backend_description_shows_all_its_lines(make_window, qtbot):
    from dataclasses import replace

    wordy = backend_class("wordy", flat_samples())
    wordy.info = replace(wordy.info, name="Wordy", description=" ".join(["A description that goes on and on."] * 10))
    window = make_window(make_plugin("wordy_plugin", wordy))
    controls = window.controls
    controls.backend.setCurrentIndex(controls.backend.findData("wordy"))
    label = controls.backend_info
    lines = label.heightForWidth(label.width()) // label.fontMetrics().lineSpacing()
    qtbot.waitUntil(lambda: label.height() >= label.heightForWidth(label.width()))  # no line cut off
    assert lines >= 6
