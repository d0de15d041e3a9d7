"""Color hints and the reference photo in the window, offscreen, with the test backend: the hint tool
(click, drag, right-click, Delete, undo and redo), the color chooser (suggestions, recent colors, the
eyedropper, the full dialog), the result updating after each edit, the kept session and Save."""

from __future__ import annotations

import numpy as np
import tinct_testbackend
from PIL import Image
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QPushButton

from desktop import file_actions, hint_rerun
from desktop.state import SettingsStore
from desktop.state.session import DONE
from fakes import backend_class, make_plugin
from gui_fixtures import gray_photo, make_window, no_leftover_workers, settings_store  # noqa: F401
from plugins import Sample
from plugins.color import srgb_to_lab
from plugins.types import Capability, ColorizerInfo

RED = "#c8321e"


def hue(rgb: np.ndarray) -> float:
    lab = srgb_to_lab(np.asarray(rgb, np.float32).reshape(-1, 3) / 255.0)
    return float(np.degrees(np.arctan2(lab[:, 2].mean(), lab[:, 1].mean())) % 360)


def hue_of_hex(color: str) -> float:
    return hue(np.array([[int(color[i:i + 2], 16) for i in (1, 3, 5)]]))


def sample_hue(seed: int, index: int, samples: int) -> float:
    return float(np.degrees(tinct_testbackend.sample_hue(seed, index, samples)) % 360)


def near(a: float, b: float, tolerance: float = 6.0) -> bool:
    return abs((a - b + 180) % 360 - 180) <= tolerance


def open_and_colorize(qtbot, window, photo, samples: int):
    with qtbot.waitSignal(window.session.photo_loaded, timeout=10_000):
        (doc,) = window.open_paths([photo])
    run = window.colorize_current()
    qtbot.waitUntil(lambda: run.state == DONE and len(run.samples) == samples and not window.queue.busy, timeout=10_000)
    return doc, run


def settled(qtbot, window, doc) -> None:
    """Wait until every sample of ``doc`` shows its current hints."""
    renderer = window.hints.renderer
    qtbot.waitUntil(lambda: not renderer.rendering and not renderer.pending(doc), timeout=10_000)


def at(window, x: float, y: float) -> QPoint:
    """The viewer's widget point over the full-resolution photo pixel ``(x, y)``."""
    return window.hints.tool.widget_point(window.viewer, x, y).toPoint()


def click(qtbot, window, x: float, y: float, button=Qt.LeftButton) -> None:
    qtbot.mouseClick(window.viewer, button, pos=at(window, x, y))


def drag(qtbot, window, start, end) -> None:
    qtbot.mousePress(window.viewer, Qt.LeftButton, pos=at(window, *start))
    for step in (0.25, 0.5, 0.75, 1.0):
        QTest.mouseMove(window.viewer, at(window, start[0] + step * (end[0] - start[0]), start[1] + step * (end[1] - start[1])))
    qtbot.mouseRelease(window.viewer, Qt.LeftButton, pos=at(window, *end))


def shown_after(window) -> np.ndarray:
    """The result the viewer shows, as RGB pixels."""
    image = window.viewer._after.toImage().convertToFormat(QImage.Format_RGB888)
    array = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    return array[:, :image.width() * 3].reshape(image.height(), image.width(), 3)


# -- the tool on the photo ---------------------------------------------------------------------------------


def test_click_adds_a_hint_where_clicked_and_the_result_updates_to_its_color(qtbot, make_window, gray_photo):
    window = make_window(samples=2)
    doc, run = open_and_colorize(qtbot, window, gray_photo(size=(160, 120)), 2)
    window.actions_.hint_tool.trigger()
    assert window.hints.active and window.hint_panel.isVisible() and not window.combine.isVisible()
    before = run.samples[run.viewed].preview.copy()
    click(qtbot, window, 40, 30)
    (hint,) = doc.hints.hints
    assert abs(hint.x - 40) <= 1 and abs(hint.y - 30) <= 1 and hint.radius >= 1
    assert window.hints.selected == 0 and doc.unsaved
    assert near(hue_of_hex(hint.color), sample_hue(run.settings.seed, run.viewed, 2)), "a new hint: the color shown there"
    settled(qtbot, window, doc)
    window.hints.apply_color(RED)
    settled(qtbot, window, doc)
    sample = run.samples[run.viewed]
    assert sample.guided_by is not None and not np.array_equal(sample.ab, sample.own_ab)
    assert near(hue(sample.preview[28:33, 38:43]), hue_of_hex(RED)), "the result takes the hint's color there"
    assert not np.array_equal(sample.preview, before)
    assert near(hue(shown_after(window)[28:33, 38:43]), hue_of_hex(RED)), "and the viewer shows it"
    assert near(hue(run.samples[1 - run.viewed].preview[28:33, 38:43]), hue_of_hex(RED)), "every sample gets the hints"


def test_drag_moves_a_hint_right_click_and_delete_remove_and_undo_redo_take_them_back(qtbot, make_window, gray_photo):
    window = make_window(samples=1)
    doc, run = open_and_colorize(qtbot, window, gray_photo(size=(160, 120)), 1)
    window.hints.set_active(True)
    click(qtbot, window, 30, 30)
    click(qtbot, window, 120, 90)
    assert len(doc.hints) == 2 and window.hints.selected == 1
    drag(qtbot, window, (30, 30), (60, 40))
    moved = doc.hints.hints[0]
    assert abs(moved.x - 60) <= 1.5 and abs(moved.y - 40) <= 1.5 and window.hints.selected == 0
    click(qtbot, window, 120, 90, Qt.RightButton)
    assert len(doc.hints) == 1 and doc.hints.hints[0] == moved
    window.hints.select_hint(0)
    QTest.keyClick(window.viewer, Qt.Key_Delete)
    assert len(doc.hints) == 0 and not window.actions_.delete_hint.isEnabled()
    assert window.actions_.undo.isEnabled() and window.actions_.undo.text() == "&Undo Hint"
    window.actions_.undo.trigger()  # Ctrl+Z: the same Undo as the brush strokes'
    assert doc.hints.hints == (moved,)
    window.actions_.undo.trigger()
    assert len(doc.hints) == 2
    window.actions_.undo.trigger()  # the whole drag is one edit
    assert abs(doc.hints.hints[0].x - 30) <= 1 and abs(doc.hints.hints[0].y - 30) <= 1
    window.actions_.redo.trigger()
    assert doc.hints.hints[0] == moved
    window.hints.select_hint(1)
    assert window.actions_.delete_hint.isEnabled()
    window.actions_.delete_hint.trigger()  # Edit ▸ Delete Hint (Delete wherever the focus is)
    assert doc.hints.hints == (moved,)
    settled(qtbot, window, doc)
    window.hints.clear_hints()
    settled(qtbot, window, doc)
    sample = run.samples[0]
    assert sample.guided_by is None and sample.backend_ab is None, "no hints left: the backend's own colors again"
    assert near(hue(sample.preview), sample_hue(run.settings.seed, 0, 1))


def test_quick_edits_are_coalesced_and_only_the_latest_is_shown(qtbot, make_window, gray_photo):
    window = make_window(samples=3)
    doc, run = open_and_colorize(qtbot, window, gray_photo(size=(160, 120)), 3)
    window.hints.set_active(True)
    click(qtbot, window, 80, 60)
    guided = []
    window.session.sample_guided.connect(lambda d, r, sample: guided.append(sample.guided_by))
    for x in range(20, 140, 10):  # a drag's worth of moves, faster than a render
        window.hints.move_hint(0, x, 60, record=False)
    settled(qtbot, window, doc)
    current = window.hints.renderer.guide_for(doc, run)
    assert all(sample.guided_by == current for sample in run.samples.values())
    assert len(guided) < 3 * 13, "stale renders were stopped, not all finished"
    assert guided[-3:] == [current] * 3


# -- the color chooser ---------------------------------------------------------------------------------------


def test_the_chooser_suggests_the_samples_colors_and_remembers_recent_ones(qtbot, make_window, gray_photo, settings_store):
    window = make_window(samples=3)
    doc, run = open_and_colorize(qtbot, window, gray_photo(size=(160, 120)), 3)
    window.hints.set_active(True)
    click(qtbot, window, 50, 50)
    swatches = window.hint_panel.suggested.swatches()
    seed = run.settings.seed
    assert sorted(round(hue_of_hex(s.color)) for s in swatches) == sorted(
        round(hue_of_hex(c)) for c in window.hints.suggestions()) and len(swatches) == 3
    assert all(any(near(hue_of_hex(s.color), sample_hue(seed, k, 3)) for s in swatches) for k in range(3))
    third = next(s for s in swatches if near(hue_of_hex(s.color), sample_hue(seed, 2, 3)))
    qtbot.mouseClick(third, Qt.LeftButton)
    assert doc.hints.hints[0].color == third.color
    assert settings_store.state.recent_colors[0] == third.color
    assert [s.color for s in window.hint_panel.recent.swatches()][0] == third.color
    settings_store.save()
    assert SettingsStore(settings_store.path).state.recent_colors[0] == third.color, "kept between starts"
    dialog = window.hints.open_color_dialog()
    dialog.setCurrentColor(RED)
    dialog.accept()
    assert doc.hints.hints[0].color == RED and settings_store.state.recent_colors[:2] == [RED, third.color]


def test_the_eyedropper_picks_from_a_sample_tile_and_from_the_reference(qtbot, make_window, gray_photo, tmp_path):
    window = make_window(samples=3)
    doc, run = open_and_colorize(qtbot, window, gray_photo(size=(160, 120)), 3)
    window.hints.set_active(True)
    click(qtbot, window, 50, 50)
    viewed = run.viewed
    qtbot.mouseClick(window.hint_panel.eyedropper, Qt.LeftButton)
    assert window.hints.picking
    rect = window.samples.picture_rect(2)
    qtbot.mouseClick(window.samples.viewport(), Qt.LeftButton, pos=rect.center().toPoint())
    assert near(hue_of_hex(doc.hints.hints[0].color), sample_hue(run.settings.seed, 2, 3))
    assert run.viewed == viewed and not window.hints.picking, "the pick views nothing and is done"
    reference = tmp_path / "green.png"
    Image.fromarray(np.full((60, 80, 3), (40, 160, 60), np.uint8)).save(reference)
    with qtbot.waitSignal(window.session.hints_changed, check_params_cb=lambda d: d.reference.lab is not None,
                          timeout=10_000):
        window.hints.references.use(reference)
    assert window.reference_view.isVisible()
    window.hints.set_picking(True)
    qtbot.mouseClick(window.reference_view, Qt.LeftButton, pos=window.reference_view.image_rect().center().toPoint())
    assert near(hue_of_hex(doc.hints.hints[0].color), hue_of_hex("#28a03c"))


# -- the reference photo ---------------------------------------------------------------------------------------


def test_a_reference_photo_shows_beside_the_photo_and_gives_its_colors(qtbot, make_window, gray_photo, tmp_path):
    window = make_window(samples=1)
    doc, run = open_and_colorize(qtbot, window, gray_photo(size=(160, 120)), 1)
    reference = tmp_path / "red.png"
    Image.fromarray(np.dstack([np.linspace(150, 230, 80)[None, :].repeat(60, 0), np.full((60, 80), 40),
                               np.full((60, 80), 30)]).astype(np.uint8)).save(reference)
    window.hints.references.use(reference)
    qtbot.waitUntil(lambda: doc.reference.lab is not None, timeout=10_000)
    settled(qtbot, window, doc)
    assert window.reference_view.isVisible() and window.reference_view.name == "red.png"
    assert near(hue(run.samples[0].preview), hue(np.array([[190, 40, 30]])), 12)
    assert doc.unsaved and window.actions_.remove_reference.isEnabled()
    window.actions_.remove_reference.trigger()
    settled(qtbot, window, doc)
    assert not window.reference_view.isVisible()
    assert near(hue(run.samples[0].preview), sample_hue(run.settings.seed, 0, 1))


def test_a_backend_that_takes_hints_itself_gets_them_and_the_host_leaves_its_samples_alone(qtbot, make_window, gray_photo):
    seen = []

    def colorize(self, lightness, options):
        seen.append(options.hints)
        yield Sample(0, np.full((30, 40, 2), 5.0, np.float32))

    cls = backend_class("guided", colorize, max_samples=1)
    cls.info = ColorizerInfo(id="guided", name="guided", version="1", license="MIT", capabilities={Capability.HINTS})
    window = make_window(make_plugin("guided_plugin", cls), samples=1)
    with qtbot.waitSignal(window.session.photo_loaded, timeout=10_000):
        (doc,) = window.open_paths([gray_photo(size=(160, 120))])
    window.hints.set_active(True)
    click(qtbot, window, 40, 30)
    window.controls.backend.setCurrentIndex(window.controls.backend.findData("guided"))
    run = window.colorize_current()
    qtbot.waitUntil(lambda: run.state == DONE and not window.queue.busy, timeout=10_000)
    assert len(seen[0]) == 1 and abs(seen[0][0].x - doc.hints.hints[0].x) < 1e-6
    settled(qtbot, window, doc)
    assert run.samples[0].guided_by is None and np.all(run.samples[0].ab == 5.0)
    assert "takes hints itself" in window.hint_panel.message.text()
    # an edit runs it again by itself, once the edits pause, with the new hints
    click(qtbot, window, 100, 80)
    click(qtbot, window, 120, 90)
    qtbot.waitUntil(lambda: len(doc.runs) == 2 and doc.runs[-1].state == DONE and not window.queue.busy, timeout=10_000)
    assert len(seen) == 2 and len(seen[1]) == 3  # the two quick edits made one run, with all three hints
    assert doc.current_run is doc.runs[-1] and doc.current_run.settings == run.settings
    qtbot.wait(2 * hint_rerun.PAUSE_MS)
    assert len(doc.runs) == 2  # up to date: nothing more runs
    window.session.show_run(doc, run)  # looking back at the first run, made with one hint, starts none
    qtbot.wait(2 * hint_rerun.PAUSE_MS)
    assert len(doc.runs) == 2 and doc.current_run is run


# -- kept and saved ------------------------------------------------------------------------------------------------


def test_hints_and_the_reference_are_kept_with_the_session(qtbot, make_window, gray_photo, tmp_path):
    first = make_window(samples=1)
    doc, run = open_and_colorize(qtbot, first, gray_photo(size=(160, 120)), 1)
    first.hints.set_active(True)
    click(qtbot, first, 40, 30)
    first.hints.apply_color(RED)
    reference = tmp_path / "ref.png"
    Image.fromarray(np.full((40, 40, 3), (200, 180, 40), np.uint8)).save(reference)
    first.hints.references.use(reference)
    qtbot.waitUntil(lambda: doc.reference.lab is not None, timeout=10_000)
    settled(qtbot, first, doc)
    kept_hints, shown = doc.hints.hints, run.samples[0].preview
    first.ask_to_quit = lambda count, reply: reply(True)
    assert first.close()

    second = make_window(samples=1)
    second.offer_reopen()
    [offer] = [n for n in second.notices.open if n.title == "Reopen your last session?"]
    card = next(c for c in second.notifications.cards() if c.notice is offer)
    next(b for b in card.findChildren(QPushButton) if b.text() == "Reopen").click()
    again = second.session.current
    qtbot.waitUntil(lambda: again.reference is not None and again.reference.lab is not None
                    and again.current_run is not None and again.current_run.state == DONE, timeout=10_000)
    settled(qtbot, second, again)
    assert again.hints.hints == kept_hints and again.reference.path == reference.resolve()
    assert second.reference_view.isVisible()
    assert np.abs(again.current_run.samples[0].preview.astype(int) - shown).max() <= 1, "the same result as before"
    second.ask_to_quit = lambda count, reply: reply(True)


def test_save_writes_the_hints_at_full_resolution_even_right_after_an_edit(qtbot, make_window, gray_photo, tmp_path):
    window = make_window(samples=1)
    doc, run = open_and_colorize(qtbot, window, gray_photo(size=(320, 240)), 1)
    window.hints.set_active(True)
    click(qtbot, window, 80, 60)
    settled(qtbot, window, doc)
    window.hints.apply_color(RED)  # and save at once, while the hint's color is still being applied
    assert window.hints.renderer.pending(doc)
    target = tmp_path / "hinted.png"
    with qtbot.waitSignal(window.queue.saved, timeout=10_000):
        assert file_actions.save_result(window, target)
    with Image.open(target) as saved:
        assert saved.size == (320, 240)
        pixels = np.asarray(saved.convert("RGB"))
    assert near(hue(pixels[56:65, 76:85]), hue_of_hex(RED)), "the hint's color, at full resolution"
    assert not doc.unsaved


def test_hints_given_before_colorizing_apply_to_the_run_and_the_combined_mix_follows(qtbot, make_window, gray_photo):
    window = make_window(samples=2)
    with qtbot.waitSignal(window.session.photo_loaded, timeout=10_000):
        (doc,) = window.open_paths([gray_photo(size=(160, 120))])
    window.hints.set_active(True)
    click(qtbot, window, 20, 60)
    window.hints.apply_color(RED)
    run = window.colorize_current()
    qtbot.waitUntil(lambda: run.state == DONE and not window.queue.busy, timeout=10_000)
    settled(qtbot, window, doc)
    assert all(near(hue(sample.preview[58:63, 18:23]), hue_of_hex(RED)) for sample in run.samples.values())
    window.hints.set_active(False)
    window.set_combining(True)
    window.view_sample(1)
    with qtbot.waitSignal(window.session.combine_changed, check_params_cb=lambda d, r: r.combined_preview is not None,
                          timeout=10_000):
        window.paint_stroke([(0.9, 0.5)])
    window.set_combining(False)
    window.hints.move_hint(0, 140, 60)  # under the stroke, which paints sample 2
    settled(qtbot, window, doc)
    qtbot.waitUntil(lambda: run.combined_preview is not None, timeout=10_000)
    assert near(hue(run.combined_preview[58:63, 138:143]), hue_of_hex(RED)), "the mix is made again from the guided samples"
