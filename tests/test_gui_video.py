"""The video window: open, scrub, colorize a frame to choose a sample, render with progress, cancel, result link."""

from __future__ import annotations

import time

import numpy as np
import pytest
from fakes import backend_class, flat_samples, make_plugin
from gui_fixtures import host_with, make_window, no_leftover_workers, settings_store  # noqa: F401
from PySide6.QtWidgets import QFileDialog
from video_clips import panning_frames, read_all, write_clip

from desktop.state.settings import ColorizeSettings
from desktop.video_window import VideoWindow, describe_progress
from plugins.color import srgb_to_lab
from plugins.host.video import VideoProgress

FRAMES = 12


@pytest.fixture
def clip(tmp_path):
    return write_clip(tmp_path / "reel.mp4", panning_frames(FRAMES, (96, 64), step=4), fps="12")


@pytest.fixture
def open_window(qtbot, no_leftover_workers):
    windows = []

    def make(path, *plugins, backend_id="testbackend", samples=3):
        settings = ColorizeSettings(backend_id=backend_id, samples=samples, seed=2)
        window = VideoWindow(host_with(*plugins), lambda: settings, path)
        qtbot.addWidget(window)
        windows.append(window)
        window.show()
        qtbot.waitUntil(lambda: window.info is not None and not window.busy, timeout=10_000)
        return window

    yield make
    for window in windows:
        window.close()
    qtbot.waitUntil(lambda: not any(w.busy for w in windows), timeout=10_000)
    no_leftover_workers.check()


def shown_image(window) -> np.ndarray:
    image = window.view.pixmap().toImage().convertToFormat(window.view.pixmap().toImage().Format.Format_RGB888)
    width, height = image.width(), image.height()
    return np.frombuffer(image.constBits(), np.uint8).reshape(height, image.bytesPerLine())[:, : 3 * width].reshape(
        height, width, 3).copy()


def test_opening_shows_the_first_frame_and_what_the_clip_is(open_window, clip):
    window = open_window(clip)
    assert window.slider.maximum() == FRAMES - 1
    assert window.position.text() == f"Frame 1 of {FRAMES}"
    assert "96×64" in window.status.text() and f"{FRAMES} frames" in window.status.text()
    assert window.try_button.isEnabled() and window.render_button.isEnabled() and not window.cancel_button.isEnabled()


def test_scrubbing_shows_the_frame_at_the_slider(qtbot, open_window, clip):
    window = open_window(clip)
    first = shown_image(window)
    window.slider.setValue(8)
    assert window.position.text() == f"Frame 9 of {FRAMES}"
    qtbot.waitUntil(lambda: not np.array_equal(shown_image(window), first), timeout=10_000)
    qtbot.waitUntil(lambda: not window.busy, timeout=10_000)


def test_colorizing_the_frame_offers_its_samples_and_the_choice_colors_the_render(qtbot, open_window, clip, tmp_path):
    window = open_window(clip)
    window.colorize_frame()
    qtbot.waitUntil(lambda: window.sample_list.count() == 3 and not window.busy, timeout=10_000)
    window.sample_list.setCurrentRow(2)
    chosen_view = srgb_to_lab(shown_image(window) / 255.0)[..., 1:].reshape(-1, 2).mean(axis=0)
    assert window.chosen_sample == 2
    target = tmp_path / "out" / "reel.colored.mp4"
    target.parent.mkdir()
    window.render_to(target)
    assert window.cancel_button.isEnabled() and not window.render_button.isEnabled()
    qtbot.waitUntil(lambda: window.result is not None, timeout=20_000)
    qtbot.waitUntil(lambda: not window.busy, timeout=10_000)
    frames = read_all(target)
    assert len(frames) == FRAMES
    rendered = srgb_to_lab(frames[0] / 255.0)[..., 1:].reshape(-1, 2).mean(axis=0)
    assert np.abs(rendered - chosen_view).max() < 4  # the sample chosen on the frame colors the clip
    assert window.progress.value() == window.progress.maximum() == FRAMES
    assert window.result_link.isVisible() and "Open the result" in window.result_link.text()
    assert target.as_uri().split("://")[1] in window.result_link.text()
    assert window.render_button.isEnabled() and not window.cancel_button.isEnabled()


def slow_frames(delay_s: float = 0.05):
    def colorize(self, lightness, options):
        time.sleep(delay_s)
        yield from flat_samples()(self, lightness, options)

    return make_plugin("slow", backend_class("slow", colorize))


def test_cancelling_a_render_leaves_no_file(qtbot, open_window, tmp_path):
    source = write_clip(tmp_path / "long.mp4", panning_frames(80, (96, 64)), fps="12")
    window = open_window(source, slow_frames(), backend_id="slow", samples=1)
    target = tmp_path / "out.mp4"
    window.render_to(target)
    qtbot.waitUntil(lambda: window.progress.value() >= 3, timeout=20_000)
    assert "frames/s" in window.status.text() and "left" in window.status.text()
    window.cancel_button.click()
    qtbot.waitUntil(lambda: not window.busy, timeout=10_000)
    assert window.status.text() == "Cancelled: nothing was written"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["long.mp4"]
    assert window.result is None and not window.result_link.isVisible()


def test_a_clip_that_cannot_be_read_says_so(qtbot, tmp_path, no_leftover_workers):
    bad = tmp_path / "bad.mp4"
    bad.write_text("not a video")
    window = VideoWindow(host_with(), lambda: ColorizeSettings(backend_id="testbackend"), bad)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: not window.busy, timeout=10_000)
    assert window.status.text().startswith("Cannot open bad.mp4: cannot be read")
    assert not window.render_button.isEnabled() and not window.try_button.isEnabled()


def test_the_main_windows_file_menu_opens_a_video(qtbot, make_window, clip, monkeypatch):  # noqa: F811
    window = make_window()
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args, **kwargs: (str(clip), ""))
    window.actions_.open_video.trigger()
    video = next(d for d in window._dialogs if isinstance(d, VideoWindow))
    qtbot.waitUntil(lambda: video.info is not None and not video.busy, timeout=10_000)
    assert video.path == clip and video.backend.currentData() == window.controls.settings().backend_id
    video.close()
    qtbot.waitUntil(lambda: not video.busy, timeout=10_000)


def test_progress_reads_frames_speed_and_time_left():
    assert describe_progress(VideoProgress(30, 300, 7.5)) == "Frame 30 of 300 · 7.5 frames/s · 0:36 left"
    assert describe_progress(VideoProgress(1, 300, 0.0)) == "Frame 1 of 300"


def test_notes_of_the_render_stay_in_view(qtbot, open_window, tmp_path):
    odd = [np.pad(f, ((0, 1), (0, 1), (0, 0)), mode="edge") for f in panning_frames(4, (64, 48))]  # 65×49
    window = open_window(write_clip(tmp_path / "odd.mkv", odd), samples=1)
    window.render_to(tmp_path / "odd.out.mp4")
    qtbot.waitUntil(lambda: window.result is not None and not window.busy, timeout=20_000)
    assert window.notes.isVisible() and "padded by one pixel" in window.notes.text()
    assert window.status.text().startswith("Written:")
