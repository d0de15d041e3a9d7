"""The Colorization Turing Test in the app, driven by a fake person who takes the more colorful picture for
the real one: against a backend far more colorful than the photos (always fooled) and one that leaves them
gray (never fooled), the counts and intervals are known."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QLabel

from desktop.turing.dialog import TuringDialog
from desktop.turing.plan import SKIPPED
from desktop.turing.results_file import FILE_PREFIX, read_results
from fakes import backend_class, flat_samples, make_plugin
from gui_fixtures import make_window, no_leftover_workers, settings_store, slow_plugin  # noqa: F401
from plugins.color import srgb_to_lab

PREPARED_MS = 60_000


def fake_contenders():
    return make_plugin("turing_fakes", backend_class("vivid", flat_samples(60.0), max_samples=1),
                       backend_class("dull", flat_samples(0.0), max_samples=1))


def muted_photos(folder: Path, count: int) -> Path:
    """``count`` different photos of mild color (chroma well under the vivid backend's, well over gray)."""
    folder.mkdir()
    y, x = np.mgrid[0:180, 0:240].astype(np.float32)
    for i in range(count):
        base = 90 + 60 * (x / 240) + 30 * np.sin(y / (12 + 3 * i))
        tint = np.array([1.0 + 0.03 * (i % 4), 0.92, 0.84 + 0.02 * i], np.float32)
        rgb = np.clip(base[..., None] * tint, 0, 255).astype(np.uint8)
        Image.fromarray(rgb).save(folder / f"photo{i}.png")
    return folder


def chroma(rgb: np.ndarray) -> float:
    lab = srgb_to_lab(rgb.astype(np.float32) / 255)
    return float(np.hypot(lab[..., 1], lab[..., 2]).mean())


class FakeChooser:
    """Looks at the two pictures on screen (nothing else) and clicks the more colorful one as the real one."""

    def __init__(self, qtbot, dialog: TuringDialog):
        self.qtbot, self.view = qtbot, dialog.round_view
        self.seen: list[str] = []

    def choose(self) -> None:
        left, right = self.view.left.image, self.view.right.image
        assert left is not None and right is not None and left.shape == right.shape
        self.seen.extend(hashlib.sha1(p.tobytes()).hexdigest() for p in (left, right))
        target = self.view.left if chroma(left) > chroma(right) else self.view.right
        self.qtbot.mouseClick(target, Qt.LeftButton, pos=target.rect().center())


def visible_texts(dialog: TuringDialog) -> str:
    widgets = dialog.findChildren(QLabel) + dialog.findChildren(QAbstractButton)
    texts = [w.text() + " " + w.toolTip() for w in widgets if w.isVisible()]
    return " ".join(texts + [dialog.windowTitle()])


def open_test(qtbot, window, folder: Path, contenders: set[str], rounds: int, shown_s: float) -> TuringDialog:
    window.actions_.turing.trigger()
    dialog = next(d for d in window._dialogs if isinstance(d, TuringDialog))
    qtbot.waitUntil(dialog.isVisible)
    dialog.rng = random.Random(5)  # the same rounds every run
    dialog.setup.folder.setText(str(folder))
    dialog.setup.set_checked(contenders)
    dialog.setup.rounds.setValue(rounds)
    dialog.setup.shown_s.setValue(shown_s)
    assert dialog.setup.start.isEnabled()
    qtbot.mouseClick(dialog.setup.start, Qt.LeftButton)
    qtbot.waitUntil(dialog.prepare_page.begin.isVisible, timeout=PREPARED_MS)
    qtbot.mouseClick(dialog.prepare_page.begin, Qt.LeftButton)
    return dialog


def table_rows(dialog: TuringDialog) -> dict[str, list[str]]:
    table = dialog.results.table
    return {table.item(row, 0).text(): [table.item(row, c).text() for c in range(1, table.columnCount())]
            for row in range(table.rowCount())}


def test_a_full_test_counts_who_fooled_the_person_with_wilson_intervals(qtbot, make_window, tmp_path):
    window = make_window(fake_contenders())
    folder = muted_photos(tmp_path / "photos", 8)
    dialog = open_test(qtbot, window, folder, {"vivid", "dull"}, rounds=8, shown_s=0)
    assert dialog.pages.currentWidget() is dialog.round_view
    chooser = FakeChooser(qtbot, dialog)
    rounds = 0
    while dialog.pages.currentWidget() is dialog.round_view:
        words = visible_texts(dialog)
        assert "vivid" not in words and "dull" not in words  # who made the picture is not told during the test
        chooser.choose()
        rounds += 1
    assert rounds == 8

    # Fooled rate, rounds and the 95 % Wilson interval: 4 of 4 is 51–100 %, 0 of 4 is 0–49 %.
    assert table_rows(dialog) == {"vivid": ["4", "4", "100 %", "51–100 %", "0"],
                                  "dull": ["0", "4", "0 %", "0–49 %", "0"]}
    assert "vivid" in visible_texts(dialog)  # told at the end
    assert dialog.results.best_title.isVisible() and dialog.results.worst_title.isVisible()

    saved = list(folder.glob(f"{FILE_PREFIX}*.csv"))
    assert saved == [dialog.results_file]
    answers = read_results(saved[0])
    assert len(answers) == 8 and len({a.round.photo for a in answers}) == 8  # no photo shown twice
    assert sorted(a.round.contender for a in answers) == ["dull"] * 4 + ["vivid"] * 4
    assert all(a.fooled == (a.round.contender == "vivid") for a in answers)
    assert len(set(chooser.seen)) == 16  # 8 real photos and 8 colorizations, each seen once
    assert {a.round.real_side for a in answers} == {"left", "right"}

    dialog.results.new_test_requested.emit()  # New Test: back to the setup
    assert dialog.pages.currentWidget() is dialog.setup
    dialog.close()


def test_the_pair_hides_the_answer_still_counts_and_a_quit_test_keeps_its_results(qtbot, make_window, tmp_path):
    window = make_window(fake_contenders())
    folder = muted_photos(tmp_path / "photos", 4)
    dialog = open_test(qtbot, window, folder, {"dull"}, rounds=4, shown_s=0.1)
    view = dialog.round_view
    qtbot.waitUntil(lambda: view.left.image is None and view.right.image is None, timeout=5000)
    assert view.waiting  # hidden, still asking
    qtbot.keyClick(view, Qt.Key_Right)
    qtbot.keyClick(view, Qt.Key_S)
    qtbot.keyClick(view, Qt.Key_Escape)
    assert dialog.isVisible() and dialog.pages.currentWidget() is dialog.results
    assert dialog.results.summary.text().startswith("Test stopped early: 1 round answered, 1 skipped")
    answers = read_results(dialog.results_file)
    assert [a.picked for a in answers][1] == SKIPPED and len(answers) == 2
    # answered after the pair hid; Qt's coarse timers may fire a few ms before the 0.1 s are up
    assert answers[0].seconds >= 0.08 and answers[0].shown_s == 0.1
    assert table_rows(dialog)["dull"][1] == "1"  # one round counted; the skip is not
    dialog.close()


def test_closing_the_dialog_while_the_rounds_are_made_stops_the_work(qtbot, make_window, tmp_path):
    window = make_window(slow_plugin(steps=2000, delay_s=0.005))
    folder = muted_photos(tmp_path / "photos", 3)
    window.actions_.turing.trigger()
    dialog = next(d for d in window._dialogs if isinstance(d, TuringDialog))
    dialog.setup.folder.setText(str(folder))
    dialog.setup.set_checked({"slow"})
    assert dialog.prepare()
    qtbot.waitUntil(lambda: window.queue.busy)
    dialog.close()
    qtbot.waitUntil(lambda: not window.queue.busy, timeout=10_000)
    assert dialog.test is None and not list(folder.glob("*.csv"))
    assert dialog.pages.currentWidget() is dialog.setup


def test_closing_the_dialog_during_the_rounds_keeps_the_answers(qtbot, make_window, tmp_path):
    window = make_window(fake_contenders())
    folder = muted_photos(tmp_path / "photos", 3)
    dialog = open_test(qtbot, window, folder, {"vivid", "dull"}, rounds=3, shown_s=0)
    FakeChooser(qtbot, dialog).choose()
    dialog.close()
    saved = list(folder.glob(f"{FILE_PREFIX}*.csv"))
    assert len(saved) == 1 and len(read_results(saved[0])) == 1
