"""Backends in a worker process: a colorize that never yields, or a plugin that calls os.abort(), fails that
run alone; the host reports the plugin, starts a fresh worker next time, and other backends go on."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import isolation_plugins
import numpy as np
import pytest
import tinct_testbackend
from PIL import Image

from desktop.cli import main as cli_main
from fakes import install_fake_distribution
from plugins.errors import PluginError, TinctError
from plugins.host import BackendEntry, PluginHost, build_options
from plugins.host.isolation import IsolationPolicy
from plugins.host.pipeline import colorize_samples
from plugins.types import Progress, Sample

TIMEOUT_S = 1.5
LIGHTNESS = np.tile(np.linspace(20, 90, 80, dtype=np.float32), (60, 1))


@pytest.fixture
def host():
    host = PluginHost.discover([isolation_plugins, tinct_testbackend], entry_points=False,
                               isolation=IsolationPolicy("all", TIMEOUT_S))
    yield host
    host.unload_all()


def run(host: PluginHost, backend_id: str, **params) -> list:
    backend = host.loaded(backend_id, "cpu")
    options, _ = build_options(backend.info, device="cpu", samples=2, params=params)
    return list(colorize_samples(backend, LIGHTNESS, options))


def samples_of(events: list) -> list[Sample]:
    return [event for event in events if isinstance(event, Sample)]


def test_a_colorize_that_never_yields_times_out_is_reported_and_gets_a_fresh_worker(host):
    started = time.monotonic()
    with pytest.raises(PluginError) as raised:
        run(host, "sleeper")
    assert time.monotonic() - started < TIMEOUT_S + 10
    assert str(raised.value) == ("sleeper did not answer within 1.5 s (colorize: waiting for its next event); "
                                 "its worker process was stopped; it starts afresh next time")
    assert [(f.name, f.stage) for f in host.failures] == [("sleeper", "colorize")]
    assert len(samples_of(run(host, "testbackend"))) == 2  # other backends go on
    assert len(samples_of(run(host, "sleeper", hang=0))) == 1  # a new worker, and the same backend works


def test_a_plugin_that_aborts_its_process_is_reported_and_restarted(host):
    first = run(host, "aborter", crash=0)
    with pytest.raises(PluginError, match=r"^aborter crashed \(colorize: waiting for its next event\): its worker "
                                          r"process was ended by SIGABRT; it starts afresh next time$"):
        run(host, "aborter")
    assert [(f.name, f.stage) for f in host.failures] == [("aborter", "colorize")]
    again = run(host, "aborter", crash=0)
    assert len(samples_of(again)) == 1
    pids = [event.message for event in first + again if isinstance(event, Progress) and "running in" in event.message]
    assert len(set(pids)) == 2 and f"running in {os.getpid()}" not in pids  # each run in a worker, a new one after the crash


def test_a_load_that_never_returns_times_out(host):
    with pytest.raises(PluginError, match=r"^slowloader did not answer within 1.5 s \(loading\)"):
        host.loaded("slowloader", "cpu")
    assert [(f.name, f.stage) for f in host.failures] == [("slowloader", "load")]


def test_a_tinct_error_from_a_worker_reaches_the_user_as_it_is(host):
    with pytest.raises(TinctError) as raised:
        run(host, "polite", refuse=1)
    assert str(raised.value) == "polite needs a photo of at least 2 megapixels"
    assert host.failures == []  # the plugin said no; it did not fail
    assert len(samples_of(run(host, "polite"))) == 1


def test_a_cancelled_run_closes_the_generator_in_the_worker_and_the_next_run_works(host):
    backend = host.loaded("testbackend", "cpu")
    options, _ = build_options(backend.info, device="cpu", samples=3)
    events = colorize_samples(backend, LIGHTNESS, options)
    assert isinstance(next(events), Progress)
    events.close()  # the user's cancel
    assert len(samples_of(run(host, "testbackend"))) == 2
    assert host.failures == []


def test_interrupting_a_hung_run_ends_its_worker_at_once():
    host = PluginHost.discover([isolation_plugins], entry_points=False, isolation=IsolationPolicy("all", 120))
    try:
        outcome = {}

        def colorize():
            try:
                run(host, "sleeper")
            except PluginError as error:
                outcome["error"], outcome["at"] = str(error), time.monotonic()

        thread = threading.Thread(target=colorize)
        thread.start()
        deadline = time.monotonic() + 60
        while not host.interrupt("sleeper"):  # False until its worker runs
            assert time.monotonic() < deadline
            time.sleep(0.05)
        interrupted = time.monotonic()
        thread.join(30)
        assert outcome["at"] - interrupted < 10  # not the 120 s timeout
        assert outcome["error"].startswith("sleeper did not stop when cancelled")
    finally:
        host.unload_all()


def test_which_backends_are_isolated(monkeypatch):
    def entry(distribution: str) -> BackendEntry:
        return BackendEntry(tinct_testbackend.FlatColorizer, "p", distribution)

    default = IsolationPolicy()
    assert default.isolates(entry("tinct-handtint")) and default.isolates(entry("tinct-testbackend"))
    assert not default.isolates(entry("tinct")) and not default.isolates(entry("(registered directly)"))
    assert IsolationPolicy("all").isolates(entry("tinct")) and not IsolationPolicy("none").isolates(entry("x"))
    monkeypatch.setenv("TINCT_ISOLATION", "none")
    monkeypatch.setenv("TINCT_PLUGIN_TIMEOUT", "7")
    assert IsolationPolicy.from_environment() == IsolationPolicy("none", 7.0)
    monkeypatch.setenv("TINCT_PLUGIN_TIMEOUT", "soon")
    with pytest.raises(TinctError, match="TINCT_PLUGIN_TIMEOUT must be a number of seconds, not 'soon'"):
        IsolationPolicy.from_environment()
    with pytest.raises(TinctError, match="TINCT_ISOLATION must be one of third-party, all, none"):
        IsolationPolicy("some")


MISBEHAVING = """
import os, time
import numpy as np
from plugins import Colorizer, ColorizerInfo, Progress, Sample, hookimpl

class Misbehaving(Colorizer):
    info = ColorizerInfo(id="{backend_id}", name="x", version="1", license="MIT")

    def colorize(self, lightness, options):
        yield Progress(0.1)
        {misdeed}
        yield Sample(0, np.zeros((8, 8, 2), np.float32))

@hookimpl
def register_colorizers():
    return [Misbehaving]
"""


@pytest.mark.parametrize("backend_id, misdeed, says", [
    ("sleepy", "time.sleep(3600)",
     "sleepy did not answer within 1.5 s (colorize: waiting for its next event); its worker process was stopped"),
    ("crashy", "os.abort()", "crashy crashed (colorize: waiting for its next event): its worker process was ended by SIGABRT"),
])
def test_the_command_line_returns_from_a_plugin_that_hangs_or_crashes(tmp_path, monkeypatch, capsys, backend_id,
                                                                      misdeed, says):
    site = tmp_path / "site"
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("TINCT_PLUGIN_TIMEOUT", str(TIMEOUT_S))
    install_fake_distribution(site, f"tinct-{backend_id}", f"tinct_{backend_id}",
                              MISBEHAVING.format(backend_id=backend_id, misdeed=misdeed))
    photos = []
    for name in ("a.png", "b.png"):
        Image.fromarray(np.full((32, 48), 100, np.uint8)).save(tmp_path / name)
        photos.append(str(tmp_path / name))
    try:
        code = cli_main(["colorize", *photos, "-o", str(tmp_path / "out"), "--backend", backend_id])
        err = capsys.readouterr().err.splitlines()
        assert code == 2
        assert [line.split(": ", 2)[2] for line in err] == [f"{says}; it starts afresh next time"] * 2
        assert [line.split(": ", 2)[1] for line in err] == photos  # the second photo was tried on a fresh worker
    finally:
        sys.modules.pop(f"tinct_{backend_id}", None)


def test_a_third_party_plugin_from_the_environment_runs_in_a_worker_and_colorizes(tmp_path, capsys):
    """The installed test backend (a distribution of its own) goes through a worker by default."""
    photo = tmp_path / "p.png"
    Image.fromarray(np.full((32, 48), 100, np.uint8)).save(photo)
    host = PluginHost.discover()
    try:
        assert host.isolated("testbackend") and not host.isolated("regression")
    finally:
        host.unload_all()
    assert cli_main(["colorize", str(photo), "-o", str(tmp_path / "out"), "--backend", "testbackend"]) == 0
    assert Path(tmp_path / "out" / "p.testbackend.1.png").is_file()
