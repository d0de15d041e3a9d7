"""plugins.color: reference values, round trips, and the fast paths against the exact ones."""

from __future__ import annotations

import numpy as np
import pytest

from plugins import color


def _random_lab(shape, seed=0, chroma=150.0):
    rng = np.random.default_rng(seed)
    lightness = rng.uniform(0, 100, shape)
    ab = rng.uniform(-chroma, chroma, shape + (2,))
    return np.concatenate([lightness[..., None], ab], axis=-1).astype(np.float32)


@pytest.mark.parametrize(
    ("rgb", "lab"),
    [
        ((1.0, 0.0, 0.0), (53.24, 80.09, 67.20)),
        ((0.0, 1.0, 0.0), (87.73, -86.18, 83.18)),
        ((0.0, 0.0, 1.0), (32.30, 79.19, -107.86)),
        ((1.0, 1.0, 1.0), (100.0, 0.0, 0.0)),
        ((0.0, 0.0, 0.0), (0.0, 0.0, 0.0)),
        ((0.5, 0.5, 0.5), (53.39, 0.0, 0.0)),
    ],
)
def test_srgb_to_lab_matches_reference_values(rgb, lab):
    lab_array = np.array(lab, np.float32)
    np.testing.assert_allclose(color.srgb_to_lab(np.array(rgb, np.float32)), lab, atol=0.01)
    # The table is rounded to 0.01, hence the looser tolerance back to sRGB.
    np.testing.assert_allclose(color.lab_to_srgb(lab_array), rgb, atol=1e-3)
    np.testing.assert_allclose(color.lab_to_srgb_fast(lab_array), rgb, atol=1e-3)


def test_srgb_lab_round_trip():
    rgb = np.random.default_rng(1).uniform(0, 1, (64, 48, 3)).astype(np.float32)
    lab = color.srgb_to_lab(rgb)
    np.testing.assert_allclose(color.lab_to_srgb(lab), rgb, atol=1e-4)
    np.testing.assert_allclose(color.lab_to_srgb_fast(lab), rgb, atol=1e-4)
    np.testing.assert_allclose(color.srgb_to_lightness(rgb), lab[..., 0], atol=1e-3)


def test_gray_lightness_round_trip():
    gray = np.linspace(0, 1, 1001, dtype=np.float32)
    np.testing.assert_allclose(color.lightness_to_gray(color.gray_to_lightness(gray)), gray, atol=1e-5)


@pytest.mark.parametrize("shape", [(), (0,), (7,), (33, 65), (3, 5, 4), (600, 500)])  # last: several chunks
def test_lab_to_srgb_fast_matches_exact(shape):
    lab = _random_lab(shape, seed=2)
    fast = color.lab_to_srgb_fast(lab)
    assert fast.shape == lab.shape and fast.dtype == np.float32
    np.testing.assert_allclose(fast, color.lab_to_srgb(lab), atol=3e-5)


def test_lab_to_linear_fast_matches_exact_out_of_gamut_too():
    lab = _random_lab((80, 90), seed=3)
    exact = color.lab_to_linear(lab)
    fast = color.lab_to_linear_fast(lab[..., 0], lab[..., 1:])
    np.testing.assert_allclose(fast, exact, rtol=1e-5, atol=1e-5)


def test_fast_paths_accept_empty_input():
    linear = color.lab_to_linear_fast(np.zeros((0,), np.float32), np.zeros((0, 2), np.float32))
    assert linear.shape == (0, 3) and linear.dtype == np.float32
    srgb = color.linear_to_srgb_fast(np.zeros((0, 4, 3), np.float32))
    assert srgb.shape == (0, 4, 3) and srgb.dtype == np.float32


def test_linear_to_srgb_fast_matches_exact_and_clips():
    lin = np.concatenate(
        [np.linspace(-0.5, 1.5, 20001), np.linspace(0, 0.01, 5001)]  # the linear toe near 0 too
    ).astype(np.float32)
    expected = np.clip(color.linear_to_srgb(lin), 0, 1)
    np.testing.assert_allclose(color.linear_to_srgb_fast(lin), expected, atol=1e-6)


def test_srgb_codes_fast_is_the_quantized_encoding():
    lin = np.concatenate(
        [np.linspace(0, 1, 200_001), np.linspace(0, 0.01, 50_001), np.linspace(0.0030, 0.0032, 1001)]
    ).astype(np.float32)[None]
    codes = color.srgb_codes_fast(lin, np.empty(lin.shape, np.uint8))
    expected = color.quantize(color.encode_srgb_fast(lin), 255, np.empty(lin.shape, np.uint8))
    difference = np.abs(codes.astype(int) - expected)  # float rounding of values within ~1e-4 of a half code
    assert difference.max() <= 1 and np.count_nonzero(difference) <= lin.size // 10_000


def test_encode_srgb_fast_writes_into_out_or_refuses_it():
    lin = np.random.default_rng(4).uniform(0, 1, (5, 6, 3)).astype(np.float32)
    rows = np.zeros((9, 6, 3), np.float32)
    color.encode_srgb_fast(lin, rows[2:7])
    np.testing.assert_array_equal(rows[2:7], color.linear_to_srgb_fast(lin))
    with pytest.raises(ValueError, match="out"):
        color.srgb_codes_fast(lin, np.zeros((5, 6, 3), np.uint16))


def test_quantize_rounds_half_up_and_clamps():
    srgb = np.array([0.0, 0.5 / 255, 1.5 / 255, 1.0, -0.2, 1.3, np.nan, np.inf, -np.inf], np.float32)
    out = color.quantize(srgb, 255, np.empty(srgb.shape, np.uint8))
    assert out.tolist() == [0, 1, 2, 255, 0, 255, 0, 255, 0]
    assert color.quantize(np.float32([1.0, 0.5]), 65535, np.empty(2, np.uint16)).tolist() == [65535, 32768]


def test_fit_short_side_never_returns_the_callers_array():
    image = np.zeros((40, 60), np.float32)
    image.flags.writeable = False  # as backends get the photo
    same_size = color.fit_short_side(image, 40)
    assert same_size is not image and same_size.flags.writeable and same_size.shape == (40, 60)


@pytest.mark.parametrize("shape, expected", [((300, 400), (256, 341)), ((48, 768), (64, 1024)),
                                             ((16, 800), (32, 1600)), ((256, 256), (256, 256))])
def test_fit_working_size_bounds_the_long_side_of_a_strip(shape, expected):
    assert color.fit_working_size(np.zeros(shape, np.float32), 256).shape == expected


def test_the_conversions_return_float32():
    rgb = np.random.default_rng(5).uniform(0, 1, (4, 5, 3)).astype(np.float32)
    lab = color.srgb_to_lab(rgb)
    lightness, ab = color.split_lab(lab)
    for result in (color.srgb_to_linear(rgb), color.linear_to_srgb(rgb), lab, color.lab_to_linear(lab),
                   color.lab_to_srgb(lab), color.srgb_to_lightness(rgb), color.luminance_to_lightness(rgb[..., 0]),
                   color.lightness_to_luminance(lightness), color.join_lab(lightness, ab)):
        assert result.dtype == np.float32
    # The fast paths make float32 of float64 input too.
    assert color.f_inv_fast(np.full((2, 3), 0.5)).dtype == np.float32
    assert color.linear_to_srgb_fast(np.full((2, 3), 0.5)).dtype == np.float32


def test_split_lab_is_lightness_and_chroma():
    lab = np.arange(24, dtype=np.float32).reshape(2, 4, 3)
    lightness, ab = color.split_lab(lab)
    np.testing.assert_array_equal(lightness, [[0, 3, 6, 9], [12, 15, 18, 21]])
    np.testing.assert_array_equal(ab[1, 2], [19, 20])
    assert ab.shape == (2, 4, 2) and lightness.flags.c_contiguous and ab.flags.c_contiguous
    np.testing.assert_array_equal(color.join_lab(lightness, ab), lab)


def test_f_inv_fast_known_values():
    # Lab's f⁻¹: f³ above f = 6/29, the line (116 f − 16) / κ below it (κ = 24389/27): black (f = 16/116) is 0.
    f = np.array([0.5, 16 / 116, 0.1, 6 / 29, 1.0], np.float32)
    expected = [0.125, 0.0, (11.6 - 16) * 27 / 24389, (6 / 29) ** 3, 1.0]
    np.testing.assert_allclose(color.f_inv_fast(f), expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(color.f_inv_fast(f.reshape(5, 1)), np.reshape(expected, (5, 1)), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(color.f_inv_fast(f.astype(np.float64)), expected, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("shape", [(7,), (3, 5, 4)])
def test_lab_to_linear_fast_keeps_the_shape(shape):
    lab = _random_lab(shape, seed=6, chroma=40.0)
    fast = color.lab_to_linear_fast(lab[..., 0], lab[..., 1:])
    assert fast.shape == shape + (3,)
    np.testing.assert_allclose(fast, color.lab_to_linear(lab), rtol=1e-5, atol=1e-5)


def test_encode_srgb_fast_known_values():
    # IEC 61966-2-1: 12.92·x in the toe (x ≤ 0.0031308), 1.055·x^(1/2.4) − 0.055 above:
    # 0.001 → 0.01292, 0.5 → 0.735357 (code 188 of 255), 1 → 1. A single pixel in the toe too.
    np.testing.assert_allclose(color.encode_srgb_fast(np.float32([[0.001]])), [[0.01292]], rtol=1e-5)
    lin = np.float32([[0.0, 0.001, 0.5, 1.0]])
    np.testing.assert_allclose(color.encode_srgb_fast(lin), [[0.0, 0.01292, 0.735357, 1.0]], rtol=1e-5, atol=1e-7)
    assert color.srgb_codes_fast(lin, np.empty(lin.shape, np.uint8)).tolist() == [[0, 3, 188, 255]]


def test_a_wrong_out_is_named_in_the_message():
    lin = np.zeros((2, 3), np.float32)
    with pytest.raises(ValueError, match=r"out must be contiguous uint8 \(2, 3\), not uint16 \(2, 3\)"):
        color.srgb_codes_fast(lin, np.zeros((2, 3), np.uint16))


def test_fit_short_side_averages_when_shrinking():
    # Columns 1, 0, 0 repeated, shrunk 3×: the area filter gives each output pixel the mean 1/3 of its three
    # columns; bilinear sampling would land on the middle column, 0.
    stripes = np.tile(np.float32([1, 0, 0]), (6, 6))  # (6, 18)
    shrunk = color.fit_short_side(stripes, 2)
    assert shrunk.shape == (2, 6)
    np.testing.assert_allclose(shrunk, 1 / 3, atol=1e-6)


def test_fit_short_side_interpolates_linearly_when_enlarging():
    # Columns 0, 0, 1, 1 enlarged 1.5×: output column d samples x = (d + 0.5) / 1.5 − 0.5, clamped to 0..3:
    # 0, 0.5, 1.17, 1.83, 2.5, 3.17 → 0, 0, 1/6, 5/6, 1, 1 (the area filter would give 0, 0, 0, 1, 1, 1).
    edge = np.tile(np.float32([0, 0, 1, 1]), (4, 1))
    enlarged = color.fit_short_side(edge, 6)
    assert enlarged.shape == (6, 6)
    np.testing.assert_allclose(enlarged, np.tile([0, 0, 1 / 6, 5 / 6, 1, 1], (6, 1)), atol=1e-6)


def test_fit_short_side_and_working_size_keep_color_channels_and_one_pixel_sides():
    assert color.fit_working_size(np.zeros((300, 400, 3), np.float32), 256).shape == (256, 341, 3)
    assert color.fit_short_side(np.zeros((30, 40, 3), np.float32), 60).shape == (60, 80, 3)
    assert color.fit_short_side(np.zeros((10, 100), np.float32), 1).shape == (1, 10)
    assert color.fit_short_side(np.zeros((100, 10), np.float32), 1).shape == (10, 1)
