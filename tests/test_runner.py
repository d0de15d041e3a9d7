"""The host checks everything a backend yields; a backend's failure is its own."""

from __future__ import annotations

import numpy as np
import pytest

from fakes import backend_class, flat_samples, make_plugin
from plugins import Progress, Sample
from plugins.errors import PluginError, TinctError
from plugins.host import PluginHost, build_options

LIGHTNESS = np.linspace(0, 100, 96 * 64, dtype=np.float32).reshape(96, 64)


def run(colorize, samples=2, load=None):
    host = PluginHost.discover([make_plugin("p", backend_class("b", colorize, load=load))], entry_points=False)
    backend = host.loaded("b", "cpu")
    options, _ = build_options(backend.info, device="cpu", samples=samples)
    return list(backend.colorize(LIGHTNESS, options))


def test_valid_samples_pass_through_as_float32():
    events = run(flat_samples(12.0), samples=3)
    samples = [e for e in events if isinstance(e, Sample)]
    assert [s.index for s in samples] == [0, 1, 2]
    assert all(s.ab.dtype == np.float32 and s.ab.shape == (48, 32, 2) and s.ab[0, 0, 0] == 12.0 for s in samples)


def garbage(value):
    def colorize(self, lightness, options):
        yield Sample(0, value)

    return colorize


@pytest.mark.parametrize(
    "value, message",
    [
        (np.zeros((48, 32, 3), np.float32), "shape"),
        (np.zeros((48, 32), np.float32), "shape"),
        ("not an array", "shape"),
        (np.zeros((48, 32, 2), np.int32), "type int32"),
        (np.full((48, 32, 2), np.nan, np.float32), "NaN"),
        (np.full((48, 32, 2), 1e9, np.float32), "far outside"),
        (np.zeros((32, 48, 2), np.float32), "aspect ratio"),
        (np.zeros((1, 100_000, 2), np.float32), "aspect ratio"),
    ],
)
def test_garbage_chroma_is_a_plugin_error(value, message):
    with pytest.raises(PluginError, match=message):
        run(garbage(value), samples=1)


def test_a_raising_backend_is_a_one_line_plugin_error():
    def colorize(self, lightness, options):
        yield Progress(0.1)
        raise ZeroDivisionError("division by zero\nwith a second line")

    with pytest.raises(PluginError) as caught:
        run(colorize)
    assert str(caught.value) == "b failed: ZeroDivisionError: division by zero"


def test_too_few_too_many_and_wrong_events_are_errors():
    def too_few(self, lightness, options):
        yield from flat_samples()(self, lightness, options.__class__(samples=1))

    with pytest.raises(PluginError, match="stopped after 1 of 2"):
        run(too_few)

    def too_many(self, lightness, options):
        yield from flat_samples()(self, lightness, options.__class__(samples=options.samples + 1))

    with pytest.raises(PluginError, match="more than the 2"):
        run(too_many)

    def wrong(self, lightness, options):
        yield "hello"

    with pytest.raises(PluginError, match="yielded str"):
        run(wrong)


def test_a_load_failure_is_reported_and_recorded():
    def load(self, device):
        raise MemoryError("CUDA out of memory")

    host = PluginHost.discover([make_plugin("p", backend_class("b", flat_samples(), load=load))], entry_points=False)
    with pytest.raises(PluginError, match="b failed to load: MemoryError: CUDA out of memory"):
        host.loaded("b", "cpu")
    assert [(f.name, f.stage) for f in host.failures] == [("b", "load")]


def test_closing_the_run_closes_the_backend_generator():
    closed = []

    def colorize(self, lightness, options):
        try:
            for index in range(options.samples):
                yield Sample(index, np.zeros((48, 32, 2), np.float32))
        finally:
            closed.append(True)

    host = PluginHost.discover([make_plugin("p", backend_class("b", colorize))], entry_points=False)
    backend = host.loaded("b", "cpu")
    run_events = backend.colorize(LIGHTNESS, build_options(backend.info, device="cpu", samples=4)[0])
    next(run_events)
    run_events.close()
    assert closed == [True]


def test_build_options_clamps_samples_and_params_and_checks_size():
    from tinct_testbackend import FlatColorizer

    options, notes = build_options(FlatColorizer.info, device="cpu", samples=20, params={"chroma": 99})
    assert options.samples == 8 and "at most 8" in notes[0]
    assert options.params == {"chroma": 60.0}
    assert options.working_size == 64 and options.half is False
    with pytest.raises(TinctError, match="no option 'nope'"):
        build_options(FlatColorizer.info, device="cpu", params={"nope": 1})
    with pytest.raises(TinctError, match="working size"):
        build_options(FlatColorizer.info, device="cpu", working_size=5)


def test_a_backend_cannot_change_the_photo_it_is_given():
    photo = LIGHTNESS.copy()

    def colorize(self, lightness, options):
        lightness /= 100  # the host merges onto this array afterwards
        yield from flat_samples(0.0)(self, lightness, options)

    host = PluginHost.discover([make_plugin("p", backend_class("b", colorize))], entry_points=False)
    backend = host.loaded("b", "cpu")
    options, _ = build_options(backend.info, device="cpu", samples=1)
    with pytest.raises(PluginError, match="^b failed: ValueError"):
        list(backend.colorize(photo, options))
    assert np.array_equal(photo, LIGHTNESS)


@pytest.mark.parametrize("where", ["load", "colorize"])
def test_a_backend_calling_sys_exit_fails_alone(where):
    def exits(*args):
        raise SystemExit(3)

    def colorize(self, lightness, options):
        yield Progress(0.1)
        exits()

    with pytest.raises(PluginError, match="SystemExit"):
        run(colorize if where == "colorize" else flat_samples(0.0), samples=1, load=exits if where == "load" else None)


@pytest.mark.parametrize("fraction", ["half", None, float("nan")])
def test_progress_that_is_not_a_number_is_a_plugin_error(fraction):
    def colorize(self, lightness, options):
        yield Progress(fraction)

    with pytest.raises(PluginError, match="reported progress"):
        run(colorize, samples=1)


def test_ctrl_c_inside_a_backend_reaches_the_caller():
    def colorize(self, lightness, options):
        yield Progress(0.1)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(colorize, samples=1)


@pytest.mark.parametrize("changes, message", [({"seed": -1}, "seed"), ({"seed": 2**32}, "seed"),
                                              ({"temperature": -0.5}, "temperature"),
                                              ({"temperature": float("nan")}, "temperature")])
def test_options_out_of_range_are_refused(changes, message):
    host = PluginHost.discover([make_plugin("p", backend_class("b", flat_samples()))], entry_points=False)
    with pytest.raises(TinctError, match=message):
        build_options(host.get("b").info, device="cpu", **changes)


def test_one_backend_runs_one_photo_at_a_time():
    host = PluginHost.discover([make_plugin("p", backend_class("b", flat_samples()))], entry_points=False)
    backend = host.loaded("b", "cpu")
    options, _ = build_options(backend.info, device="cpu", samples=2)
    first = backend.colorize(LIGHTNESS, options)
    next(first)  # under way
    with pytest.raises(TinctError, match="busy"):
        next(backend.colorize(LIGHTNESS, options))
    first.close()
    assert len([e for e in backend.colorize(LIGHTNESS, options) if isinstance(e, Sample)]) == 2


def test_a_plugins_default_working_size_beyond_the_limits_is_clamped():
    import dataclasses

    cls = backend_class("big", flat_samples())
    cls.info = dataclasses.replace(cls.info, default_working_size=3072)
    options, _ = build_options(cls.info, device="cpu")
    assert options.working_size == 2048
    with pytest.raises(TinctError, match="working size"):
        build_options(cls.info, device="cpu", working_size=3072)


@pytest.mark.parametrize("where", ["before the first event", "mid-run"])
def test_a_tinct_error_from_colorize_reaches_the_user_as_it_is(where):
    class NeedsColorHints(TinctError):
        pass

    def colorize(self, lightness, options):
        if where == "mid-run":
            yield Progress(0.5)
        raise NeedsColorHints("this backend needs at least one color hint")

    with pytest.raises(NeedsColorHints) as raised:
        run(colorize, samples=1)
    assert str(raised.value) == "this backend needs at least one color hint"
