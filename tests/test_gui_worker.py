"""The background work: the generator worker, and the job queue driving real jobs against the test backend."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import tinct_testbackend
from PIL import Image

from desktop import worker
from desktop import job_queue
from desktop.job_queue import JobQueue
from desktop.messages import BatchRequest, Chroma, GpuOutOfMemory, SaveRequest
from desktop.state import ColorizeSettings, Notices, Session
from desktop.state.session import CANCELLED, DONE, FAILED, QUEUED
from fakes import backend_class, make_plugin
from gui_fixtures import gray_photo, host_with, no_leftover_workers, slow_plugin  # noqa: F401
from plugins import ColorizerInfo, Progress, Sample
from plugins.color import srgb_to_lab
from plugins.host import runner

ROOT = Path(__file__).resolve().parents[1]
TEST_SETTINGS = ColorizeSettings(backend_id="testbackend", samples=3, seed=5, device="cpu")


@pytest.fixture
def queue(qtbot):
    session, notices = Session(), Notices()
    job_queue = JobQueue(session, notices)
    yield job_queue
    job_queue.shutdown()


def hue_degrees(rgb: np.ndarray) -> float:
    lab = srgb_to_lab(rgb.reshape(-1, 3).astype(np.float32) / 255.0)
    return float(np.degrees(np.arctan2(lab[:, 2].mean(), lab[:, 1].mean())) % 360)


def expected_hue(seed: int, index: int, samples: int) -> float:
    return float(np.degrees(tinct_testbackend.sample_hue(seed, index, samples)) % 360)


def hue_close(measured: float, expected: float, tolerance: float = 6.0) -> bool:
    return abs((measured - expected + 180) % 360 - 180) <= tolerance


# -- the generator worker ----------------------------------------------------------------------


def test_a_worker_reports_each_yield_then_the_return_value(qtbot):
    def job():
        yield 1
        yield None  # a cancel point only
        yield 2
        return "done"

    seen, returned = [], []
    task = worker.GeneratorWorker(job)
    task.yielded.connect(seen.append)
    task.returned.connect(returned.append)
    with qtbot.waitSignals([task.started, task.returned, task.finished], order="strict", timeout=5000):
        task.start()
    assert seen == [1, 2] and returned == ["done"]


def test_an_exception_becomes_errored_and_is_never_raised(qtbot):
    def job():
        yield 1
        raise ValueError("bad input")

    task = worker.GeneratorWorker(job)
    with qtbot.waitSignal(task.errored, timeout=5000) as blocker, qtbot.waitSignal(task.finished, timeout=5000):
        task.start()
    assert isinstance(blocker.args[0], ValueError)


def test_quit_stops_at_the_next_yield_and_runs_finally(qtbot):
    state = {"yields": 0, "closed": False}
    gate = threading.Event()

    def job():
        try:
            while True:
                state["yields"] += 1
                yield state["yields"]
                gate.wait(5)  # the job goes on until the GUI has asked it to quit
        finally:
            state["closed"] = True

    task = worker.GeneratorWorker(job)
    task.yielded.connect(lambda _value: (task.quit(), gate.set()))
    with qtbot.waitSignals([task.aborted, task.finished], order="strict", timeout=5000):
        task.start()
    # The worker sees the quit before asking for value 2, or right after it (a race with the GUI thread);
    # a job that was not stopped would go on yielding without end once the gate is open.
    assert state["closed"] and state["yields"] <= 2


# -- colorize through the queue --------------------------------------------------------------------


def test_samples_arrive_one_by_one_from_a_thread_that_is_not_the_gui_thread(qtbot, queue, gray_photo):
    record = {}
    queue.set_host(host_with(slow_plugin(steps=3, delay_s=0, record=record)))
    (doc,) = queue.session.open([gray_photo()])
    with qtbot.waitSignals([queue.session.sample_added] * 2, timeout=10_000):
        run = queue.colorize(doc, ColorizeSettings(backend_id="slow", samples=2, device="cpu"))
    qtbot.waitUntil(lambda: run.state == DONE and not queue.busy, timeout=5000)
    assert record["thread"] is not threading.main_thread()
    assert sorted(run.samples) == [0, 1]
    sample = run.samples[0]
    assert sample.preview.shape[:2] == doc.preview_lightness.shape == (120, 160)
    assert sample.ab.shape[2] == 2 and max(sample.thumbnail.shape[:2]) <= worker.THUMBNAIL_LONG_SIDE


def test_the_test_backend_samples_have_their_known_hues(qtbot, queue, gray_photo):
    queue.set_host(host_with())
    (doc,) = queue.session.open([gray_photo()])
    with qtbot.waitSignals([queue.session.sample_added] * 3, timeout=10_000):
        run = queue.colorize(doc, TEST_SETTINGS)
    qtbot.waitUntil(lambda: not queue.busy, timeout=5000)
    for index, sample in run.samples.items():
        assert hue_close(hue_degrees(sample.preview), expected_hue(5, index, 3))


def test_cancel_mid_run_stops_the_backend_and_leaves_the_queue_ready(qtbot, queue, gray_photo):
    record = {}
    queue.set_host(host_with(slow_plugin(steps=2000, delay_s=0.002, record=record)))
    (doc,) = queue.session.open([gray_photo()])
    run = queue.colorize(doc, ColorizeSettings(backend_id="slow", samples=2, device="cpu"))
    qtbot.waitUntil(lambda: run.progress > 0.01, timeout=10_000)
    with qtbot.waitSignal(queue.lane_changed, check_params_cb=lambda: not queue.busy, timeout=5000):
        queue.cancel(run)
    assert run.state == CANCELLED and not run.samples
    assert record["closed_at"] < 1999, "the backend's generator was closed early"
    with qtbot.waitSignals([queue.session.sample_added] * 3, timeout=10_000):
        again = queue.colorize(doc, TEST_SETTINGS)
    qtbot.waitUntil(lambda: again.state == DONE and not queue.busy, timeout=5000)


def test_a_second_photo_waits_in_the_queue(qtbot, queue, gray_photo):
    queue.set_host(host_with(slow_plugin(steps=40, delay_s=0.002)))
    first, second = queue.session.open([gray_photo("a.png"), gray_photo("b.png")])
    settings = ColorizeSettings(backend_id="slow", samples=1, device="cpu")
    run_a = queue.colorize(first, settings)
    run_b = queue.colorize(second, settings)
    assert run_b.state == QUEUED and len(queue.pending) == 1
    qtbot.waitUntil(lambda: run_a.state == DONE and run_b.state == DONE and not queue.busy, timeout=10_000)


def test_gpu_out_of_memory_offers_a_retry_on_the_cpu(qtbot, queue, gray_photo, monkeypatch):
    def colorize(self, lightness, options):
        if options.device != "cpu":
            raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
        yield Sample(0, np.full((8, 8, 2), 5.0, np.float32))

    cls = backend_class("hungry", colorize, max_samples=1)
    cls.info = ColorizerInfo(id="hungry", name="hungry", version="1", license="MIT", devices=("cpu", "cuda"))
    monkeypatch.setattr(runner, "resolve_device", lambda requested, supported: "cpu" if requested == "cpu" else "cuda")
    queue.set_host(host_with(make_plugin("hungry_plugin", cls)))
    (doc,) = queue.session.open([gray_photo()])
    with qtbot.waitSignal(queue.notices.posted, timeout=10_000) as posted:
        run = queue.colorize(doc, ColorizeSettings(backend_id="hungry", samples=1, device="auto"))
    qtbot.waitUntil(lambda: not queue.busy, timeout=5000)
    notice = posted.args[0]
    assert run.state == FAILED and "out of memory" in run.error
    assert [action.label for action in notice.actions] == ["Retry on CPU"]
    notice.actions[0].callback()
    retry = doc.current_run
    qtbot.waitUntil(lambda: retry.state == DONE and not queue.busy, timeout=10_000)
    assert retry.settings.device == "cpu" and retry.samples


def test_out_of_memory_is_recognised_through_the_plugin_error_chain():
    try:
        try:
            raise RuntimeError("CUDA out of memory")
        except RuntimeError as inner:
            raise ValueError("hungry failed") from inner
    except ValueError as outer:
        assert worker.is_out_of_memory(outer)


def test_gpu_out_of_memory_names_the_device_and_the_backend_error():
    error = GpuOutOfMemory("cuda", RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB"))
    assert error.device == "cuda"
    assert str(error) == "the CUDA ran out of memory (RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB)"


def test_batch_skips_and_lists_a_bad_photo(qtbot, queue, gray_photo, tmp_path):
    queue.set_host(host_with())
    good = [gray_photo("a.png"), gray_photo("b.png")]
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"not a jpeg at all")
    out = tmp_path / "out"
    out.mkdir()
    request = BatchRequest((good[0], bad, good[1]), TEST_SETTINGS.with_changes(samples=2), out, "png")
    with qtbot.waitSignal(queue.batch_finished, timeout=20_000) as finished:
        queue.batch(request)
    qtbot.waitUntil(lambda: not queue.busy, timeout=5000)
    result = finished.args[0]
    assert [path.name for path, _reason in result.failed] == ["broken.jpg"]
    assert sorted(p.name for p in out.iterdir()) == [
        "a.testbackend.1.png", "a.testbackend.2.png", "b.testbackend.1.png", "b.testbackend.2.png",
    ]  # fmt: skip


def test_batch_keeps_an_earlier_partial_result_and_writes_the_rest(qtbot, queue, gray_photo, tmp_path):
    queue.set_host(host_with())
    photo = gray_photo("a.png")
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.testbackend.1.png").write_bytes(b"left by a cancelled batch")
    request = BatchRequest((photo,), TEST_SETTINGS.with_changes(samples=2), out, "png")
    with qtbot.waitSignal(queue.batch_finished, timeout=20_000) as finished:
        queue.batch(request)
    result = finished.args[0]
    assert result.failed == [] and [p.name for p in result.written] == ["a.testbackend.2.png"]
    assert (out / "a.testbackend.1.png").read_bytes() == b"left by a cancelled batch"


def test_closing_a_photo_cancels_its_run_so_the_next_one_starts(qtbot, queue, gray_photo):
    queue.set_host(host_with(slow_plugin(steps=200, delay_s=0.005)))  # 1 s a run
    first, second = queue.session.open([gray_photo("a.png"), gray_photo("b.png")])
    settings = ColorizeSettings(backend_id="slow", samples=1, device="cpu")
    running = queue.colorize(first, settings)
    qtbot.waitUntil(lambda: running.progress > 0, timeout=10_000)
    queued = queue.colorize(second, settings)
    assert queued.state == QUEUED
    queue.close_photo(first)
    qtbot.waitUntil(lambda: running.state == CANCELLED, timeout=5000)
    assert first not in queue.session.photos and not running.samples
    qtbot.waitUntil(lambda: queued.state == DONE and not queue.busy, timeout=10_000)
    assert sorted(queued.samples) == [0]  # the second photo's run started and went through to its sample


def test_closing_the_app_right_after_save_still_writes_the_files(qtbot, queue, gray_photo, tmp_path):
    photo = gray_photo(size=(1200, 800))
    targets = [tmp_path / f"s{i}.png" for i in range(3)]
    queue.save(SaveRequest(photo, tuple((t, Chroma(ab=np.full((32, 48, 2), 20, np.float32))) for t in targets)))
    assert queue.writing
    queue.shutdown()  # what the window does when it closes
    assert all(t.exists() for t in targets)
    qtbot.waitUntil(lambda: not queue.writing, timeout=5000)


def test_a_backend_that_ignores_cancel_is_reported_as_not_responding(qtbot, queue, gray_photo, monkeypatch):
    monkeypatch.setattr(job_queue, "UNRESPONSIVE_AFTER_MS", 100)
    release = threading.Event()

    def colorize(self, lightness, options):
        yield Progress(0.1, "started")
        release.wait(10)  # stuck: no yield, so no cancel point
        yield Sample(0, np.zeros((8, 8, 2), np.float32))

    queue.set_host(host_with(make_plugin("stuck_plugin", backend_class("stuck", colorize, max_samples=1))))
    (doc,) = queue.session.open([gray_photo()])
    run = queue.colorize(doc, ColorizeSettings(backend_id="stuck", samples=1, device="cpu"))
    qtbot.waitUntil(lambda: run.message == "started", timeout=10_000)
    with qtbot.waitSignal(queue.notices.posted, timeout=5000) as posted:
        queue.cancel(run)
    assert posted.args[0].title == "stuck is not responding"
    release.set()
    qtbot.waitUntil(lambda: run.state == CANCELLED and not queue.busy, timeout=5000)


def test_the_app_exits_when_a_stuck_backend_outlives_the_window(tmp_path):
    """Closing the window while a backend never yields again must still end the process."""
    photo = tmp_path / "photo.png"
    Image.fromarray(np.full((48, 64), 120, np.uint8)).save(photo)
    script = textwrap.dedent(
        f"""
        import sys, time
        sys.path.insert(0, {str(ROOT / 'tests')!r})
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication
        from desktop import app
        from fakes import backend_class, make_plugin
        from gui_fixtures import host_with
        from plugins import Progress

        def colorize(self, lightness, options):
            yield Progress(0.1, "started")
            time.sleep(600)  # stuck, no yield
            yield Progress(1.0)

        def host():
            return host_with(make_plugin("stuck_plugin", backend_class("stuck", colorize, max_samples=1)))

        state = {{}}

        def drive():
            from desktop.main_window import MainWindow
            from desktop.state import ColorizeSettings

            window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow))
            doc = window.session.current
            if "run" not in state and window.queue.host is not None and doc is not None:
                state["run"] = window.queue.colorize(doc, ColorizeSettings(backend_id="stuck", samples=1, device="cpu"))
            if "run" in state and state["run"].message == "started":
                window.close()
            else:
                QTimer.singleShot(50, drive)

        app.make_application()  # before the timer: it needs the application's event loop
        QTimer.singleShot(50, drive)
        code = app.main([{str(photo)!r}], host_factory=host)
        print("main returned", code)
        """
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path / "config")}
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "main returned" not in done.stdout  # it ended through the hard exit, not by waiting out the backend


def test_batch_photos_that_share_a_name_both_get_results(qtbot, queue, gray_photo, tmp_path):
    queue.set_host(host_with())
    photos = (gray_photo("x.png"), gray_photo("x.jpg"))
    out = tmp_path / "out"
    out.mkdir()
    with qtbot.waitSignal(queue.batch_finished, timeout=20_000) as finished:
        queue.batch(BatchRequest(photos, TEST_SETTINGS.with_changes(samples=1), out, "png"))
    assert finished.args[0].skipped == []
    assert sorted(p.name for p in out.iterdir()) == ["x.jpg.testbackend.1.png", "x.png.testbackend.1.png"]


def test_a_photo_edited_elsewhere_between_runs_is_shown_as_it_is_now(qtbot, queue, gray_photo):
    queue.set_host(host_with())
    photo = gray_photo()
    (doc,) = queue.session.open([photo])
    run = queue.colorize(doc, TEST_SETTINGS.with_changes(samples=1))
    qtbot.waitUntil(lambda: run.state == DONE and not queue.busy, timeout=10_000)
    before = doc.preview_lightness.copy()
    Image.fromarray(np.full((120, 160), 30, np.uint8), "L").save(photo)  # same size, new content
    again = queue.colorize(doc, TEST_SETTINGS.with_changes(samples=1))
    qtbot.waitUntil(lambda: again.state == DONE and not queue.busy, timeout=10_000)
    assert doc.preview_lightness.mean() < before.mean() - 20


def test_save_writes_full_resolution_and_never_over_the_original(qtbot, queue, gray_photo, tmp_path):
    photo = gray_photo(size=(300, 200))
    ab = np.zeros((32, 48, 2), np.float32)
    ab[..., 1] = 40.0  # yellow
    target = tmp_path / "out.png"
    with qtbot.waitSignal(queue.saved, timeout=10_000):
        queue.save(SaveRequest(photo, ((target, Chroma(ab=ab)),)))
    with Image.open(target) as saved:
        assert saved.size == (300, 200)
        assert hue_close(hue_degrees(np.asarray(saved.convert("RGB"))), 90.0)
    with qtbot.waitSignal(queue.save_failed, timeout=10_000) as failed:
        queue.save(SaveRequest(photo, ((photo, Chroma(ab=ab)),), overwrite=True))
    assert "input photo" in failed.args[0]


def test_the_gui_thread_never_imports_torch(tmp_path):
    """In a fresh process, torch is imported (by the host resolving the device) only on a worker thread."""
    script = textwrap.dedent(
        f"""
        import sys, threading, importlib.abc
        sys.path.insert(0, {str(ROOT / 'tests')!r})
        where = []

        class Spy(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path, target=None):
                if name == "torch":
                    where.append(threading.current_thread().name)
                return None

        sys.meta_path.insert(0, Spy())
        from PySide6.QtCore import QCoreApplication
        from desktop.job_queue import JobQueue
        from desktop.state import ColorizeSettings, Notices, Session
        from gui_fixtures import host_with
        from PIL import Image
        app = QCoreApplication([])
        queue = JobQueue(Session(), Notices())
        queue.set_host(host_with())
        photo = {str(tmp_path / 'p.png')!r}
        Image.new("L", (64, 48), 128).save(photo)
        (doc,) = queue.session.open([photo])
        run = queue.colorize(doc, ColorizeSettings(backend_id="testbackend", samples=1, device="auto"))
        queue.lane_changed.connect(lambda: queue.busy or app.quit())
        app.exec()
        print(run.state, "torch" in sys.modules, where)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    state, imported, where = result.stdout.strip().split(" ", 2)
    assert state == "done"
    assert imported == "True" and where != "[]", "torch was imported, by a worker thread"
    assert "MainThread" not in where


def test_batch_with_overwrite_replaces_earlier_results_and_counts_what_it_wrote(qtbot, queue, gray_photo, tmp_path):
    queue.set_host(host_with())
    photo = gray_photo("a.png")
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.testbackend.1.png").write_bytes(b"an earlier result")
    request = BatchRequest((photo,), TEST_SETTINGS.with_changes(samples=1), out, "png", overwrite=True)
    progress = []
    queue.batch_progressed.connect(progress.append)
    with qtbot.waitSignal(queue.batch_finished, timeout=20_000) as finished:
        queue.batch(request)
    assert [p.name for p in finished.args[0].written] == ["a.testbackend.1.png"] and not finished.args[0].skipped
    assert (out / "a.testbackend.1.png").read_bytes().startswith(b"\x89PNG")
    assert progress[-1].written == 1 and max(p.written for p in progress) == 1


def test_the_garbage_collector_is_off_while_a_worker_runs_and_back_on_from_the_gui_thread(qtbot, monkeypatch):
    import gc
    import threading

    seen = {}
    resumed_on = []
    original = worker._resume_gc_if_idle

    def recording_resume():
        resumed_on.append(threading.current_thread() is threading.main_thread())
        original()

    monkeypatch.setattr(worker, "_resume_gc_if_idle", recording_resume)
    assert gc.isenabled()

    def job():
        seen["enabled_inside"] = gc.isenabled()
        return 1

    job_worker = worker.GeneratorWorker(job)
    with qtbot.waitSignal(job_worker.finished, timeout=5000):
        job_worker.start()
    qtbot.waitUntil(lambda: gc.isenabled(), timeout=5000)
    assert seen["enabled_inside"] is False and resumed_on and all(resumed_on)
