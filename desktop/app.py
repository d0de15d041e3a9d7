"""Starting the desktop app: the QApplication (high-DPI, icon, look) and the main window."""

from __future__ import annotations

import desktop.qt_compat  # noqa: F401  (first: guards against a PySide6 6.12 bug)

import os
import sys
from typing import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from desktop import theme, worker
from desktop.state.settings import SettingsStore, default_settings_path
from plugins.host import PluginHost


def make_application(argv: Sequence[str] = ()) -> QApplication:
    """The running QApplication, made (and styled) if there is none yet."""
    existing = QApplication.instance()
    if existing is not None:
        return existing
    # Fractional scale factors (125 %, 150 %) as they are: photos must not be blurred by rounding.
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QApplication([sys.argv[0] if sys.argv else "tinct", *argv])
    app.setApplicationName("Tinct")
    app.setApplicationDisplayName("Tinct")
    app.setOrganizationName("Tinct")
    app.setDesktopFileName("tinct")
    app.setWindowIcon(theme.icon("tinct"))
    theme.apply(app)
    return app


def open_window(files: Sequence[str], store: SettingsStore, host_factory: Callable[[], PluginHost],
                colorize: bool = False, probe_devices: bool = True):
    """The shown main window with ``files`` open, offering to reopen the last session; with ``colorize`` they
    are colorized once backends are found."""
    from desktop.main_window import MainWindow

    window = MainWindow(store, host_factory, probe_devices=probe_devices)
    if colorize:
        window.backends_ready.connect(window.colorize_all)
    window.show()
    if files:
        window.open_paths(files)
    window.offer_reopen()
    return window


def main(files: Sequence[str] = (), host_factory: Callable[[], PluginHost] = PluginHost.discover,
         colorize: bool = False) -> int:
    app = make_application()
    window = open_window(files, SettingsStore(default_settings_path()), host_factory, colorize)  # noqa: F841
    code = app.exec()
    if worker.live_workers():
        # A backend stuck without yielding outlived the window's wait for it; its thread cannot be
        # stopped, and Python would wait for it at exit. Settings and saves are done by now.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code
