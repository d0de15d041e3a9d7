"""The GUI event loop's longest stall while a real backend colorizes a 12-megapixel photo.

    QT_QPA_PLATFORM=offscreen python bench/gui_stall.py [--backend ID] [--samples 4]

Opens the real main window as the app does (backend discovery and the device
probe, which imports torch, run off the GUI thread), opens a 4000×3000 photo
and colorizes it twice; during each phase a 10 ms timer records how late each
tick fires. Prints the median and longest lateness per phase; the target is a
longest stall under 50 ms while colorizing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from desktop.app import make_application  # noqa: E402
from desktop.state import SettingsStore  # noqa: E402
from plugins.host import PluginHost  # noqa: E402

TICK_MS = 10


class StallMeter:
    """A 10 ms timer that records, for each tick, how much later than due it fired."""

    def __init__(self):
        from PySide6.QtCore import QTimer

        self.lateness_ms: list[float] = []
        self._last = time.perf_counter()
        self._timer = QTimer()
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.lateness_ms.append(max(0.0, (now - self._last) * 1000 - TICK_MS))
        self._last = now


def wait(app, condition, timeout_s: float = 600.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the window did not get there in time")
        app.processEvents()
        time.sleep(0.001)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", help="default: the default backend")
    parser.add_argument("--samples", type=int, default=4)
    args = parser.parse_args()

    app = make_application()
    from desktop.main_window import MainWindow

    startup = StallMeter()
    startup.start()
    window = MainWindow(SettingsStore(None), PluginHost.discover, probe_devices=True)  # as the app does
    window.resize(1440, 900)
    window.show()
    wait(app, lambda: window.host is not None)
    startup.stop()
    startup_stall = max(startup.lateness_ms, default=0.0)
    backend_id = args.backend or window.host.default_backend().info.id
    controls = window.controls
    controls.backend.setCurrentIndex(controls.backend.findData(backend_id))
    controls.samples.setValue(min(args.samples, window.host.get(backend_id).info.max_samples))

    with tempfile.TemporaryDirectory() as tmp:
        photo = Path(tmp) / "12mp.jpg"
        Image.open(ROOT / "resources" / "samples" / "barn.jpg").convert("L").resize(
            (4000, 3000), Image.BICUBIC).save(photo, quality=92)
        phases = {}

        def measure(name, action, done):
            meter = StallMeter()
            meter.start()
            start = time.perf_counter()
            result = action()
            wait(app, lambda: done(result))
            meter.stop()
            phases[name] = (time.perf_counter() - start, meter.lateness_ms)

        measure("open the photo", lambda: window.open_paths([photo])[0], lambda doc: doc.original_preview is not None)
        for attempt in ("first colorize (loads the backend)", "second colorize"):
            measure(attempt, window.colorize_current, lambda run: not run.active and not window.queue.busy)
        window.close()

    print(f"backend {backend_id}, up to {args.samples} sample(s) of a 4000x3000 photo; "
          f"startup (discovery, importing torch off the GUI thread): longest stall {startup_stall:.0f} ms")
    print("| phase | seconds | ticks | median stall ms | longest stall ms |")
    print("|---|---|---|---|---|")
    for name, (seconds, lateness) in phases.items():
        print(f"| {name} | {seconds:.2f} | {len(lateness)} | {statistics.median(lateness):.1f} | {max(lateness):.1f} |")
    print("target: longest stall < 50 ms while colorizing")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
