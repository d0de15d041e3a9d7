"""How long a color hint edit takes to show: from the click to the updated result on screen.

    QT_QPA_PLATFORM=offscreen python bench/hint_latency.py [--backend regression] [--photo PATH]
        [--long-side PX] [--samples N] [--edits 20]

Opens the real main window (the installed backends, found as the app finds them), colorizes a
photo from resources/samples, switches the hint tool on and then makes edits through the same
code path as a user: a left click on the photo view (adds a hint), a click on a suggested or
recent color swatch (recolors it), a press-drag-release (moves it), a right click (removes it), in
turn. Each edit is timed from the simulated click to the first paint of the viewer after the
sample on view shows the edited hints (for a backend that takes hints itself, such as `guided`:
until the run the edit started is done and shown; it runs again once the edits pause, see
desktop/hint_rerun.py). A 10 ms timer meanwhile records how late the event loop
answers (the window must not block). ``--long-side`` enlarges the photo first (the preview the
result is merged onto grows to at most 1600 px): the cost of a large photo. Prints the medians;
the target is a median under 1 s on this CPU.
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
sys.path.insert(0, str(ROOT / "bench"))

from PIL import Image  # noqa: E402

from desktop.app import make_application  # noqa: E402
from desktop.state import SettingsStore  # noqa: E402
from gui_stall import StallMeter, wait  # noqa: E402
from desktop.state.session import DONE  # noqa: E402
from plugins.host import PluginHost  # noqa: E402
from plugins.types import Capability  # noqa: E402

TARGET_S = 1.0


class PaintClock:
    """The time of the viewer's latest paint."""

    def __init__(self, viewer):
        from PySide6.QtCore import QEvent, QObject

        clock = self

        class Filter(QObject):
            def eventFilter(self, watched, event):
                if event.type() == QEvent.Paint:
                    clock.last = time.perf_counter()
                return False

        self.last = 0.0
        self._filter = Filter()
        viewer.installEventFilter(self._filter)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="regression")
    parser.add_argument("--photo", type=Path, default=ROOT / "resources" / "samples" / "barn.jpg")
    parser.add_argument("--long-side", type=int, default=0, help="enlarge the photo to this long side first")
    parser.add_argument("--samples", type=int, default=1)
    parser.add_argument("--edits", type=int, default=20)
    args = parser.parse_args()

    app = make_application()
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from desktop.main_window import MainWindow

    window = MainWindow(SettingsStore(None), PluginHost.discover, session_file=None)
    window.resize(1440, 900)
    window.show()
    wait(app, lambda: window.host is not None)
    controls = window.controls
    controls.backend.setCurrentIndex(controls.backend.findData(args.backend))
    controls.samples.setValue(min(args.samples, window.host.get(args.backend).info.max_samples))

    with tempfile.TemporaryDirectory() as tmp:
        photo = args.photo
        if args.long_side:
            image = Image.open(photo)
            scale = args.long_side / max(image.size)
            photo = Path(tmp) / f"{args.photo.stem}-{args.long_side}.jpg"
            image.resize((round(image.width * scale), round(image.height * scale)), Image.BICUBIC).save(photo, quality=92)
        doc = window.open_paths([photo])[0]
        wait(app, lambda: doc.original_preview is not None)
        run = window.colorize_current()
        wait(app, lambda: not run.active and not window.queue.busy)
        if not run.samples:
            print(f"{args.backend} made no sample: {run.error}")
            return 1
        window.hints.set_active(True)
        settle = time.monotonic() + 1.0  # a user's first click comes a moment after switching the tool on
        wait(app, lambda: time.monotonic() > settle)
        viewer, hints = window.viewer, window.hints
        clock = PaintClock(viewer)
        shown_image = {"at": 0.0}  # when the window last handed the viewer a new result
        set_after = viewer.set_after

        def timed_set_after(image):
            shown_image["at"] = time.perf_counter()
            set_after(image)

        viewer.set_after = timed_set_after
        tool = hints.tool
        width, height = doc.size
        takes_hints = Capability.HINTS in window.host.get(args.backend).info.capabilities

        def point(k: int) -> tuple[float, float]:  # spread over the photo, away from its border
            return width * (0.15 + 0.7 * ((k * 0.618) % 1)), height * (0.15 + 0.7 * ((k * 0.382) % 1))

        def at(x, y):
            return tool.widget_point(viewer, x, y).toPoint()

        def add(k):
            QTest.mouseClick(viewer, Qt.LeftButton, pos=at(*point(k)))

        def recolor(k):
            swatches = window.hint_panel.suggested.swatches() + window.hint_panel.recent.swatches()
            palette = ["#c0392b", "#2e86c1", "#27ae60", "#d4ac0d"]
            if swatches and k % 2:
                QTest.mouseClick(swatches[k % len(swatches)], Qt.LeftButton)
            else:  # a color of the recent row, as a user picks it again
                hints.apply_color(palette[k % len(palette)])

        def move(k):
            hint = doc.hints.hints[-1]
            x, y = point(k + 7)
            QTest.mousePress(viewer, Qt.LeftButton, pos=at(hint.x, hint.y))
            for step in (0.33, 0.66, 1.0):
                QTest.mouseMove(viewer, at(hint.x + step * (x - hint.x), hint.y + step * (y - hint.y)))
            QTest.mouseRelease(viewer, Qt.LeftButton, pos=at(x, y))

        def remove(k):
            hint = doc.hints.hints[0]
            QTest.mouseClick(viewer, Qt.RightButton, pos=at(hint.x, hint.y))

        edits = [("add (click)", add), ("recolor (swatch)", recolor), ("move (drag)", move), ("add (click)", add),
                 ("remove (right click)", remove)]
        timings: dict[str, list[float]] = {}
        meter = StallMeter()
        meter.start()
        for k in range(args.edits):
            name, edit = edits[k % len(edits)]
            wait(app, lambda: not hints.renderer.rendering and not hints.renderer.pending(doc)
                 and not window.queue.busy and not hints.rerun.stale(doc))
            version = doc.hints.version
            start = time.perf_counter()
            edit(k)
            if doc.hints.version == version:
                continue  # the edit changed nothing (a color it already had)

            def shown() -> bool:  # the sample on view shows the edit, was handed to the viewer and painted
                handed = shown_image["at"]
                if takes_hints:  # a new run, given the edited hints, has made its sample
                    current = doc.current_run
                    return (current.state == DONE and bool(current.samples) and not window.queue.busy
                            and current.backend_hints == doc.hints.color_hints() and start < handed < clock.last)
                sample = run.samples[run.viewed if run.viewed is not None else min(run.samples)]
                return sample.guided_by == hints.renderer.guide_for(doc, run) and start < handed < clock.last

            wait(app, shown)
            timings.setdefault(name, []).append(clock.last - start)
        meter.stop()
        window.hints.set_active(False)
        window._quit_confirmed = True
        window.close()

    every = [t for values in timings.values() for t in values]
    print(f"backend {args.backend}, {len(run.samples)} sample(s), photo {photo.name} {width}x{height}, "
          f"preview {doc.preview_lightness.shape[1]}x{doc.preview_lightness.shape[0]}, {os.cpu_count()} CPU cores")
    print("| edit | n | median s | longest s |")
    print("|---|---|---|---|")
    for name, values in timings.items():
        print(f"| {name} | {len(values)} | {statistics.median(values):.3f} | {max(values):.3f} |")
    print(f"| every edit | {len(every)} | {statistics.median(every):.3f} | {max(every):.3f} |")
    print(f"event loop while editing: median lateness {statistics.median(meter.lateness_ms):.1f} ms, "
          f"longest {max(meter.lateness_ms):.1f} ms")
    print(f"target: median click → shown under {TARGET_S:.0f} s: {'met' if statistics.median(every) < TARGET_S else 'MISSED'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
