"""The Plugins view: install from a file (after a confirm that says what the plugin is and that it runs code),
remove, switch a backend off and on; the window's backends follow without a restart."""

from __future__ import annotations

import hashlib
import json
import sys

import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from desktop import file_actions
from desktop.cli import main as cli_main
from desktop.plugins_dialog import RUNS_CODE
from desktop.state import ColorizeSettings
from fakes import install_fake_distribution
from gui_fixtures import no_leftover_workers, settings_store  # noqa: F401
from plugins.host import PluginHost
from plugins.weights import user_models_dir
from test_models_add import TOY, WEIGHTS
from test_plugin_install import MODULES, project, snapshot

TIMEOUT_MS = 120_000  # pip builds the plugin, and discovery runs twice in a separate process


@pytest.fixture
def plugin_dir(tmp_path, monkeypatch):
    folder = tmp_path / "plugins"
    monkeypatch.setenv("TINCT_PLUGIN_DIR", str(folder))
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield folder
    for name in MODULES:
        sys.modules.pop(name, None)


@pytest.fixture
def window(qtbot, settings_store, no_leftover_workers, plugin_dir):
    """The main window with every installed plugin (entry points included, unlike the other GUI tests)."""
    from desktop.app import make_application
    from desktop.main_window import MainWindow

    make_application()
    window = MainWindow(settings_store, PluginHost.discover, session_file=None)
    with qtbot.waitSignal(window.backends_ready, timeout=60_000):
        window.show()
    yield window
    no_leftover_workers.check()
    window.close()
    window.deleteLater()


def backend_ids(window) -> list[str]:
    return [window.controls.backend.itemData(k) for k in range(window.controls.backend.count())]


def test_install_confirm_shows_what_the_plugin_is_then_remove(qtbot, window, tmp_path, plugin_dir):
    folder = project(tmp_path / "src", "tinct-sepia", "tinct_sepia")
    text = (folder / "pyproject.toml").read_text().replace(
        'version = "1.0.0"', 'version = "1.0.0"\ndescription = "Warm brown toning"\nlicense = {text = "MIT"}', 1)
    (folder / "pyproject.toml").write_text(text + '\n[project.urls]\nHomepage = "https://example.org/sepia"\n')
    dialog = file_actions.show_plugins(window)
    dialog.install_from(folder)
    assert dialog.progress.isVisible() and dialog.status.text().startswith("Building and checking")
    qtbot.waitUntil(lambda: dialog.confirm is not None and dialog.confirm.isVisible(), timeout=TIMEOUT_MS)
    confirm = dialog.confirm
    assert confirm.fields["Name"] == "tinct-sepia" and confirm.fields["Version"] == "1.0.0"
    assert confirm.fields["Licence"] == "MIT" and confirm.fields["Summary"] == "Warm brown toning"
    assert confirm.fields["Homepage"] == "https://example.org/sepia"
    assert confirm.fields["Adds backends"] == "Sepia (sepia)"
    assert confirm.warning.text() == RUNS_CODE and "runs on this computer" in RUNS_CODE
    assert not (plugin_dir / "tinct_sepia.py").exists()  # nothing in place before the user says yes

    with qtbot.waitSignal(window.backends_ready, timeout=60_000):
        confirm.install_button.click()
    assert (plugin_dir / "tinct_sepia.py").is_file()
    assert "sepia" in backend_ids(window)  # no restart
    row = dialog.row_for("sepia")
    assert row is not None and row.text(5) == "tinct-sepia"
    assert dialog.status.text() == "Installed tinct-sepia 1.0.0: sepia"

    dialog.tree.setCurrentItem(row)
    assert dialog.remove_button.isEnabled()
    dialog.tree.setCurrentItem(dialog.row_for("regression"))
    assert not dialog.remove_button.isEnabled()  # a built-in
    dialog.tree.setCurrentItem(row)
    dialog.remove_button.click()
    box = dialog.message_box
    assert box.isVisible() and "Remove tinct-sepia" in box.text()
    with qtbot.waitSignal(window.backends_ready, timeout=60_000):
        next(b for b in box.buttons() if b.text() == "Remove").click()
    assert "sepia" not in backend_ids(window) and dialog.row_for("sepia") is None
    assert sorted(p.name for p in plugin_dir.iterdir()) == ["tinct-plugins.json"]
    dialog.close()


def test_cancelling_the_confirm_leaves_the_plugin_folder_alone(qtbot, window, tmp_path, plugin_dir):
    dialog = file_actions.show_plugins(window)
    dialog.install_from(project(tmp_path / "src", "tinct-sepia", "tinct_sepia"))
    qtbot.waitUntil(lambda: dialog.confirm is not None and dialog.confirm.isVisible(), timeout=TIMEOUT_MS)
    dialog.confirm.reject()
    assert dialog.status.text() == "Not installed"
    assert snapshot(plugin_dir) is None and not list(tmp_path.glob(".tinct-*"))
    assert "sepia" not in backend_ids(window)
    dialog.close()


def test_a_refused_plugin_is_one_line_with_pips_words_on_demand(qtbot, window, tmp_path, plugin_dir):
    folder = project(tmp_path / "src", "tinct-sepia", "tinct_sepia")
    text = (folder / "pyproject.toml").read_text()
    (folder / "pyproject.toml").write_text(text.replace('"setuptools.build_meta"', '"no_such_build_backend"'))
    dialog = file_actions.show_plugins(window)
    dialog.install_from(folder)
    qtbot.waitUntil(lambda: dialog.message_box is not None and dialog.message_box.isVisible(), timeout=TIMEOUT_MS)
    box = dialog.message_box
    assert box.windowTitle() == "Could not install the plugin"
    assert box.text().startswith("pip could not install tinct_sepia-1.0.0") and "\n" not in box.text()
    assert "no_such_build_backend" in box.detailedText()  # the details, on demand
    assert snapshot(plugin_dir) is None and dialog.confirm is None
    box.button(QMessageBox.Ok).click()
    qtbot.waitUntil(lambda: not dialog.busy(), timeout=5000)
    assert dialog.install_button.isEnabled()
    dialog.close()


def test_a_backend_switched_off_is_left_out_everywhere_until_switched_on(qtbot, window, tmp_path, capsys):
    dialog = file_actions.show_plugins(window)
    row = dialog.row_for("testbackend")
    assert row.checkState(0) == Qt.Checked
    with qtbot.waitSignal(window.backends_ready, timeout=60_000):
        row.setCheckState(0, Qt.Unchecked)
    assert "testbackend" not in backend_ids(window)
    row = dialog.row_for("testbackend")
    assert row.checkState(0) == Qt.Unchecked and row.text(4) == "switched off"
    assert cli_main(["plugins", "list", "--json"]) == 0  # the command line honours the switch too
    report = json.loads(capsys.readouterr().out)
    assert "testbackend" not in [b["id"] for b in report["backends"]] and report["switched_off"] == ["testbackend"]

    with qtbot.waitSignal(window.backends_ready, timeout=60_000):
        row.setCheckState(0, Qt.Checked)
    assert "testbackend" in backend_ids(window) and dialog.row_for("testbackend").checkState(0) == Qt.Checked
    dialog.close()



@pytest.fixture
def toy_plugin(tmp_path, monkeypatch):
    """A plugin whose weights the user brings (declared in the user models folder, not there yet)."""
    site = tmp_path / "site"
    monkeypatch.syspath_prepend(str(site))
    install_fake_distribution(site, "tinct-toy", "fake_toy", TOY.format(sha256=hashlib.sha256(WEIGHTS).hexdigest()))
    yield WEIGHTS
    sys.modules.pop("fake_toy", None)


def test_locate_weights_file_is_offered_when_they_are_missing_and_puts_them_in_place(qtbot, toy_plugin, window,
                                                                                     tmp_path, monkeypatch):
    photo = tmp_path / "photo.png"
    Image.new("L", (64, 48), 120).save(photo)
    (doc,) = window.open_paths([photo])
    qtbot.waitUntil(lambda: doc.original_preview is not None, timeout=20_000)
    with qtbot.waitSignal(window.notices.posted, timeout=30_000,
                          check_params_cb=lambda notice: notice.title.startswith("Could not colorize")) as posted:
        window.queue.colorize(doc, ColorizeSettings(backend_id="toyweights", samples=1, device="cpu"))
    notice = posted.args[0]
    assert "toy.safetensors is missing" in notice.message
    [action] = [a for a in notice.actions if a.label == "Locate weights file…"]

    wrong = tmp_path / "toy.safetensors"
    wrong.write_bytes(b"something else")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *args, **kwargs: (str(wrong), "")))
    with qtbot.waitSignal(window.notices.posted, timeout=30_000) as posted:
        action.callback()
    assert posted.args[0].title == "Could not add the weights file"
    assert "is not the toy.safetensors that toyweights expects" in posted.args[0].message
    assert not (user_models_dir() / "toy.safetensors").exists()

    right = tmp_path / "download" / "toy.safetensors"
    right.parent.mkdir()
    right.write_bytes(toy_plugin)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *args, **kwargs: (str(right), "")))
    with qtbot.waitSignal(window.backends_ready, timeout=60_000):
        action.callback()
    assert any(n.title == "Weights added for toyweights" for n in window.notices.history)
    assert (user_models_dir() / "toy.safetensors").read_bytes() == toy_plugin
    index = window.controls.backend.findData("toyweights")
    assert window.controls.backend.itemText(index) == "Toy"  # no "(weights missing)" any more
