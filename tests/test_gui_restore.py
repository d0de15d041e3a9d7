"""The Restore panel: each step optional, previewed off the GUI thread, a mask brush over the dust and
scratches found; a run with restoration on gives its backend the restored lightness, Save writes it at
full resolution, and the settings and mask edits come back with the session."""

from __future__ import annotations

import json
import threading

import cv2
import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

import desktop.restore_controller as restore_controller
from desktop import file_actions
from desktop.exports import to_uint8
from desktop.hint_tool import HintTool
from desktop.restore_panel import ADD, ERASE
from desktop.state import saved_session
from desktop.state.restoration import MaskStroke, RestoreSettings, apply_strokes, restore_lightness, restore_settings_from
from desktop.state.saved_session import SavedPhoto, SavedRun, SavedSession
from desktop.state.session import DONE
from desktop.state.settings import ColorizeSettings
from fakes import backend_class, flat_samples, make_plugin, ship_restorer
from gui_fixtures import make_window, no_leftover_workers, settings_store  # noqa: F401
from plugins.color import lightness_to_gray, srgb_to_lightness
from plugins.host import PluginHost
from plugins.host.grain import with_grain
from plugins.host.restoration import AUTO_ORDER, Restoration
from plugins.imageio import read_photo
from plugins.restore import denoise, scratches, tone
from plugins.restore.degrade import degrade

STROKE = MaskStroke(((10.0, 12.0), (30.5, 12.0)), 3.0)


def clean_scene(height: int = 150, width: int = 200) -> np.ndarray:
    """Smooth shading with a few soft shapes: something to fade, grain and scratch."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    scene = 35.0 + 30.0 * x / width + 12.0 * np.sin(y / 11.0)
    scene += 18.0 * np.exp(-((x - width * 0.3) ** 2 + (y - height * 0.5) ** 2) / (2 * 18.0**2))
    return np.clip(scene, 0, 100).astype(np.float32)


@pytest.fixture
def scan(tmp_path):
    """A faded, noisy, scratched gray PNG (seeded) and its path."""
    damage = degrade(clean_scene(), np.random.default_rng(5))
    path = tmp_path / "scan.png"
    Image.fromarray(to_uint8(lightness_to_gray(damage.lightness)), "L").save(path)
    return path


def recording_plugin(record: list, options_record: list | None = None):
    """A backend that keeps each lightness (and, given a list, the options) it is given and yields flat-chroma samples."""
    flat = flat_samples(10.0)

    def colorize(self, lightness, options):
        record.append(np.array(lightness))
        if options_record is not None:
            options_record.append(options)
        yield from flat(self, lightness, options)

    return make_plugin("recording_plugin", backend_class("recording", colorize, max_samples=2))


def open_and_wait(qtbot, window, path):
    with qtbot.waitSignal(window.session.photo_loaded, timeout=10_000):
        (doc,) = window.open_paths([path])
    return doc


def restore_panel_out(qtbot, window):
    """Take the Restore panel out and wait for its first preview (the photo as it is, its noise measured)."""
    window.actions_.restore.trigger()
    assert window.restore.active and window.restore_panel.isVisible() and not window.combine.isVisible()
    qtbot.waitUntil(lambda: not window.restore.busy and window.restore.preview() is not None, timeout=10_000)


def wait_for_preview(qtbot, window, doc):
    qtbot.waitUntil(lambda: not window.restore.busy and window.restore.preview(doc) is not None
                    and window.restore.preview(doc).settings == doc.restore, timeout=20_000)
    return window.restore.preview(doc)


def drag(qtbot, viewer, points, button=Qt.LeftButton):
    """A mouse drag over full-resolution photo ``points`` on the photo view."""
    where = [HintTool.widget_point(viewer, x, y).toPoint() for x, y in points]
    qtbot.mousePress(viewer, button, pos=where[0])
    for point in where[1:]:
        qtbot.mouseMove(viewer, point)
    qtbot.mouseRelease(viewer, button, pos=where[-1])


# -- without Qt ---------------------------------------------------------------------------------------------


def test_restore_settings_round_trip_and_a_damaged_entry_takes_its_default():
    settings = RestoreSettings(True, 0.6, True, None, True, 0.3, (STROKE, MaskStroke(((5.0, 5.0),), 8.0, erase=True)))
    assert restore_settings_from(json.loads(json.dumps(settings.to_json()))) == settings
    raw = settings.to_json()
    raw["tone_strength"], raw["denoise_strength"] = 7, "x"
    raw["strokes"].append({"points": [[1, "x"]], "radius": 2})
    loaded = restore_settings_from(raw)
    assert loaded.tone_strength == tone.DEFAULT_STRENGTH and loaded.denoise_strength is None
    assert loaded.strokes == settings.strokes and loaded.scratches_strength == 0.3
    assert settings.steps() == AUTO_ORDER and RestoreSettings(denoise=True).steps() == ("denoise",)
    assert RestoreSettings().summary() == "" and not RestoreSettings().active
    learned = RestoreSettings(tone=True, learned=True, learned_strength=0.5)
    assert restore_settings_from(json.loads(json.dumps(learned.to_json()))) == learned
    assert learned.steps() == ("learned", "tone") and learned.summary() == "learned clean-up, tone"
    assert restore_settings_from({"tone": True}) == RestoreSettings(tone=True)  # a session from before the step


def tiny_restorer(tmp_path, monkeypatch) -> None:
    """The learned step's weights: a network that adds 5 L* (its head's bias), nothing else."""
    import torch

    from plugins.restore.learned_model import RestorerConfig, RestorerNet

    model = RestorerNet(RestorerConfig())
    with torch.no_grad():
        model.head.bias.fill_(0.1)
    ship_restorer(tmp_path, model, monkeypatch)


def test_strokes_add_and_erase_in_their_order_at_any_scale():
    mask = np.zeros((40, 60), bool)
    mask[30, 50] = True
    added = apply_strokes(mask, (STROKE,))
    assert added[12, 10] and added[12, 30] and added[12, 20] and added[30, 50] and not added[20, 20]
    assert not added[12, 36]  # 3 px radius: the stroke ends near x 33
    erased = apply_strokes(mask, (STROKE, MaskStroke(((20.0, 12.0),), 4.0, erase=True), MaskStroke(((50.0, 30.0),), 1.0, True)))
    assert erased[12, 10] and not erased[12, 20] and not erased[30, 50]
    half = apply_strokes(np.zeros((20, 30), bool), (STROKE,), scale=0.5)
    assert half[6, 5] and half[6, 15] and not half[15, 15]


def test_the_panel_restores_as_the_command_line_does():
    """With no mask edits, the GUI's steps give the pixels the host's restoration gives (``tinct colorize --restore``
    with every step, in the order ``auto`` runs them)."""
    lightness = degrade(clean_scene(), np.random.default_rng(2)).lightness
    host = PluginHost.discover([tone, denoise, scratches], entry_points=False)
    expected = Restoration.for_host(host, ",".join(AUTO_ORDER)).run(lightness)  # auto's order, every step
    restored = restore_lightness(lightness, RestoreSettings(tone=True, denoise=True, scratches=True))
    assert np.array_equal(restored.lightness, expected.lightness)
    assert np.array_equal(restored.mask, expected.mask) and restored.mask.any()
    assert not np.allclose(restored.lightness, lightness, atol=1.0)


def test_the_learned_clean_up_runs_first_as_the_command_line_runs_it(tmp_path, monkeypatch):
    from plugins.restore import learned

    tiny_restorer(tmp_path, monkeypatch)
    lightness = degrade(clean_scene(), np.random.default_rng(2)).lightness
    host = PluginHost.discover([learned, tone], entry_points=False)
    expected = Restoration.for_host(host, "learned=0.6,tone").run(lightness)
    restored = restore_lightness(lightness, RestoreSettings(tone=True, learned=True, learned_strength=0.6))
    assert np.array_equal(restored.lightness, expected.lightness)
    cleaned_only = restore_lightness(lightness, RestoreSettings(learned=True)).lightness
    assert abs(float(np.mean(cleaned_only - lightness)) - 5.0) < 0.2
    assert "learned clean-up" in restored.notes[0]


def test_a_learned_clean_up_without_its_weights_is_reported_and_left_out(tmp_path, monkeypatch):
    monkeypatch.setenv("TINCT_MODELS_DIR", str(tmp_path))
    lightness = degrade(clean_scene(), np.random.default_rng(2)).lightness
    restored = restore_lightness(lightness, RestoreSettings(learned=True))
    assert np.array_equal(restored.lightness, lightness)
    assert restored.failures and "learned clean-up failed" in restored.failures[0] and "missing" in restored.failures[0]


# -- the panel ---------------------------------------------------------------------------------------------


def test_toggling_a_step_updates_the_preview_from_a_worker_thread(qtbot, make_window, scan, monkeypatch):
    threads = []
    real = restore_controller.restoring

    def watched(*args, **kwargs):
        threads.append(threading.current_thread())
        return (yield from real(*args, **kwargs))

    monkeypatch.setattr(restore_controller, "restoring", watched)
    window = make_window()
    doc = open_and_wait(qtbot, window, scan)
    restore_panel_out(qtbot, window)
    first = window.restore.preview()
    assert first.noise_sigma > 1.0  # the grain is measured before any step is on
    estimate = denoise.strength_for_sigma(first.noise_sigma)  # what the step would choose: shown before it is on
    assert window.restore_panel.denoise_value.text() == f"{estimate:.2f}"
    assert window.restore_panel.denoise_strength.value() == round(estimate * 100)
    window.restore_panel.tone.click()
    assert doc.restore.tone and window.restore.busy  # the click returned while the preview is being made
    assert window.restore.preview() is first
    preview = wait_for_preview(qtbot, window, doc)
    assert threads and all(t is not threading.main_thread() for t in threads)
    lo, hi = np.percentile(preview.lightness, (1, 99))
    old_lo, old_hi = np.percentile(doc.preview_lightness, (1, 99))
    assert hi - lo > old_hi - old_lo + 10  # the faded range is stretched
    shown = window.restore.preview_image()
    assert shown is not None and shown.size().width() == doc.preview_lightness.shape[1]
    assert "Tone: levels" in window.restore_panel.status.toolTip() and "Colorize" in window.restore_panel.status.text()

    window.restore_panel.denoise.click()
    window.restore_panel.tone.click()  # changed again while the first change is restoring: the newest wins
    final = wait_for_preview(qtbot, window, doc)
    assert doc.restore.denoise and not doc.restore.tone and final.settings == doc.restore
    assert window.restore_panel.denoise_value.text() == f"{denoise.strength_for_sigma(final.noise_sigma):.2f}"
    window.actions_.restore.trigger()
    assert not window.restore.active and window.combine.isVisible() and not window.restore_panel.isVisible()


def test_the_learned_clean_up_is_a_step_of_the_panel(qtbot, make_window, scan, tmp_path, monkeypatch):
    tiny_restorer(tmp_path, monkeypatch)
    window = make_window()
    doc = open_and_wait(qtbot, window, scan)
    restore_panel_out(qtbot, window)
    assert not window.restore_panel.learned_strength.isEnabled()
    window.restore_panel.learned.click()
    preview = wait_for_preview(qtbot, window, doc)
    assert doc.restore.learned and preview.settings.learned and window.restore_panel.learned_strength.isEnabled()
    assert abs(float(np.mean(preview.lightness - doc.preview_lightness)) - 5.0) < 0.5
    assert window.restore_panel.learned_value.text() == "1.00"
    assert "cleaned photo's noise" in window.restore_panel.denoise_auto.text()  # the noise the denoiser would get


def test_a_tinted_scan_is_said_to_be_reduced_to_its_lightness(qtbot, make_window, tmp_path):
    gray = to_uint8(lightness_to_gray(clean_scene())).astype(np.float32)
    sepia = np.dstack([gray * 1.0, gray * 0.86, gray * 0.66]).clip(0, 255).astype(np.uint8)
    path = tmp_path / "sepia.png"
    Image.fromarray(sepia, "RGB").save(path)
    window = make_window()
    open_and_wait(qtbot, window, path)
    restore_panel_out(qtbot, window)
    assert "tinted" in window.restore_panel.tint_note.text() and "lightness" in window.restore_panel.tint_note.text()


def test_the_mask_brush_adds_to_and_erases_from_the_mask(qtbot, make_window, scan):
    window = make_window()
    doc = open_and_wait(qtbot, window, scan)
    restore_panel_out(qtbot, window)
    window.restore_panel.scratches.click()
    found = wait_for_preview(qtbot, window, doc)
    assert found.detected is not None and found.detected.any() and np.array_equal(found.mask, found.detected)
    window.restore_panel.add.click()
    assert window.restore.mask_mode == ADD and window.restore.overlay() is not None
    viewer = window.viewer

    distances = cv2.distanceTransform((~found.detected).astype(np.uint8), cv2.DIST_L2, 3)
    y, x = np.unravel_index(np.argmax(distances), distances.shape)  # the pixel farthest from any defect
    drag(qtbot, viewer, [(x - 4.0, y), (x + 4.0, y)])
    assert len(doc.restore.strokes) == 1 and not doc.restore.strokes[0].erase
    assert doc.restore.strokes[0].radius == pytest.approx(window.restore_panel.brush_radius())
    overlay = window.restore.overlay()
    assert overlay.pixelColor(int(x), int(y)).alpha() > 0  # drawn at once, before the preview is made again
    added = wait_for_preview(qtbot, window, doc)
    assert added.mask[y, x] and not added.detected[y, x]

    dy, dx = [int(v) for v in np.argwhere(found.detected)[len(np.argwhere(found.detected)) // 2]]
    assert not np.isclose(added.lightness[dy, dx], added.before_fill[dy, dx])  # filled
    window.restore_panel.erase.click()
    assert window.restore.mask_mode == ERASE
    window.restore_panel.brush.setValue(70)
    drag(qtbot, viewer, [(float(dx), float(dy))])
    assert doc.restore.strokes[-1].erase
    erased = wait_for_preview(qtbot, window, doc)
    assert not erased.mask[dy, dx] and erased.lightness[dy, dx] == erased.before_fill[dy, dx]  # left as it was
    assert erased.mask[y, x]

    window.restore_panel.undo.click()
    assert len(doc.restore.strokes) == 1 and window.restore_panel.redo.isEnabled()
    window.restore_panel.clear.click()
    assert doc.restore.strokes == ()
    assert np.array_equal(wait_for_preview(qtbot, window, doc).mask, found.detected)


# -- colorizing, saving and the session ----------------------------------------------------------------------


def test_a_run_with_restoration_gives_its_backend_the_restored_lightness_and_save_writes_it(qtbot, make_window, scan,
                                                                                            tmp_path):
    record: list[np.ndarray] = []
    options_record: list = []
    window = make_window(recording_plugin(record, options_record), samples=1)
    window.controls.backend.setCurrentIndex(window.controls.backend.findData("recording"))
    doc = open_and_wait(qtbot, window, scan)
    restore_panel_out(qtbot, window)
    for box in (window.restore_panel.tone, window.restore_panel.denoise, window.restore_panel.scratches):
        box.click()
    wait_for_preview(qtbot, window, doc)
    settings = doc.restore
    original = read_photo(scan).lightness
    expected = restore_lightness(original, settings).lightness

    run = window.colorize_current()
    assert not window.restore.active  # the panel gives way: the samples show as they come
    qtbot.waitUntil(lambda: run.state == DONE and not window.queue.busy, timeout=20_000)
    assert run.restoration == settings and "restored" in run.label()
    [given], [options] = record, options_record
    # the backend sees the restored lightness with the pipeline's grain; the results are merged without it
    assert np.allclose(given, with_grain(expected, options.working_size, options.seed), atol=1e-4)
    assert np.abs(given - expected).mean() < np.abs(given - original).mean() / 2
    shown = srgb_to_lightness(run.samples[0].preview / 255.0)
    assert np.abs(shown - run.lightness).mean() < np.abs(shown - doc.preview_lightness).mean() / 4  # merged on restored L

    target = tmp_path / "out" / "scan.restored.png"
    target.parent.mkdir()
    with qtbot.waitSignal(window.queue.saved, timeout=20_000):
        assert file_actions.save_result(window, target)
    saved = read_photo(target).lightness
    assert saved.shape == original.shape
    assert np.abs(saved - expected).mean() < 0.6
    assert np.abs(saved - original).mean() > 5 * np.abs(saved - expected).mean()

    session = window.session
    session.set_restoration(doc, RestoreSettings())  # a later change leaves the run made as it was
    assert doc.lightness_for(run) is run.lightness and run.restoration == settings
    second = window.colorize_current()
    qtbot.waitUntil(lambda: second.state == DONE and not window.queue.busy, timeout=20_000)
    assert second.restoration is None and np.allclose(record[-1], original)


def test_the_session_keeps_the_restoration_and_mask_edits(qtbot, make_window, scan, tmp_path):
    kept = SavedSession((SavedPhoto(tmp_path / "a.png", (SavedRun(ColorizeSettings("testbackend", 1, 3), "1", 1,
                                                                          restoration=RestoreSettings(scratches=True,
                                                                                                      strokes=(STROKE,))),),
                                    0, restoration=RestoreSettings(tone=True, tone_strength=0.4, strokes=(STROKE,))),), 0)
    assert saved_session.from_json(json.loads(json.dumps(saved_session.to_json(kept)))) == kept

    record: list[np.ndarray] = []
    first = make_window(recording_plugin(record), samples=1)
    first.controls.backend.setCurrentIndex(first.controls.backend.findData("recording"))
    doc = open_and_wait(qtbot, first, scan)
    first.session.set_restoration(doc, RestoreSettings(scratches=True, scratches_strength=0.7, strokes=(STROKE,)))
    run = first.colorize_current()
    qtbot.waitUntil(lambda: run.state == DONE and not first.queue.busy, timeout=20_000)
    first.session.set_restoration(doc, doc.restore.with_changes(tone=True))  # for the next run
    photo_settings, run_settings = doc.restore, run.restoration
    first.session.mark_saved(doc, doc.edits)
    assert first.close()

    second = make_window(recording_plugin(record), samples=1)
    second.offer_reopen()
    [offer] = [n for n in second.notices.open if n.title == "Reopen your last session?"]
    card = next(c for c in second.notifications.cards() if c.notice is offer)
    next(b for b in card.findChildren(QPushButton) if b.text() == "Reopen").click()
    again_doc = second.session.current
    again = again_doc.current_run
    qtbot.waitUntil(lambda: again.state == DONE and not second.queue.busy, timeout=20_000)
    assert again_doc.restore == photo_settings and again.restoration == run_settings
    assert np.array_equal(record[-1], record[0])  # the run's own restoration, strokes and all, made again
    assert not np.allclose(record[0], read_photo(scan).lightness, atol=0.5)
    second.actions_.restore.trigger()
    assert second.restore_panel.tone.isChecked() and second.restore_panel.scratches.isChecked()
    assert second.restore_panel.scratches_strength.value() == 70 and second.restore_panel.undo.isEnabled()
    qtbot.waitUntil(lambda: not second.restore.busy, timeout=20_000)
