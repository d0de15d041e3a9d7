"""Renders the real window offscreen for the README: ``python -m desktop.screenshot docs/screenshot.png``.

Opens the bundled sample photos, colorizes the first with the best installed
backend whose weights verify (else the test backend, if installed), picks a
sample and saves ``window.grab()``. Settings stay in memory.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from desktop.app import make_application  # noqa: E402
from desktop.state import SettingsStore  # noqa: E402
from plugins.host import PluginHost  # noqa: E402
from plugins.resources import sample_photo  # noqa: E402

PHOTOS = ("barn.jpg", "beach.jpg", "ballplayers.jpg")


def _wait(app, condition, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the window did not get there in time")
        app.processEvents()
        time.sleep(0.01)


def _pick_backend(host: PluginHost) -> str:
    usable = [entry for entry in host.backends if host.weights_status(entry).ok]
    real = [entry for entry in usable if entry.info.id != "testbackend"]
    if real:
        return max(real, key=lambda entry: entry.info.max_samples).info.id
    if usable:
        return usable[0].info.id
    raise SystemExit("no usable backend is installed")


def main(target: str = "docs/screenshot.png", size: tuple[int, int] = (1440, 900)) -> Path:
    app = make_application()
    from desktop.main_window import MainWindow

    window = MainWindow(SettingsStore(None), PluginHost.discover)
    window.resize(*size)
    window.show()
    _wait(app, lambda: window.host is not None)
    backend_id = _pick_backend(window.host)
    controls = window.controls
    controls.backend.setCurrentIndex(controls.backend.findData(backend_id))
    controls.samples.setValue(min(4, window.host.get(backend_id).info.sample_limit))
    controls.seed.setValue(3)
    window.open_paths([sample_photo(name) for name in PHOTOS])
    window.session.set_current(window.session.photos[0])
    _wait(app, lambda: all(doc.original_preview is not None for doc in window.session.photos))
    run = window.colorize_current()
    _wait(app, lambda: not run.active)
    if len(run.samples) > 1:
        window.choose_sample(1)
        window.view_sample(1)
    _wait(app, lambda: not window.queue.busy)
    for _ in range(10):
        app.processEvents()
    path = Path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(path))
    print(f"{path}: {backend_id}, {len(run.samples)} sample(s)")
    window.close()
    return path


if __name__ == "__main__":
    main(*sys.argv[1:2])
