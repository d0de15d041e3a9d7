"""Reference photos: the host's chroma statistics transfer, reading a reference, and the options that carry it."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from fakes import make_plugin
from plugins import Capability, ColorizeOptions, Colorizer, ColorizerInfo, Sample
from plugins.color import lab_to_srgb, srgb_to_lab, srgb_to_lightness
from plugins.errors import ImageError
from plugins.host import PluginHost, build_options
from plugins.host.pipeline import MergedSample, colorize_lightness, colorize_samples
from plugins.host.reference import read_reference, transfer_reference


def lab_image(lightness: np.ndarray, ab: np.ndarray) -> np.ndarray:
    return np.concatenate([lightness[..., None], ab], axis=-1).astype(np.float32)


def test_the_transfer_moves_chroma_mean_and_spread_toward_the_references():
    rng = np.random.default_rng(0)
    lightness = rng.uniform(20, 80, (64, 80)).astype(np.float32)
    ab = rng.normal((0.0, 0.0), 3.0, (64, 80, 2)).astype(np.float32)
    reference_ab = rng.normal((20.0, -10.0), 6.0, (50, 50, 2))
    reference = lab_image(rng.uniform(10, 90, (50, 50)).astype(np.float32), reference_ab)
    moved = transfer_reference(lightness, ab, reference)
    for statistic in (np.mean, np.std):
        before = np.abs(statistic(ab, axis=(0, 1)) - statistic(reference_ab, axis=(0, 1)))
        after = np.abs(statistic(moved, axis=(0, 1)) - statistic(reference_ab, axis=(0, 1)))
        assert (after < 0.6 * before).all(), statistic.__name__
    assert moved.dtype == np.float32 and moved.shape == ab.shape


def test_shadows_take_the_references_shadow_colors_and_highlights_its_highlight_colors():
    lightness = np.tile(np.linspace(10, 90, 64, dtype=np.float32), (48, 1))
    ab = np.zeros((48, 64, 2), np.float32)
    dark_blue_light_orange = np.where(np.linspace(0, 1, 40)[None, :, None] < 0.5, (0.0, -40.0), (20.0, 50.0))
    reference = lab_image(np.tile(np.linspace(5, 95, 40, dtype=np.float32), (30, 1)),
                          np.broadcast_to(dark_blue_light_orange, (30, 40, 2)))
    moved = transfer_reference(lightness, ab, reference)
    assert moved[:, :8, 1].mean() < -30 and moved[:, -8:, 1].mean() > 40  # b*: blue shadows, orange highlights


def test_through_the_host_the_photos_lightness_is_kept_exactly():
    host = PluginHost.discover([make_plugin("p", noisy_backend("noisy"))], entry_points=False)
    backend = host.loaded("noisy", "cpu")
    lightness = np.tile(np.linspace(35, 65, 120, dtype=np.float32), (90, 1))
    reference = lab_image(np.full((40, 40), 50.0, np.float32), np.full((40, 40, 2), (15.0, 10.0), np.float32))
    results = {}
    for name, given in (("plain", None), ("reference", reference)):
        options = build_options(backend.info, device="cpu", reference=given)[0]
        [results[name]] = [e for e in colorize_lightness(backend, lightness, options) if isinstance(e, MergedSample)]
    assert np.abs(srgb_to_lightness(results["reference"].rgb) - lightness).max() < 0.02  # the merge's own precision
    chroma = srgb_to_lab(results["reference"].rgb)[..., 1:].mean(axis=(0, 1))
    assert chroma == pytest.approx((15.0, 10.0), abs=1.0)  # the reference's flat color, the backend's noise gone
    assert np.abs(srgb_to_lab(results["plain"].rgb)[..., 1:].mean(axis=(0, 1))).max() < 3.0


def test_a_backend_with_reference_gets_it_untouched_and_the_host_leaves_its_chroma_alone():
    seen = []
    host = PluginHost.discover([make_plugin("p", noisy_backend("own", {Capability.REFERENCE}, seen))],
                               entry_points=False)
    backend = host.loaded("own", "cpu")
    reference = lab_image(np.full((40, 40), 50.0, np.float32), np.full((40, 40, 2), (25.0, 15.0), np.float32))
    options = build_options(backend.info, device="cpu", reference=reference)[0]
    [sample] = [e for e in colorize_samples(backend, np.full((90, 120), 50.0, np.float32), options)
                if isinstance(e, Sample)]
    assert seen[0].reference is options.reference and np.array_equal(seen[0].reference, reference)
    assert np.abs(sample.ab).mean() < 2.0  # the backend's own noise, not the reference's (25, 15)


def test_build_options_shrinks_the_reference_to_the_working_size_and_freezes_a_copy():
    info = ColorizerInfo(id="x", name="x", version="1", license="MIT", default_working_size=64)
    big = lab_image(np.full((300, 500), 40.0, np.float32), np.zeros((300, 500, 2), np.float32))
    options, _ = build_options(info, device="cpu", reference=big)
    assert options.reference.shape == (64, 107, 3) and not options.reference.flags.writeable
    small = big[:20, :30].copy()
    options = ColorizeOptions(reference=small)
    small[...] = 0
    assert options.reference[0, 0, 0] == 40.0  # the caller's later changes do not reach the backend
    with pytest.raises(ValueError):
        ColorizeOptions(reference=np.zeros((10, 10)))


def test_a_reference_is_read_upright_small_and_in_lab(tmp_path):
    rgb = np.zeros((400, 600, 3), np.uint8)
    rgb[...] = (200, 40, 40)
    Image.fromarray(rgb).save(tmp_path / "ref.png")
    lab = read_reference(tmp_path / "ref.png", working_size=100)
    assert lab.shape == (100, 150, 3)
    expected = srgb_to_lab(np.array([[[200, 40, 40]]], np.float32) / 255.0)[0, 0]
    assert lab[50, 75] == pytest.approx(expected, abs=0.5)
    assert np.allclose(lab_to_srgb(lab)[50, 75] * 255, (200, 40, 40), atol=1)


@pytest.mark.parametrize("content, message", [(None, "file not found"), (b"", "empty"), (b"not a photo", "cannot read")])
def test_an_unreadable_reference_is_one_image_error(tmp_path, content, message):
    path = tmp_path / "ref.jpg"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ImageError, match=message):
        read_reference(path, 64)


def noisy_backend(backend_id: str, capabilities=frozenset(), seen: list | None = None) -> type[Colorizer]:
    """A backend of faint chroma noise around gray at 64 px that records the options it was given."""

    def colorize(self, lightness, options):
        if seen is not None:
            seen.append(options)
        h, w = lightness.shape
        shape = (round(h * 64 / min(h, w)), round(w * 64 / min(h, w)), 2)
        yield Sample(0, np.random.default_rng(options.seed).normal(0, 1.5, shape).astype(np.float32))

    info = ColorizerInfo(id=backend_id, name=backend_id, version="1", license="MIT",
                         capabilities=frozenset(capabilities))
    return type(f"Noisy_{backend_id}", (Colorizer,), {"info": info, "colorize": colorize})
