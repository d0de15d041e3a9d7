"""The plugin's own tests: Tinct's conformance check, and what hand-tinting should look like."""

import numpy as np
import pytest

from plugins.host import build_options
from plugins.testing import check_colorizer, synthetic_lightness
from tinct_handtint import HandTint
from tinct_handtint.colorizer import PALETTES


def test_it_keeps_tincts_plugin_contract():
    report = check_colorizer(HandTint)
    assert "option values" in report.checks


def colorize(lightness, **params):
    backend = HandTint()
    backend.load("cpu")
    options, _ = build_options(HandTint.info, device="cpu", working_size=64, params=params)
    [sample] = [event for event in backend.colorize(lightness, options) if hasattr(event, "ab")]
    return sample.ab


def test_each_palette_paints_mid_tones_warm_and_open_sky_blue():
    lightness = np.full((64, 96), 55.0, np.float32)
    lightness[:16] = 90.0  # a bright, even band at the top: sky
    for palette in PALETTES:
        ab = colorize(lightness, palette=palette, wash=0)
        assert ab[40, 48, 1] > 10, palette  # warm (yellow) mid-tones
        assert ab[4, 48, 1] < -5, palette  # blue sky


def test_strength_zero_leaves_the_print_gray_and_the_wash_softens_edges():
    lightness = synthetic_lightness(64, 96)
    assert np.abs(colorize(lightness, strength=0.0)).max() == 0
    crisp, soft = colorize(lightness, wash=0), colorize(lightness, wash=12)
    assert np.abs(np.diff(soft, axis=1)).max() < np.abs(np.diff(crisp, axis=1)).max()


def test_an_unknown_palette_is_refused_by_the_host():
    from plugins.errors import TinctError

    with pytest.raises(TinctError, match="one of postcard, portrait, autochrome"):
        build_options(HandTint.info, device="cpu", params={"palette": "neon"})
