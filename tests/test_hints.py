"""Color hints: the API type, the host's edge-aware propagation, and backends that take hints themselves."""

from __future__ import annotations

import re
import sys
import types
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

import plugins
from fakes import make_plugin
from plugins import API_VERSION, Capability, ColorHint, ColorizeOptions, Colorizer, ColorizerInfo, Sample
from plugins.color import srgb_to_lab
from plugins.errors import TinctError
from plugins.host import PluginHost, build_options
from plugins.host.hints import hint_targets, propagate, scale_hints
from plugins.host.pipeline import MergedSample, colorize_lightness, colorize_samples

DOC = Path(__file__).resolve().parents[1] / "docs" / "plugin-api.md"
RED = (60.0, 45.0)
BLUE = (0.0, -30.0)


def two_regions(blur: float = 0.0, height: int = 96, width: int = 160) -> np.ndarray:
    """L*: a dark left part, a light right part with a mid-gray disc in it; optionally blurred edges."""
    lightness = np.full((height, width), 75.0, np.float32)
    lightness[:, : width * 2 // 5] = 35.0
    cv2.circle(lightness, (width * 3 // 4, height // 2), height // 4, 55.0, -1)
    return cv2.GaussianBlur(lightness, (0, 0), blur) if blur else lightness


def flat_ab(shape: tuple[int, int], ab=BLUE) -> np.ndarray:
    out = np.empty(shape + (2,), np.float32)
    out[...] = ab
    return out


def share_of_hint(result: np.ndarray, backend: tuple[float, float], hint: tuple[float, float]) -> np.ndarray:
    """How far each pixel moved from the backend's chroma toward the hint's, 0..1."""
    direction = np.subtract(hint, backend)
    return (result - backend) @ direction / (direction @ direction)


# --- the API type ----------------------------------------------------------------------


def test_the_api_version_is_1_2_and_documented():
    assert API_VERSION == (1, 2) and plugins.API_VERSION is API_VERSION
    assert "API version **1.2** (`plugins.API_VERSION == (1, 2)`)" in DOC.read_text()


def test_every_options_field_and_hint_field_is_documented():
    doc = DOC.read_text()
    for name in list(ColorizeOptions.__dataclass_fields__) + list(ColorHint.__dataclass_fields__):
        assert f"`{name}`" in doc, name


def test_a_hint_takes_the_chroma_of_a_color():
    red = ColorHint.from_hex(3, 4, "#ff0000", radius=2)
    expected = srgb_to_lab(np.array([[[1.0, 0.0, 0.0]]], np.float32))[0, 0, 1:]
    assert red.ab == pytest.approx(tuple(expected), abs=1e-3) and (red.x, red.y, red.radius) == (3.0, 4.0, 2.0)
    assert ColorHint.from_srgb(0, 0, (0.5, 0.5, 0.5)).ab == pytest.approx((0.0, 0.0), abs=1e-3)


@pytest.mark.parametrize("make", [
    lambda: ColorHint.from_hex(0, 0, "red"),
    lambda: ColorHint.from_hex(0, 0, "#ff00"),
    lambda: ColorHint.from_srgb(0, 0, (1.5, 0, 0)),
    lambda: ColorHint(0, 0, (10, 10), radius=-1),
    lambda: ColorHint(float("nan"), 0, (10, 10)),
    lambda: ColorHint(0, 0, (500, 0)),
    lambda: ColorHint(0, 0, "ab"),
])  # fmt: skip
def test_a_bad_hint_is_refused(make):
    with pytest.raises(ValueError):
        make()


def test_options_carry_hints_as_a_tuple_and_refuse_anything_else():
    hint = ColorHint(1, 2, RED)
    assert ColorizeOptions(hints=[hint]).hints == (hint,)
    with pytest.raises(TypeError):
        ColorizeOptions(hints=[(1, 2, RED)])


# --- the propagation -------------------------------------------------------------------


@pytest.mark.parametrize("blur", [0.0, 1.0])
@pytest.mark.parametrize("scale", [1, 3])  # 3: solved on a smaller grid, then upsampled
def test_a_hint_fills_its_flat_region_and_stops_at_a_strong_edge(blur, scale):
    lightness = two_regions(blur * scale, 96 * scale, 160 * scale)
    result = propagate(lightness, flat_ab(lightness.shape), [ColorHint(20 * scale, 48 * scale, RED, radius=scale)])
    share = share_of_hint(result, BLUE, RED)
    edge = 64 * scale
    left, right = share[:, : edge - 4 * scale], share[:, edge + 4 * scale :]
    assert left.min() > 0.85 and left.mean() > 0.9  # the whole dark region, up to its far corners
    assert right.max() < 0.02  # beyond the edge: the light region and the disc inside it


@pytest.mark.parametrize("scale", [1, 3])
def test_far_from_every_hint_the_backends_own_chroma_is_kept(scale):
    lightness = two_regions(scale, 96 * scale, 160 * scale)
    rng = np.random.default_rng(0)
    backend = cv2.GaussianBlur(rng.normal(0, 20, lightness.shape + (2,)).astype(np.float32), (0, 0), 3 * scale)
    result = propagate(lightness, backend, [ColorHint(20 * scale, 48 * scale, RED, radius=2 * scale)])
    beyond = slice(68 * scale, None)
    assert np.abs(result[:, beyond] - backend[:, beyond]).max() < 0.5
    assert np.array_equal(propagate(lightness, backend, []), backend)


def test_inside_its_disc_a_hint_is_exact_and_the_later_of_two_wins():
    lightness = two_regions()
    hints = [ColorHint(20, 48, RED, radius=3), ColorHint(22, 48, (10.0, 70.0), radius=1)]
    result = propagate(lightness, flat_ab(lightness.shape), hints)
    assert result[48, 17] == pytest.approx(RED, abs=1e-3)
    assert result[48, 22] == pytest.approx((10.0, 70.0), abs=1e-3)


def test_hints_map_from_full_resolution_onto_the_working_size():
    full, small = (3000, 4000), (192, 256)
    corner, origin, middle = scale_hints(
        [ColorHint(3999, 2999, RED, 40), ColorHint(0, 0, RED), ColorHint(1999.5, 1499.5, RED)], full, small)
    assert (corner.x, corner.y) == pytest.approx((255, 191), abs=0.1) and corner.radius == pytest.approx(40 * 256 / 4000)
    assert (origin.x, origin.y) == pytest.approx((0, 0), abs=0.1)
    assert (middle.x, middle.y) == pytest.approx((127.5, 95.5))
    mask, _ = hint_targets([corner], small)
    assert mask[-1, -1] and not mask[0, 0]


def test_a_hint_at_the_far_corner_of_the_photo_colors_the_far_corner():
    host = PluginHost.discover([make_plugin("p", gray_backend("gray"))], entry_points=False)
    backend = host.loaded("gray", "cpu")
    lightness = np.full((300, 400), 50.0, np.float32)
    lightness[:, :200] = 20.0  # a strong edge down the middle keeps the hint on the right
    options = build_options(backend.info, device="cpu", hints=[ColorHint(399, 299, RED, radius=5)])[0]
    [merged] = [e for e in colorize_lightness(backend, lightness, options) if isinstance(e, MergedSample)]
    ab = srgb_to_lab(merged.rgb)[..., 1:]
    assert share_of_hint(ab[-1, -1], (0, 0), RED) > 0.8 and share_of_hint(ab[150, 300], (0, 0), RED) > 0.6
    assert np.abs(ab[:, :190]).max() < 1.0


def test_every_sample_gets_the_hints_and_one_factorization_serves_them_all(monkeypatch):
    from plugins.host import hints as hints_module

    made = []
    original = hints_module.HintPropagator.__init__
    monkeypatch.setattr(hints_module.HintPropagator, "__init__",
                        lambda self, *a, **k: made.append(1) or original(self, *a, **k))
    host = PluginHost.discover([make_plugin("p", gray_backend("gray", samples=3))], entry_points=False)
    backend = host.loaded("gray", "cpu")
    lightness = two_regions(height=192, width=320)
    options = build_options(backend.info, device="cpu", samples=3, hints=[ColorHint(40, 96, RED, radius=4)])[0]
    samples = [e for e in colorize_samples(backend, lightness, options) if isinstance(e, Sample)]
    assert len(samples) == 3 and len(made) == 1
    for sample in samples:
        h, w = sample.ab.shape[:2]
        assert sample.ab[h // 2, w // 8] == pytest.approx(RED, abs=0.5)


def test_a_hint_outside_the_photo_is_refused_before_the_backend_runs():
    ran = []
    host = PluginHost.discover([make_plugin("p", gray_backend("gray", ran=ran))], entry_points=False)
    backend = host.loaded("gray", "cpu")
    options = build_options(backend.info, device="cpu", hints=[ColorHint(400, 10, RED)])[0]
    with pytest.raises(TinctError, match=r"hint 1 at \(400, 10\) lies outside the photo \(400×300 px"):
        list(colorize_samples(backend, np.full((300, 400), 50.0, np.float32), options))
    assert ran == []


# --- backends that take hints or a reference themselves ---------------------------------


def gray_backend(backend_id: str, capabilities=frozenset(), samples: int = 1, ran: list | None = None, seen=None):
    """A backend of gray samples at 64 px that records the options it was given."""

    def colorize(self, lightness, options):
        if ran is not None:
            ran.append(options)
        if seen is not None:
            seen.append(options)
        h, w = lightness.shape
        shape = (max(1, round(h * 64 / min(h, w))), max(1, round(w * 64 / min(h, w))))
        for index in range(options.samples):
            yield Sample(index, np.zeros(shape + (2,), np.float32))

    info = ColorizerInfo(id=backend_id, name=backend_id, version="1", license="MIT", max_samples=samples,
                         capabilities=frozenset(capabilities) | ({Capability.SAMPLES} if samples > 1 else set()))
    return type(f"Gray_{backend_id}", (Colorizer,), {"info": info, "colorize": colorize})


def test_a_backend_with_hints_gets_them_untouched_and_the_host_leaves_its_chroma_alone():
    seen = []
    host = PluginHost.discover([make_plugin("p", gray_backend("own", {Capability.HINTS}, seen=seen))],
                               entry_points=False)
    backend = host.loaded("own", "cpu")
    hints = (ColorHint(10.5, 20, RED, 3), ColorHint(100, 50, BLUE))
    options = build_options(backend.info, device="cpu", hints=hints)[0]
    [sample] = [e for e in colorize_samples(backend, np.full((120, 160), 50.0, np.float32), options)
                if isinstance(e, Sample)]
    assert seen[0].hints == hints and seen[0].reference is None
    assert not sample.ab.any()  # no propagation by the host


def test_a_backend_without_the_capabilities_sees_neither_hints_nor_reference():
    seen = []
    host = PluginHost.discover([make_plugin("p", gray_backend("plain", seen=seen))], entry_points=False)
    backend = host.loaded("plain", "cpu")
    reference = np.zeros((32, 32, 3), np.float32)
    options = build_options(backend.info, device="cpu", hints=[ColorHint(10, 20, RED)], reference=reference)[0]
    list(colorize_samples(backend, np.full((120, 160), 50.0, np.float32), options))
    assert seen[0].hints == () and seen[0].reference is None
    assert replace(seen[0], hints=options.hints) == options  # everything else as asked


def test_the_documented_backend_that_takes_hints_works_as_printed():
    doc = DOC.read_text()
    source = re.search(r"`tinct_hinted.py`:\n\n```python\n(.*?)```", doc, re.S).group(1)
    module = types.ModuleType("tinct_hinted")
    exec(compile(source, "tinct_hinted.py", "exec"), module.__dict__)
    sys.modules["tinct_hinted"] = module
    try:
        host = PluginHost.discover([module], entry_points=False)
        backend = host.loaded("first-hint", "cpu")
        hint = ColorHint.from_hex(5, 5, "#3060c0", radius=2)
        options = build_options(backend.info, device="cpu", hints=[hint])[0]
        [merged] = [e for e in colorize_lightness(backend, np.full((90, 120), 50.0, np.float32), options)
                    if isinstance(e, MergedSample)]
        assert merged.ab == pytest.approx(np.broadcast_to(hint.ab, merged.ab.shape))  # everywhere, as it chose
    finally:
        sys.modules.pop("tinct_hinted", None)
