"""Renders the Turing test offscreen for the README:
``python -m desktop.turing.screenshot PHOTOS_FOLDER docs/turing.jpg``.

Copies a few photos of PHOTOS_FOLDER into a temporary folder (the results file goes there, never next to
the originals), runs a test of the installed backends (the test backend left out) in the real dialog, and
saves the first round and the results page side by side as one JPEG. The rounds are answered by script:
the more colorful picture is taken for the real one. Settings stay in memory.
"""

from __future__ import annotations

import io
import os
import random
import shutil
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
from PySide6.QtCore import QBuffer, QIODevice  # noqa: E402

from desktop import theme  # noqa: E402
from desktop.app import make_application  # noqa: E402
from desktop.exports import photos_in  # noqa: E402
from desktop.screenshot import _wait  # noqa: E402
from desktop.state import SettingsStore  # noqa: E402
from desktop.turing.stats import standouts  # noqa: E402
from plugins.color import srgb_to_lab  # noqa: E402
from plugins.host import PluginHost  # noqa: E402

PHOTOS = 12
SEED = 16
DIALOG_SIZE = (900, 640)
OUTPUT_WIDTH = 1400


def _chroma(rgb: np.ndarray) -> float:
    lab = srgb_to_lab(rgb.astype(np.float32) / 255)
    return float(np.hypot(lab[..., 1], lab[..., 2]).mean())


def _grab(dialog, app) -> Image.Image:
    for _ in range(10):
        app.processEvents()
    buffer = QBuffer()
    buffer.open(QIODevice.WriteOnly)
    dialog.grab().save(buffer, "PNG")
    return Image.open(io.BytesIO(buffer.data().data())).convert("RGB")


def main(photos_folder: str, target: str = "docs/turing.jpg") -> Path:
    app = make_application()
    from desktop.main_window import MainWindow
    from desktop.turing.dialog import show_turing

    window = MainWindow(SettingsStore(None), PluginHost.discover, session_file=None)
    window.show()
    _wait(app, lambda: window.host is not None)
    with tempfile.TemporaryDirectory(prefix="tinct-turing-") as temporary:
        for photo in photos_in(Path(photos_folder))[:PHOTOS]:
            shutil.copy2(photo, temporary)
        dialog = show_turing(window)
        dialog.resize(*DIALOG_SIZE)
        dialog.rng = random.Random(SEED)  # the same rounds each time, so the README can credit the photos shown
        dialog.setup.folder.setText(temporary)
        dialog.setup.set_checked({c.label for c in dialog.setup.chosen() if c.settings.backend_id != "testbackend"})
        dialog.setup.rounds.setValue(PHOTOS)
        dialog.prepare()
        _wait(app, dialog.prepare_page.begin.isVisible)
        dialog.begin()
        view = dialog.round_view
        shots = [_grab(dialog, app)]
        while dialog.running:
            left, right = view.left.image, view.right.image
            view.answered.emit("left" if _chroma(left) > _chroma(right) else "right", 0.6 + 0.1 * dialog.test.position)
        shots.append(_grab(dialog, app))
        best, worst = standouts(dialog.test.answers)
        shown = [dialog.test.rounds[0].photo.name] + [a.round.photo.name for a in best + worst]
        dialog.close()
    width = sum(shot.width for shot in shots)
    sheet = Image.new("RGB", (width, max(shot.height for shot in shots)), theme.WINDOW)
    x = 0
    for shot in shots:
        sheet.paste(shot, (x, 0))
        x += shot.width
    sheet = sheet.resize((OUTPUT_WIDTH, round(sheet.height * OUTPUT_WIDTH / width)), Image.LANCZOS)
    path = Path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path, "JPEG", quality=82, optimize=True)
    print(f"{path}: {len(dialog.test.answers)} rounds, {path.stat().st_size // 1024} KB; photos shown: {', '.join(shown)}")
    window.close()
    return path


if __name__ == "__main__":
    if len(sys.argv) < 2:
        raise SystemExit("usage: python -m desktop.turing.screenshot PHOTOS_FOLDER [TARGET.jpg]")
    main(*sys.argv[1:3])
