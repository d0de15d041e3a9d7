"""The app goes on when a backend in a worker process hangs: a cancel that it ignores ends its worker."""

from __future__ import annotations

import isolation_plugins
import pytest
import tinct_testbackend

from desktop import job_queue
from desktop.job_queue import JobQueue
from desktop.state import ColorizeSettings, Notices, Session
from desktop.state.session import CANCELLED, DONE
from gui_fixtures import gray_photo, no_leftover_workers  # noqa: F401
from plugins.host import PluginHost
from plugins.host.isolation import IsolationPolicy


@pytest.fixture
def queue(qtbot):
    queue = JobQueue(Session(), Notices())
    host = PluginHost.discover([isolation_plugins, tinct_testbackend], entry_points=False,
                               isolation=IsolationPolicy("all", 120))
    queue.set_host(host)
    yield queue
    queue.shutdown()
    host.unload_all()


def test_a_hung_backend_is_ended_on_cancel_and_the_next_run_goes_ahead(qtbot, queue, gray_photo, monkeypatch):
    monkeypatch.setattr(job_queue, "UNRESPONSIVE_AFTER_MS", 200)
    (doc,) = queue.session.open([gray_photo()])
    hung = queue.colorize(doc, ColorizeSettings(backend_id="sleeper", samples=1, device="cpu"))
    qtbot.waitUntil(lambda: hung.message == "about to sleep", timeout=60_000)
    with qtbot.waitSignal(queue.notices.posted, timeout=30_000) as posted:
        queue.cancel(hung)
    assert posted.args[0].title == "sleeper did not stop when cancelled"
    assert "its worker process was ended" in posted.args[0].message
    qtbot.waitUntil(lambda: hung.state == CANCELLED and not queue.busy, timeout=10_000)
    assert [(f.name, f.stage) for f in queue.host.failures] == [("sleeper", "colorize")]

    after = queue.colorize(doc, ColorizeSettings(backend_id="testbackend", samples=2, device="cpu"))
    qtbot.waitUntil(lambda: after.state == DONE, timeout=60_000)
    assert len(after.samples) == 2
