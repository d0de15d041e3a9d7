"""What a plugin author met in the docs and the API: whole-number and choice options, capabilities given as one
member, SAMPLES deciding how many samples are asked for, and plugins.weights.verify taking a plain path."""

from __future__ import annotations

import hashlib

import pytest

from fakes import flat_samples, make_plugin
from plugins import BackendOption, Capability, Colorizer, ColorizerInfo, OptionKind
from plugins.errors import TinctError, WeightsError
from plugins.host import PluginHost, build_options
from plugins.host.runner import parse_param
from plugins.weights import verify

PALETTE = BackendOption.choice("palette", "Palette", "postcard", ("postcard", "portrait"), "whose colors")
STEPS = BackendOption.integer("steps", "Steps", 4, 1, 16, "how many passes")
STRENGTH = BackendOption("strength", "Strength", 1.0, 0.0, 1.5)


def info(**fields) -> ColorizerInfo:
    return ColorizerInfo(**{"id": "x", "name": "X", "version": "1", "license": "MIT", **fields})


def test_each_kind_of_option_reaches_colorize_as_its_own_type():
    options, _ = build_options(info(params=(PALETTE, STEPS, STRENGTH)), device="cpu")
    assert options.params == {"palette": "postcard", "steps": 4, "strength": 1.0}
    assert [type(options.params[n]) for n in ("palette", "steps", "strength")] == [str, int, float]
    # As typed on a command line (text), and as the app's controls hand them over (numbers, a string).
    for given in ({"palette": "portrait", "steps": "9", "strength": "0.25"},
                  {"palette": "portrait", "steps": 9, "strength": 0.25}):
        options, _ = build_options(info(params=(PALETTE, STEPS, STRENGTH)), device="cpu", params=given)
        assert options.params == {"palette": "portrait", "steps": 9, "strength": 0.25}
        assert type(options.params["steps"]) is int
    options, _ = build_options(info(params=(STEPS, STRENGTH)), device="cpu", params={"steps": 99, "strength": -3})
    assert options.params == {"steps": 16, "strength": 0.0}  # numbers are clamped, as documented


@pytest.mark.parametrize("given, says", [
    ({"palette": "neon"}, "x: option palette is one of postcard, portrait, not 'neon'"),
    ({"steps": "2.5"}, "x: option steps is a whole number from 1 to 16, not '2.5'"),
    ({"steps": "many"}, "x: option steps is a number from 1 to 16, not 'many'"),
    ({"strength": "nan"}, "x: option strength is a number from 0 to 1.5, not 'nan'"),
])
def test_a_value_an_option_cannot_take_is_refused_in_words(given, says):
    with pytest.raises(TinctError) as raised:
        build_options(info(params=(PALETTE, STEPS, STRENGTH)), device="cpu", params=given)
    assert str(raised.value) == says


@pytest.mark.parametrize("make, says", [
    (lambda: BackendOption.choice("p", "P", "x", ("a", "b")), "default 'x' is not one of its choices"),
    (lambda: BackendOption.choice("p", "P", "a", ()), "needs one or more non-empty strings"),
    (lambda: BackendOption.choice("p", "P", "a", ("a", "a")), "must differ"),
    (lambda: BackendOption.integer("n", "N", 2.5, 0, 4), "whole numbers"),
    (lambda: BackendOption("n", "N", 5.0, 0.0, 1.0), "default outside"),
    (lambda: BackendOption("two words", "N", 0.5, 0.0, 1.0), "option name 'two words' must match"),
    (lambda: BackendOption("n", "N", 0.5, 0.0, 1.0, kind="slider"), "kind must be one of"),
    (lambda: info(params=(STEPS, STEPS)), "two options have the same name"),
])
def test_a_malformed_option_is_refused_when_declared(make, says):
    with pytest.raises(ValueError, match=says):
        make()


def test_option_kinds_and_old_positional_declarations():
    assert (PALETTE.kind, STEPS.kind, STRENGTH.kind) == (OptionKind.CHOICE, OptionKind.INTEGER, OptionKind.NUMBER)
    assert STEPS.default == 4 and type(STEPS.minimum) is int and STRENGTH.minimum == 0.0
    assert parse_param("palette=portrait") == ("palette", "portrait") and parse_param(" steps = 3 ") == ("steps", "3")
    for bad in ("palette", "=3", "steps="):
        with pytest.raises(TinctError, match="NAME=VALUE"):
            parse_param(bad)


def test_capabilities_take_one_member_a_name_or_a_set():
    assert info(capabilities=Capability.SAMPLES, max_samples=2).capabilities == {Capability.SAMPLES}
    assert info(capabilities="hints").capabilities == {Capability.HINTS}
    assert info(capabilities=[Capability.HINTS, "reference"]).capabilities == {Capability.HINTS, Capability.REFERENCE}
    with pytest.raises(ValueError, match="capabilities must be a set of Capability.SAMPLES, Capability.HINTS"):
        info(capabilities="colour")


def test_only_a_backend_with_samples_is_asked_for_more_than_one():
    plain = info(max_samples=3)
    options, notes = build_options(plain, device="cpu", samples=3)
    assert options.samples == 1 and plain.sample_limit == 1
    assert notes == ["x makes at most 1 sample(s); making 1"]
    several = info(max_samples=3, capabilities=Capability.SAMPLES)
    assert build_options(several, device="cpu", samples=3)[0].samples == 3 and several.sample_limit == 3

    cls = type("Plain", (Colorizer,), {"info": plain, "colorize": flat_samples()})
    host = PluginHost.discover([make_plugin("plain", cls)], entry_points=False)
    assert host.get("x").info.sample_limit == 1


def test_verify_takes_a_weights_file_or_a_path(tmp_path):
    path = tmp_path / "model.safetensors"
    path.write_bytes(b"weights")
    digest = hashlib.sha256(b"weights").hexdigest()
    assert verify(path) == digest  # a plain path: there and readable, and its digest to declare
    assert verify(str(path), digest.upper()) == digest
    with pytest.raises(WeightsError, match="corrupt or the wrong version"):
        verify(path, "0" * 64)
    with pytest.raises(WeightsError, match="gone.safetensors is missing"):
        verify(tmp_path / "gone.safetensors")
