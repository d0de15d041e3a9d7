"""How long the Restore panel's before/after preview takes, and whether the window stalls meanwhile.

    QT_QPA_PLATFORM=offscreen python bench/restore_preview.py [--photo PATH] [--long-side 4000] [--repeats 3]

Opens the real main window, a photo from resources/samples enlarged to ``--long-side`` (default
4000 px: 12 MP for a square photo) and worn by ``plugins/restore/degrade.py`` (seeded), takes the
Restore panel out and then edits as a user does, through the panel's own widgets and the photo
view: switches on tone, denoise, dust and scratches one by one, moves the sensitivity, paints a
mask stroke. Each edit is timed from the click to the preview of the new settings (made at full
resolution off the GUI thread). A 10 ms timer meanwhile records how late the event loop answers.
Prints the median of each kind of edit and the longest stall.
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

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from desktop.app import make_application  # noqa: E402
from desktop.exports import to_uint8  # noqa: E402
from desktop.state import SettingsStore  # noqa: E402
from gui_stall import StallMeter, wait  # noqa: E402
from plugins.color import lightness_to_gray  # noqa: E402
from plugins.host import PluginHost  # noqa: E402
from plugins.imageio import read_photo  # noqa: E402
from plugins.restore.degrade import degrade  # noqa: E402


def worn_photo(source: Path, long_side: int, folder: Path) -> Path:
    lightness = read_photo(source).lightness
    scale = long_side / max(lightness.shape)
    size = (round(lightness.shape[1] * scale), round(lightness.shape[0] * scale))
    large = np.clip(cv2.resize(lightness, size, interpolation=cv2.INTER_CUBIC), 0, 100).astype(np.float32)
    damage = degrade(large, np.random.default_rng(0))
    path = folder / f"{source.stem}-worn-{long_side}.png"
    Image.fromarray(to_uint8(lightness_to_gray(damage.lightness)), "L").save(path)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photo", type=Path, default=ROOT / "resources" / "samples" / "ballplayers.jpg")
    parser.add_argument("--long-side", type=int, default=4000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    app = make_application()
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from desktop.hint_tool import HintTool
    from desktop.main_window import MainWindow

    window = MainWindow(SettingsStore(None), PluginHost.discover, session_file=None)
    window.resize(1440, 900)
    window.show()
    wait(app, lambda: window.host is not None)
    panel, restore = window.restore_panel, window.restore
    times: dict[str, list[float]] = {}
    stalls: dict[str, list[float]] = {}
    meter = StallMeter()
    with tempfile.TemporaryDirectory() as tmp:
        photo = worn_photo(args.photo, args.long_side, Path(tmp))
        for repeat in range(args.repeats):
            window.session.photos and window.queue.close_photo(window.session.current)
            doc = window.open_paths([photo])[0]
            wait(app, lambda: doc.original_preview is not None)
            meter.start()

            def timed(kind: str, action) -> None:
                start, ticks = time.perf_counter(), len(meter.lateness_ms)
                action()
                wait(app, lambda: not restore.busy and restore.preview(doc) is not None
                     and restore.preview(doc).settings == doc.restore)
                times.setdefault(kind, []).append(time.perf_counter() - start)
                stalls.setdefault(kind, []).append(max(meter.lateness_ms[ticks:], default=0.0))

            timed("panel out (photo read, noise measured)", lambda: window.actions_.restore.trigger())
            timed("tone on", panel.tone.click)
            timed("denoise on", panel.denoise.click)
            timed("dust and scratches on", panel.scratches.click)
            timed("sensitivity moved", lambda: panel.scratches_strength.setValue(40))
            panel.add.click()
            width, height = doc.size

            def stroke() -> None:
                points = [HintTool.widget_point(window.viewer, width * f, height * 0.5).toPoint() for f in (0.3, 0.4, 0.5)]
                QTest.mousePress(window.viewer, Qt.LeftButton, pos=points[0])
                for point in points[1:]:
                    QTest.mouseMove(window.viewer, point)
                QTest.mouseRelease(window.viewer, Qt.LeftButton, pos=points[-1])

            timed("mask stroke", stroke)
            meter.stop()
            panel.add.click()
            window.actions_.restore.trigger()
            print(f"repeat {repeat + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()), flush=True)
    print(f"photo: {width} × {height} px ({width * height / 1e6:.1f} MP), median of {args.repeats}:")
    for kind, values in times.items():
        print(f"  {kind}: {statistics.median(values):.2f} s (longest stall meanwhile {max(stalls[kind]):.0f} ms)")
    print(f"longest event-loop stall: {max(meter.lateness_ms):.0f} ms "
          f"(95th percentile {np.percentile(meter.lateness_ms, 95):.0f} ms)")
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
