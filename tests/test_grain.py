"""plugins.host.grain: a restored photo reaches the backend with grain at its working size; the saved photo has none."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from fakes import backend_class, flat_samples, make_plugin
from plugins.color import fit_working_size, lightness_to_gray, working_shape
from plugins.host import PluginHost, build_options
from plugins.host.grain import GRAIN, with_grain
from plugins.host.pipeline import colorize_to_files
from plugins.host.restoration import Restoration
from plugins.imageio import read_photo
from plugins.restore import tone


def smooth_scene(height: int, width: int) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    return (40.0 + 20.0 * x / width + 10.0 * np.sin(y / (height / 9))).astype(np.float32)


@pytest.mark.parametrize("shape", [(1024, 1536), (1000, 1500), (3000, 4000), (256, 384), (120, 180)],
                         ids=["4x", "3.9x", "11.7x", "working size", "small"])
def test_the_grain_reaches_the_backend_at_its_strength_and_evenly(shape):
    lightness = smooth_scene(*shape)
    grainy = with_grain(lightness, 256, seed=4)
    assert grainy.dtype == np.float32 and grainy.shape == lightness.shape
    assert np.array_equal(lightness, smooth_scene(*shape))  # the input is left alone
    small = min(shape) < 256  # on its own pixels, which the backend enlarges as it enlarges the photo
    seen = grainy - lightness if small else fit_working_size(grainy, 256) - fit_working_size(lightness, 256)
    assert abs(float(seen.mean())) < 0.2
    assert seen.std() == pytest.approx(GRAIN, rel=0.1)
    columns = seen.std(axis=0)  # weaker and stronger bands where the photo's pixels and the working grid do not line up
    assert columns.min() > 0.6 * GRAIN and columns.max() < 1.4 * GRAIN


def test_the_grain_follows_the_seed_and_stays_in_range():
    lightness = np.concatenate([np.zeros((64, 128)), np.full((64, 128), 100.0)]).astype(np.float32)
    first, again, other = (with_grain(lightness, 128, seed) for seed in (1, 1, 2))
    assert np.array_equal(first, again) and not np.array_equal(first, other)
    assert first.min() >= 0.0 and first.max() <= 100.0


def test_a_restored_photo_reaches_the_backend_with_grain_and_is_saved_without(tmp_path):
    given = []

    def colorize(self, lightness, options):
        given.append(np.array(lightness))
        yield from flat_samples(0.0)(self, lightness, options)

    host = PluginHost.discover([make_plugin("recorder", backend_class("recorder", colorize)), tone], entry_points=False)
    backend = host.loaded("recorder", "cpu")
    faded = (50.0 + (smooth_scene(96, 128) - 50.0) * 0.5).astype(np.float32)
    path = tmp_path / "faded.png"
    Image.fromarray(np.rint(lightness_to_gray(faded) * 255).astype(np.uint8), "L").save(path)
    photo = read_photo(path)
    options = build_options(backend.info, device="cpu", seed=7)[0]
    target = tmp_path / "out.png"
    for plan, grain in (("tone", True), ("none", False)):
        given.clear()
        events = list(colorize_to_files(backend, photo, options, [target], overwrite=True,
                                        restoration=Restoration.for_host(host, plan)))
        restored = next((e.lightness for e in events if hasattr(e, "applied")), photo.lightness)
        [seen] = given
        expected = with_grain(restored, options.working_size, options.seed) if grain else restored
        assert np.allclose(seen, expected, atol=1e-4)
        assert np.allclose(seen, restored, atol=1.0) != grain
        saved = read_photo(target).lightness
        assert np.abs(saved - restored).mean() < 0.5  # no grain in the saved photo (8-bit rounding only)


def test_working_shape_is_the_shape_fit_working_size_gives():
    rng = np.random.default_rng(0)
    for _ in range(200):
        h, w = (int(v) for v in rng.integers(8, 3000, 2))
        size = int(rng.integers(64, 1024))
        assert working_shape((h, w), size) == fit_working_size(np.zeros((h, w), np.uint8), size).shape
