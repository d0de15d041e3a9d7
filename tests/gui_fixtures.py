"""Fixtures for the GUI tests. Each GUI test module imports them by name::

    from gui_fixtures import gray_photo, make_window, no_leftover_workers  # noqa: F401

``no_leftover_workers`` is autouse: any test that leaves a background worker
running fails. Hosts are built from the test backend (plus throwaway plugins),
never from the machine's installed entry points, and settings live in tmp_path.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import tinct_testbackend
from PIL import Image
from PySide6.QtCore import QThreadPool

from desktop import worker
from desktop.state import SettingsStore
from fakes import backend_class, make_plugin
from plugins import Progress, Sample
from plugins.host import PluginHost

GRACE_S = 1.0  # a worker that emitted its last signal may still be returning from run()


class WorkerGuard:
    """Fails the test if a worker is still running when it ends."""

    def __init__(self) -> None:
        self.checked = False

    def check(self) -> None:
        if self.checked:
            return
        self.checked = True
        deadline = time.monotonic() + GRACE_S
        while worker.live_workers() and time.monotonic() < deadline:
            time.sleep(0.01)
        leftover = worker.live_workers()
        if leftover:
            for job in leftover:
                job.quit()
            QThreadPool.globalInstance().waitForDone(5000)
            pytest.fail(f"the test left {len(leftover)} background worker(s) running")


@pytest.fixture(autouse=True)
def no_leftover_workers():
    guard = WorkerGuard()
    yield guard
    guard.check()


def host_with(*plugins) -> PluginHost:
    """The test backend and ``plugins`` only: installed entry points are ignored."""
    return PluginHost.discover([tinct_testbackend, *plugins], entry_points=False)


@pytest.fixture
def settings_store(tmp_path) -> SettingsStore:
    return SettingsStore(tmp_path / "settings" / "gui.json")


@pytest.fixture
def make_window(qtbot, settings_store, no_leftover_workers):
    """``make_window(*plugins)``: a shown main window whose backends are found, closed at the end."""
    from desktop.app import make_application
    from desktop.main_window import MainWindow

    make_application()
    windows = []

    def make(*plugins, store: SettingsStore | None = None, samples: int = 4):
        window = MainWindow(store or settings_store, lambda: host_with(*plugins))
        windows.append(window)
        with qtbot.waitSignal(window.backends_ready, timeout=10_000):
            window.show()
        window.controls.samples.setValue(samples)
        window.resize(1280, 860)
        return window

    yield make
    no_leftover_workers.check()  # before closing: closing would stop the leftovers quietly
    for window in windows:
        window.close()
        window.deleteLater()


@pytest.fixture
def gray_photo(tmp_path):
    """``gray_photo(name, size)``: a gray PNG with mid tones, where any chroma stays in gamut."""

    def make(name: str = "photo.png", size: tuple[int, int] = (160, 120)):
        width, height = size
        ramp = np.linspace(95, 190, width, dtype=np.float32)[None, :] + np.linspace(0, 20, height, dtype=np.float32)[:, None]
        path = tmp_path / name
        Image.fromarray(ramp.astype(np.uint8), "L").save(path)
        return path

    return make


def slow_plugin(steps: int = 400, delay_s: float = 0.005, record: dict | None = None):
    """A backend that yields many Progress events, then one flat sample per requested sample."""

    def colorize(self, lightness, options):
        if record is not None:
            record["thread"] = threading.current_thread()
        try:
            for step in range(steps):
                time.sleep(delay_s)
                yield Progress(step / steps, f"step {step}")
            h, w = lightness.shape
            for index in range(options.samples):
                yield Sample(index, np.full((h // 4 or 1, w // 4 or 1, 2), 10.0, np.float32))
        finally:
            if record is not None:
                record["closed_at"] = step

    return make_plugin("slow_plugin", backend_class("slow", colorize, max_samples=4))


def raising_plugin(message: str = "the model exploded"):
    def colorize(self, lightness, options):
        yield Progress(0.1, "warming up")
        raise RuntimeError(message)

    return make_plugin("raising_plugin", backend_class("raising", colorize))
