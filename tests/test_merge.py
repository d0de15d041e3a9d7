"""plugins.host.merge: upsampling, gamut clipping and the full-resolution merge."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from scipy import ndimage

from plugins import color
from plugins.host import merge as merging
from plugins.host.merge import DEFAULT_UPSAMPLER, UPSAMPLERS, clip_to_gamut, merge, upsample_ab


def _wild(shape, seed=0):
    rng = np.random.default_rng(seed)
    lightness = rng.uniform(0, 100, shape).astype(np.float32)
    ab = rng.uniform(-150, 150, shape + (2,)).astype(np.float32)
    return lightness, ab


def _linear(lightness, ab):
    return color.lab_to_linear(color.join_lab(lightness, ab))


def test_default_upsampler_is_listed():
    assert DEFAULT_UPSAMPLER in UPSAMPLERS == ("guided", "bilinear")


@pytest.mark.parametrize("method", UPSAMPLERS)
def test_merge_keeps_the_shape_of_odd_sizes(method):
    lightness = np.random.default_rng(0).uniform(0, 100, (1001, 757)).astype(np.float32)
    ab = np.random.default_rng(1).uniform(-40, 40, (256, 193, 2)).astype(np.float32)
    assert upsample_ab(lightness, ab, method).shape == (1001, 757, 2)
    rgb = merge(lightness, ab, method)
    assert rgb.shape == (1001, 757, 3) and rgb.dtype == np.float32
    assert rgb.min() >= 0.0 and rgb.max() <= 1.0


@pytest.mark.parametrize(("light_shape", "ab_shape"), [((120, 90), (31, 23)), ((40, 200), (60, 50))])
def test_bilinear_is_cv2_resize(light_shape, ab_shape):
    lightness = np.full(light_shape, 50, np.float32)
    ab = np.random.default_rng(2).uniform(-60, 60, ab_shape + (2,)).astype(np.float32)
    expected = cv2.resize(ab, light_shape[::-1], interpolation=cv2.INTER_LINEAR)
    np.testing.assert_allclose(upsample_ab(lightness, ab, "bilinear"), expected, atol=1e-3)


@pytest.mark.parametrize("method", UPSAMPLERS)
def test_ab_at_full_size_is_kept_and_larger_ab_is_shrunk(method):
    lightness, ab = _wild((30, 40))
    np.testing.assert_array_equal(upsample_ab(lightness, ab, method), ab)
    bigger = cv2.resize(ab, (80, 60), interpolation=cv2.INTER_NEAREST)
    assert upsample_ab(lightness, bigger, method).shape == (30, 40, 2)


@pytest.mark.parametrize("ab_shape", [(1, 1), (1, 5), (2, 3)])
def test_guided_copes_with_tiny_ab(ab_shape):
    lightness, _ = _wild((50, 70))
    ab = np.full(ab_shape + (2,), 20.0, np.float32)
    np.testing.assert_allclose(upsample_ab(lightness, ab, "guided"), 20.0, atol=1e-3)


def test_bad_input_is_refused():
    lightness, ab = _wild((20, 20))
    with pytest.raises(ValueError, match="upsampler"):
        merge(lightness, ab[::2, ::2], "nearest")
    with pytest.raises(ValueError):
        merge(lightness, ab[..., :1])


def test_clip_to_gamut_keeps_lightness_and_hue():
    lightness, ab = _wild((200, 150))
    clipped = clip_to_gamut(lightness, ab)
    linear = _linear(lightness, clipped)
    assert linear.min() > -1e-4 and linear.max() < 1 + 1e-4
    scale = np.linalg.norm(clipped, axis=-1) / np.linalg.norm(ab, axis=-1)
    assert scale.max() <= 1.0
    np.testing.assert_allclose(clipped, ab * scale[..., None], atol=1e-3)  # same hue: a pure scaling
    rgb = color.lab_to_srgb(color.join_lab(lightness, clipped))
    assert np.abs(color.srgb_to_lightness(rgb) - lightness).max() < 0.05


def test_clip_to_gamut_reduces_chroma_only_as_needed():
    lightness, ab = _wild((100, 100), seed=3)
    clipped = clip_to_gamut(lightness, ab)
    scale = np.linalg.norm(clipped, axis=-1) / np.linalg.norm(ab, axis=-1)
    reduced = (scale > 0.2) & (scale < 1.0)
    assert reduced.sum() > 1000
    # The bisection ends within 1/256 below the gamut's edge: 5% more chroma leaves it.
    beyond = _linear(lightness[reduced], clipped[reduced] * 1.05)
    assert ((beyond < -1e-6) | (beyond > 1 + 1e-6)).any(axis=-1).all()
    inside = np.full((100, 100), 50, np.float32), np.full((100, 100, 2), 10, np.float32)
    np.testing.assert_array_equal(clip_to_gamut(*inside), inside[1])


@pytest.mark.parametrize("method", UPSAMPLERS)
def test_merge_output_has_the_input_lightness(method):
    lightness, _ = _wild((240, 180), seed=4)
    _, ab = _wild((60, 45), seed=5)
    rgb = merge(lightness, ab, method)
    assert np.abs(color.srgb_to_lightness(rgb) - lightness).max() < 0.05


@pytest.mark.parametrize("level", [0.0, 100.0])
def test_black_and_white_stay_neutral(level):
    lightness = np.full((64, 48), level, np.float32)
    _, ab = _wild((16, 12), seed=6)
    np.testing.assert_allclose(merge(lightness, ab), level / 100.0, atol=1e-3)


@pytest.mark.parametrize("method", UPSAMPLERS)
def test_merge_equals_the_exact_slow_composition(monkeypatch, method):
    lightness, _ = _wild((90, 70), seed=7)
    _, ab = _wild((30, 24), seed=8)
    ab *= 0.5
    monkeypatch.setattr(merging, "_CHUNK_PIXELS", 700)  # many chunks, one of them partial
    clipped = clip_to_gamut(lightness, upsample_ab(lightness, ab, method))
    expected = color.lab_to_srgb(color.join_lab(lightness, clipped))
    np.testing.assert_allclose(merge(lightness, ab, method), expected, atol=1e-4)


def test_guided_bleeds_less_than_bilinear_at_an_edge():
    height, width, edge, factor = 192, 240, 101, 8  # edge not on the low-res grid
    lightness = np.where(np.arange(width) < edge, 30.0, 70.0).astype(np.float32)
    lightness = np.broadcast_to(lightness, (height, width)).copy()
    true_ab = np.where((np.arange(width) < edge)[:, None], (40.0, -20.0), (-30.0, 50.0)).astype(np.float32)
    true_ab = np.broadcast_to(true_ab, (height, width, 2)).copy()
    small = cv2.resize(true_ab, (width // factor, height // factor), interpolation=cv2.INTER_AREA)
    near = slice(edge - 2 * factor, edge + 2 * factor)
    errors = {
        method: np.linalg.norm(upsample_ab(lightness, small, method) - true_ab, axis=-1)[:, near].mean()
        for method in UPSAMPLERS
    }
    assert errors["guided"] < 0.5 * errors["bilinear"]


@pytest.mark.parametrize("method", UPSAMPLERS)
def test_a_merger_serves_many_samples_and_sizes_like_merge(method):
    lightness, _ = _wild((150, 110), seed=9)
    merger = merging.Merger(lightness, method)
    for seed, shape in ((10, (40, 30)), (11, (40, 30)), (12, (21, 16)), (13, (150, 110))):
        _, ab = _wild(shape, seed=seed)
        np.testing.assert_array_equal(merger.merge(ab), merge(lightness, ab, method))
        np.testing.assert_array_equal(merger.upsample(ab), upsample_ab(lightness, ab, method))


def test_merge_uint8_is_the_quantized_merge(monkeypatch):
    lightness, _ = _wild((180, 130), seed=14)
    lightness[:20] *= 0.05  # deep shadows: sRGB's straight toe
    _, ab = _wild((45, 33), seed=15)
    monkeypatch.setattr(merging, "_CHUNK_PIXELS", 1000)
    merger = merging.Merger(lightness)
    codes = merger.merge_uint8(ab)
    assert codes.dtype == np.uint8 and codes.shape == (180, 130, 3)
    expected = color.quantize(merger.merge(ab), 255, np.empty_like(codes))
    difference = np.abs(codes.astype(int) - expected)
    assert difference.max() <= 1 and np.count_nonzero(difference) <= codes.size // 10_000


def test_a_merger_refuses_an_unknown_upsampler_at_once():
    with pytest.raises(ValueError, match="upsampler"):
        merging.Merger(np.zeros((4, 4), np.float32), "nearest")


def test_guided_upsampling_is_he_and_suns_guided_filter():
    # The fast guided filter written out from its definition (He & Sun 2015), with scipy's box filter: on the
    # low-resolution grid, per window of side 2r + 1 (reflected at the borders), A = cov(I, p) / (var(I) + ε)
    # box-averaged, B = p − A·I with I = L/100 shrunk to the grid; then A and B are resized bilinearly and applied
    # to the full-resolution L. L is made of 4×4 blocks, so shrinking it to the grid is exact.
    factor, (h, w) = 4, (7, 9)
    rng = np.random.default_rng(16)
    low_lightness = rng.uniform(10, 90, (h, w)).astype(np.float32)
    lightness = np.kron(low_lightness, np.ones((factor, factor), np.float32))
    ab = rng.uniform(-50, 50, (h, w, 2)).astype(np.float32)

    def box(x):
        return ndimage.uniform_filter(x.astype(np.float64), size=(2 * merging.GUIDED_RADIUS + 1,) * 2, mode="reflect")

    guide = low_lightness / 100.0
    mean_i, var_i = box(guide), box(guide * guide) - box(guide) ** 2
    full_size = (w * factor, h * factor)
    expected = np.empty(lightness.shape + (2,))
    for channel in range(2):
        p = ab[..., channel]
        slope = box((box(guide * p) - mean_i * box(p)) / (var_i + merging.GUIDED_EPS))
        offset = p - slope * guide
        up = [cv2.resize(x.astype(np.float32), full_size, interpolation=cv2.INTER_LINEAR) for x in (slope, offset)]
        expected[..., channel] = up[0] * lightness / 100.0 + up[1]
    np.testing.assert_allclose(upsample_ab(lightness, ab, "guided"), expected, atol=1e-4)


def test_a_larger_ab_is_shrunk_with_the_area_filter():
    # Columns or rows of a, b = 10, 40, 40 repeated, three times L's size along that side: each L pixel gets
    # the mean of its three, 30 (bilinear sampling would land on the middle one, 40).
    lightness = np.full((30, 40), 50, np.float32)
    stripes = np.array([10, 40, 40], np.float32)
    cases = {
        (90, 120): np.tile(stripes, (90, 40)),  # both sides larger
        (30, 120): np.tile(stripes, (30, 40)),  # wider only
        (90, 40): np.tile(stripes[:, None], (30, 40)),  # taller only
    }
    for method in UPSAMPLERS:
        for shape, plane in cases.items():
            assert plane.shape == shape
            ab = np.stack([plane, plane], axis=-1)
            np.testing.assert_allclose(upsample_ab(lightness, ab, method), 30.0, atol=1e-4, err_msg=f"{method} {shape}")


def test_merge_takes_any_float_and_returns_float32():
    lightness, _ = _wild((40, 30), seed=17)
    _, ab = _wild((10, 8), seed=18)
    for method in UPSAMPLERS:
        expected = merge(lightness, ab, method)
        result = merge(lightness.astype(np.float64), ab.astype(np.float64), method)
        assert result.dtype == np.float32
        np.testing.assert_allclose(result, expected, atol=1e-5)
        assert upsample_ab(lightness, ab, method).dtype == np.float32
        assert upsample_ab(lightness, ab.astype(np.float64), method).dtype == np.float32
    clipped = clip_to_gamut(lightness, upsample_ab(lightness, ab).astype(np.float64))
    assert clipped.dtype == np.float32


def test_a_photo_one_pixel_high_merges():
    rgb = merge(np.full((1, 9), 50, np.float32), np.full((1, 3, 2), 10, np.float32))
    assert rgb.shape == (1, 9, 3)
    np.testing.assert_allclose(rgb, np.broadcast_to(color.lab_to_srgb(np.float32([50, 10, 10])), rgb.shape), atol=1e-4)


@pytest.mark.parametrize(
    ("lightness_shape", "ab_shape", "message"),
    [
        ((20, 20, 1), (10, 10, 2), r"need L \(H, W\), got \(20, 20, 1\)"),
        ((0, 20), (10, 10, 2), r"need L \(H, W\), got \(0, 20\)"),
        ((20, 20), (10, 10, 1), r"need ab \(h, w, 2\), got \(10, 10, 1\)"),
        ((20, 20), (10, 10), r"need ab \(h, w, 2\), got \(10, 10\)"),
        ((20, 20), (0, 10, 2), r"need ab \(h, w, 2\), got \(0, 10, 2\)"),
    ],
)
def test_bad_shapes_are_refused_with_a_message_naming_them(lightness_shape, ab_shape, message):
    with pytest.raises(ValueError, match=message):
        merge(np.full(lightness_shape, 50, np.float32), np.zeros(ab_shape, np.float32))


def test_refusals_say_what_was_expected():
    with pytest.raises(ValueError, match="unknown upsampler 'nearest'; choose one of guided, bilinear"):
        merging.Merger(np.zeros((4, 4), np.float32), "nearest")
    with pytest.raises(ValueError, match=r"ab \(4, 5, 2\) does not match L \(4, 4\)"):
        clip_to_gamut(np.zeros((4, 4), np.float32), np.zeros((4, 5, 2), np.float32))


def test_row_chunks_cover_each_row_once(monkeypatch):
    monkeypatch.setattr(merging, "_CHUNK_PIXELS", 700)
    chunks = [(rows.start, rows.stop) for rows in merging.Merger(np.zeros((25, 70), np.float32))._row_chunks()]
    assert chunks == [(0, 10), (10, 20), (20, 25)]
    # A row wider than a chunk is a chunk of its own.
    chunks = [(rows.start, rows.stop) for rows in merging.Merger(np.zeros((3, 1000), np.float32))._row_chunks()]
    assert chunks == [(0, 1), (1, 2), (2, 3)]


def test_the_gamuts_corners_are_kept():
    # sRGB's primaries, secondaries and white lie on the gamut's surface: their linear RGB is 0 or 1 up to float
    # rounding, so neither clipping nor the merge may reduce their chroma.
    rgb = np.float32([[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 0], [1, 1, 1]])[None]
    lightness, ab = color.split_lab(color.srgb_to_lab(rgb))
    np.testing.assert_allclose(clip_to_gamut(lightness, ab), ab, atol=1e-4)
    for method in UPSAMPLERS:
        np.testing.assert_allclose(merge(lightness, ab, method), rgb, atol=1e-4)


def test_a_color_only_too_bright_for_the_gamut_is_pulled_in():
    # L = 90, ab = (0, −30), a light sky blue: linear RGB ≈ (0.52, 0.78, 1.27), no channel below 0, blue above 1.
    lightness, ab = np.full((1, 1), 90, np.float32), np.float32([[[0, -30]]])
    assert 0 < _linear(lightness, ab).min() and _linear(lightness, ab).max() > 1.2
    clipped = clip_to_gamut(lightness, ab)
    scale = float(clipped[0, 0, 1] / ab[0, 0, 1])
    assert clipped[0, 0, 0] == 0 and 0.5 < scale < 1
    # In the gamut, within the bisection's 1/256 of its edge.
    assert _linear(lightness, clipped).max() <= 1 + 1e-6
    assert _linear(lightness, ab * (scale + 1 / 256)).max() > 1
