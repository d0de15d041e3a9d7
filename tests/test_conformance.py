"""plugins.testing.check_colorizer: every backend Tinct ships passes it, and each way of breaking the
contract fails it with a message that says what the docs require."""

from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path

import numpy as np
import pytest
import tinct_testbackend

from plugins import BackendOption, Capability, Colorizer, ColorizerInfo, Progress, Sample, WeightsFile
from plugins.color import fit_working_size
from plugins.host import PluginHost
from plugins.testing import ConformanceError, check_colorizer, synthetic_lightness
from plugins.weights import sha256_of

DOC = Path(__file__).resolve().parents[1] / "docs" / "plugin-api.md"


def test_every_built_in_backend_and_the_test_backend_keep_the_contract():
    host = PluginHost.discover()
    built_in = [entry for entry in host.backends if entry.distribution == "tinct"]
    assert {entry.info.id for entry in built_in} >= {"regression", "cic", "pixcolor"}
    for entry in [*built_in, host.get("testbackend")]:
        report = check_colorizer(entry.cls)
        assert report.backend_id == entry.info.id
        assert {"info", "weights", "samples", "cancel at a yield", "unload then load"} <= set(report.checks)
        assert ("same seed, same samples" in report.checks) and report.runs >= 6
        if entry.info.has_temperature:
            assert "temperature" in report.checks


def test_the_synthetic_photo_is_read_only_lightness_with_edges():
    lightness = synthetic_lightness(48, 64)
    assert lightness.shape == (48, 64) and lightness.dtype == np.float32 and not lightness.flags.writeable
    assert 0 <= lightness.min() < 25 and 85 < lightness.max() <= 100


class Good(Colorizer):
    """Seeded random flat-ish samples: keeps every rule, so each test below breaks exactly one."""

    info = ColorizerInfo(id="good", name="Good", version="1.0", license="MIT", max_samples=4,
                         capabilities=frozenset({Capability.SAMPLES}),
                         params=(BackendOption("chroma", "Chroma", 20.0, 0.0, 40.0),
                                 BackendOption.choice("palette", "Palette", "warm", ("warm", "cool"))))

    def load(self, device):
        self.loaded = True

    def unload(self):
        self.loaded = False

    def chroma(self, lightness, options, index):
        small = fit_working_size(lightness, options.working_size)
        rng = np.random.default_rng([options.seed, index])
        ab = np.empty(small.shape + (2,), np.float32)
        ab[...] = rng.uniform(-1, 1, 2) * options.params["chroma"]
        return ab

    def colorize(self, lightness, options):
        assert self.loaded
        for index in range(options.samples):
            yield Progress(index / options.samples, "working")
            yield Sample(index, self.chroma(lightness, options, index))
        yield Progress(1.0)


def broken(**overrides) -> type[Colorizer]:
    """``Good`` with some methods or ``info`` fields replaced."""
    info_fields = {k: overrides.pop(k) for k in list(overrides) if k in ColorizerInfo.__dataclass_fields__}
    namespace = dict(overrides)
    if info_fields:
        namespace["info"] = dataclasses.replace(Good.info, **info_fields)
    return type("Broken", (Good,), namespace)


def fails(cls, *expected: str, **kwargs) -> str:
    with pytest.raises(ConformanceError) as raised:
        check_colorizer(cls, **kwargs)
    message = str(raised.value)
    assert message.startswith("Broken") and "The plugin API requires: " in message and "docs/plugin-api.md" in message
    for text in expected:
        assert text in message, message
    return message


def test_the_good_example_passes():
    report = check_colorizer(Good)
    assert report.checks[:5] == ("class", "info", "options", "weights", "load")


def test_too_few_samples():
    def colorize(self, lightness, options):
        for index in range(options.samples - 1):
            yield Sample(index, self.chroma(lightness, options, index))

    fails(broken(colorize=colorize), "made 2 sample(s) when asked for 3", "one Sample per sample asked for")


def test_samples_out_of_order():
    def colorize(self, lightness, options):
        for index in reversed(range(options.samples)):
            yield Sample(index, self.chroma(lightness, options, index))

    fails(broken(colorize=colorize), "sample number 0 came with index 2", "the samples in order")


@pytest.mark.parametrize("make_ab, says", [
    (lambda ab: ab[..., :1], "shape"),
    (lambda ab: ab.astype(np.int16), "type int16"),
    (lambda ab: ab * np.nan, "NaN"),
    (lambda ab: ab + 500, "far outside the Lab range"),
    (lambda ab: ab[:, : ab.shape[1] // 3], "aspect ratio"),
])
def test_bad_chroma(make_ab, says):
    def colorize(self, lightness, options):
        for index in range(options.samples):
            yield Sample(index, make_ab(self.chroma(lightness, options, index) + 1))

    fails(broken(colorize=colorize), says, "Sample.ab is float32 (h, w, 2)", "within ±200")


@pytest.mark.parametrize("fractions, says", [((0.5, 1.5), "progress 1.5"), ((0.8, 0.3), "went back from 0.8 to 0.3"),
                                             (("half",), "progress 'half'")])
def test_bad_progress(fractions, says):
    def colorize(self, lightness, options):
        for fraction in fractions:
            yield Progress(fraction)
        yield from Good.colorize(self, lightness, options)

    fails(broken(colorize=colorize), says, "Progress.fraction")


def test_a_run_that_ignores_cancel():
    def colorize(self, lightness, options):
        for index in range(options.samples):
            try:
                yield Sample(index, self.chroma(lightness, options, index))
            except GeneratorExit:
                yield Progress(1.0, "still here")

    fails(broken(colorize=colorize), "closing colorize at its yield number 1 raised RuntimeError",
          "every yield is a cancel point")


def test_state_held_across_a_cancelled_yield():
    def colorize(self, lightness, options):
        if getattr(self, "busy", False):
            raise RuntimeError("already running")
        self.busy = True
        yield from Good.colorize(self, lightness, options)
        self.busy = False  # not in a finally: a cancel leaves it set

    fails(broken(colorize=colorize), "RuntimeError: already running")


def test_unseeded_randomness():
    def chroma(self, lightness, options, index):
        small = fit_working_size(lightness, options.working_size)
        return np.random.default_rng().uniform(-30, 30, small.shape + (2,)).astype(np.float32)

    message = fails(broken(chroma=chroma), "of a second run with the same seed differs", "seed every random generator")
    assert "same seed" in message
    assert check_colorizer(broken(chroma=chroma), deterministic=False).runs > 0


def test_a_backend_that_cannot_load_twice():
    def load(self, device):
        if getattr(self, "was_loaded", False):
            raise RuntimeError("model already consumed")
        self.was_loaded = self.loaded = True

    fails(broken(load=load), "load() after unload() raised RuntimeError", "loaded again after unload")


def test_several_samples_without_the_samples_capability():
    fails(broken(capabilities=frozenset()), "max_samples is 4 but capabilities lack Capability.SAMPLES",
          "declares Capability.SAMPLES")


def test_samples_that_are_all_alike():
    def chroma(self, lightness, options, index):
        return Good.chroma(self, lightness, options, 0)

    fails(broken(chroma=chroma), "its 3 samples of one photo are all the same", "several different colorizations")


def test_an_option_value_the_backend_cannot_take():
    def chroma(self, lightness, options, index):
        if options.params["palette"] == "cool":
            raise KeyError("cool")
        return Good.chroma(self, lightness, options, index)

    fails(broken(chroma=chroma), "KeyError", "option palette='cool'")


def test_colorize_that_returns_a_list():
    def colorize(self, lightness, options):
        return [Sample(i, self.chroma(lightness, options, i)) for i in range(options.samples)]

    fails(broken(colorize=colorize), "returned a list, not a generator", "every yield is a cancel point")


def test_writing_to_the_lightness():
    def colorize(self, lightness, options):
        lightness[0, 0] = 50.0
        yield from Good.colorize(self, lightness, options)

    fails(broken(colorize=colorize), "ValueError", "never writes to the read-only lightness")


def test_temperature_zero_must_work():
    def chroma(self, lightness, options, index):
        return Good.chroma(self, lightness, options, index) / options.temperature

    fails(broken(chroma=chroma, has_temperature=True), "at temperature 0", "colorize runs to the end")


def test_weights_that_are_missing_relative_or_pickled(tmp_path):
    missing = WeightsFile(tmp_path / "gone.safetensors", "0" * 64)
    fails(broken(weights=(missing,)), "gone.safetensors is missing", "present and matches its sha256")
    fails(broken(weights=(WeightsFile(Path("model.safetensors"), "0" * 64),)), "is a relative path",
          "an absolute WeightsFile.path")
    pickled = tmp_path / "model.safetensors"
    pickled.write_bytes(pickle.dumps({"weight": [1.0, 2.0]}))
    fails(broken(weights=(WeightsFile(pickled, sha256_of(pickled)),)), "is not a safetensors file",
          "safetensors format")


def test_a_device_the_backend_does_not_list():
    fails(broken(), "asked to run on 'cuda'", "`devices` lists every device", device="cuda")


def test_not_a_colorizer_at_all():
    with pytest.raises(ConformanceError, match="not a class derived from plugins.Colorizer"):
        check_colorizer(tinct_testbackend.FlatColorizer())
