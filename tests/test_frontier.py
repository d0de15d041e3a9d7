"""The saturation frontier: scaling chroma trades PSNR for colorfulness; results are placed against it."""

from __future__ import annotations

import numpy as np
import pytest
import tinct_testbackend

from plugins.host import PluginHost
from training.frontier import above, curve, parse_point


def test_a_point_is_placed_by_linear_interpolation_between_its_neighbours():
    points = [(1.0, 22.0, 20.0), (1.5, 21.0, 30.0), (2.0, 19.0, 40.0)]
    assert above(points, 21.5, 25.0) == pytest.approx(0.0)  # on the line from (20, 22) to (30, 21)
    assert above(points, 21.0, 35.0) == pytest.approx(1.0)  # the curve is at 20.0 there
    assert above(points, 23.0, 10.0) == pytest.approx(0.0)  # extrapolated: 22 + 0.1 × 10


def test_scaling_the_chroma_up_raises_colorfulness_and_zero_gives_gray():
    backend = PluginHost.discover([tinct_testbackend], entry_points=False).loaded("testbackend", "cpu")
    rng = np.random.default_rng(0)
    truths = [rng.integers(0, 255, (32, 32, 3), dtype=np.uint8) for _ in range(2)]
    (k0, _, cf0), (k1, _, cf1), (k2, _, cf2) = curve(backend, truths, [0.0, 1.0, 2.0])
    assert cf0 == pytest.approx(0.0, abs=0.5) and cf0 < cf1 < cf2


def test_points_are_parsed_from_name_psnr_at_colorfulness():
    assert parse_point("cic 1=20.65@43.8") == ("cic 1", 20.65, 43.8)
