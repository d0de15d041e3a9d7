"""Save As: the filter matches the name's suffix, it starts in the folder saved to last, the file dialogs are
roomy, and Save, Save All and Export are off while there is nothing to save. No dialog is ever shown."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QFileDialog, QToolBar, QTreeView

from desktop import file_actions, saving
from desktop.saving import FILTERS, SHEET_FILTERS, path_with_suffix, save_dialog_args
from desktop.state import SettingsStore
from desktop.state.session import DONE
from gui_fixtures import gray_photo, make_window, no_leftover_workers, settings_store  # noqa: F401


def colorized(qtbot, window, photo):
    with qtbot.waitSignal(window.session.photo_loaded, timeout=10_000):
        (doc,) = window.open_paths([photo])
    run = window.colorize_current()
    qtbot.waitUntil(lambda: run.state == DONE and not window.queue.busy, timeout=10_000)
    return doc, run


@pytest.mark.parametrize("name, fmt", [("p.testbackend.1.jpg", "jpg"), ("p.testbackend.1.png", "png"),
                                       ("p.testbackend.combined.tif", "tif"), ("P.JPEG", "jpg")])
def test_the_selected_filter_is_the_one_of_the_suggested_suffix(name, fmt):
    directory, filters, selected = save_dialog_args(Path("/photos") / name)
    assert directory == str(Path("/photos") / name)
    assert selected == FILTERS[fmt] and selected in filters.split(";;")


def test_a_name_typed_without_a_suffix_takes_the_chosen_filters():
    assert path_with_suffix(Path("/out/mine"), FILTERS["jpg"]) == (Path("/out/mine.jpg"), False)
    assert path_with_suffix(Path("/out/mine"), FILTERS["tif"]) == (Path("/out/mine.tif"), False)
    assert path_with_suffix(Path("/out/mine.png"), FILTERS["jpg"]) == (Path("/out/mine.png"), True)  # typed wins
    assert path_with_suffix(Path("/out/mine"), "") == (Path("/out/mine.png"), False)
    assert path_with_suffix(Path("/out/sheet"), SHEET_FILTERS["png"], SHEET_FILTERS)[0] == Path("/out/sheet.png")


def test_save_as_starts_in_the_folder_saved_to_last_with_a_matching_filter(qtbot, make_window, gray_photo, tmp_path,
                                                                           monkeypatch, settings_store):
    window = make_window(samples=2)
    doc, _run = colorized(qtbot, window, gray_photo())
    asked = []

    def dialog(parent, caption, directory, filters, selected, *rest):
        asked.append((Path(directory), selected))
        return str(answers.pop(0)), FILTERS["jpg"]

    monkeypatch.setattr(saving.QFileDialog, "getSaveFileName", staticmethod(dialog))
    elsewhere = tmp_path / "results"
    elsewhere.mkdir()
    answers = [elsewhere / "first"]  # typed without a suffix, JPEG filter chosen
    with qtbot.waitSignal(window.queue.saved, timeout=10_000):
        assert file_actions.save_result(window)
    assert (elsewhere / "first.jpg").is_file()
    assert asked[0][0].parent == doc.path.parent  # nothing saved before: the photo's folder

    answers = [elsewhere / "second.jpg"]
    with qtbot.waitSignal(window.queue.saved, timeout=10_000):
        assert file_actions.save_result(window)
    suggested, selected = asked[1]
    assert suggested.parent == elsewhere and suggested.suffix == ".jpg" and selected == FILTERS["jpg"]

    settings_store.save()
    assert SettingsStore(settings_store.path).state.last_save_folder == str(elsewhere)


def test_a_save_folder_that_is_gone_falls_back_to_the_photos(tmp_path):
    class Doc:
        path = tmp_path / "photo.png"

    assert saving.save_folder(Doc(), str(tmp_path / "deleted")) == tmp_path
    assert saving.save_folder(Doc(), "") == tmp_path


def test_file_dialogs_get_room_and_their_columns_are_not_cut(qtbot, make_window):
    window = make_window()
    dialog = QFileDialog(window, "Save colorized photo")
    dialog.setOption(QFileDialog.DontUseNativeDialog)
    qtbot.addWidget(dialog)
    small = dialog.size()
    saving.fit_file_dialog(dialog, window)
    screen = window.screen().availableGeometry().size() * 0.95
    assert dialog.width() >= min(saving.DIALOG_SIZE.width(), screen.width()) - 1 > small.width()
    assert dialog.height() >= min(saving.DIALOG_SIZE.height(), screen.height()) - 1
    (details,) = [view for view in dialog.findChildren(QTreeView) if view.objectName() == "treeView"]
    header = details.header()
    assert header.sectionResizeMode(0) == header.ResizeMode.Stretch
    assert all(header.sectionResizeMode(c) == header.ResizeMode.ResizeToContents for c in range(1, header.count()))


def test_save_save_all_and_export_are_off_with_nothing_to_save(qtbot, make_window, gray_photo):
    window = make_window(samples=2)
    actions = window.actions_
    writers = (actions.save, actions.save_all, actions.sheet)
    assert not any(action.isEnabled() for action in writers), "no photo"
    with qtbot.waitSignal(window.session.photo_loaded, timeout=10_000):
        window.open_paths([gray_photo()])
    assert not any(action.isEnabled() for action in writers), "a photo, not colorized"
    toolbar_button = window.findChild(QToolBar, "MainToolbar").widgetForAction(actions.save)
    assert not toolbar_button.isEnabled()
    icon = actions.save.icon()
    normal, disabled = icon.pixmap(20, 20, QIcon.Normal).toImage(), icon.pixmap(20, 20, QIcon.Disabled).toImage()
    assert normal != disabled, "a disabled Save looks disabled"
    run = window.colorize_current()
    qtbot.waitUntil(lambda: run.state == DONE and not window.queue.busy, timeout=10_000)
    assert all(action.isEnabled() for action in writers) and toolbar_button.isEnabled()
    run.viewed = run.chosen = None  # a run with samples but none to write (never left so by the window)
    assert not file_actions.can_save(run) and not file_actions.save_result(window)
