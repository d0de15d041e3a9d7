"""The published metrics (PSNR, AuC, colorfulness) against values worked out by hand, not by the code.

Each expected value is derived in a comment from the metric's definition and, for AuC,
from published sRGB → Lab values; each tolerance is tight enough that a plausible slip
(the wrong peak, the wrong thresholds, the wrong weight) fails.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from training import quality


def pixels(*rgb: tuple[int, int, int]) -> np.ndarray:
    """A 1-row 8-bit sRGB image of the given pixels, ``uint8 (1, N, 3)``."""
    return np.array([rgb], dtype=np.uint8)


def test_psnr_of_two_pixels_one_off_by_ten_uses_the_peak_255():
    # Six values (2 pixels × 3 channels): three are equal, three are off by 10.
    # MSE = 3 · 10² / 6 = 50; PSNR = 10 · log10(255² / 50) = 10 · log10(1300.5) = 31.1411 dB.
    # (A peak of 256 would give 10 · log10(65536 / 50) = 31.1751 dB.)
    result = pixels((100, 100, 100), (110, 110, 110))
    truth = pixels((100, 100, 100), (100, 100, 100))
    assert quality.psnr(result, truth) == pytest.approx(31.1411, abs=2e-4)
    assert quality.psnr(truth, result) == pytest.approx(31.1411, abs=2e-4)  # symmetric


def test_auc_of_pure_red_against_gray_counts_46_of_the_151_thresholds():
    # Published sRGB → Lab (D65): pure red (255, 0, 0) is L 53.24, a 80.09, b 67.20; any neutral
    # gray has a = b = 0. The ab error is sqrt(80.09² + 67.20²) = sqrt(6414.41 + 4515.84) = 104.55.
    # The pixel is within threshold t for t = 105, 106, …, 150: 46 of the 151 thresholds 0..150,
    # so AuC = 46 / 151 = 0.30464. (Thresholds 0..100 would never reach 104.55: AuC 0.)
    red, gray = pixels((255, 0, 0)), pixels((128, 128, 128))
    assert quality.ab_error(red, gray)[0, 0] == pytest.approx(math.hypot(80.09, 67.20), abs=0.05)
    assert quality.auc(red, gray) == pytest.approx(46 / 151, abs=1e-9)


def test_auc_of_a_half_right_image_averages_its_pixels():
    # Pixel 1 exact (error 0: within all 151 thresholds), pixel 2 red for gray (within 46 of them):
    # AuC = (151 + 46) / (2 · 151) = 197 / 302.
    truth = pixels((128, 128, 128), (128, 128, 128))
    result = pixels((128, 128, 128), (255, 0, 0))
    assert quality.auc(result, truth) == pytest.approx(197 / 302, abs=1e-9)


def test_colorfulness_of_a_red_and_a_blue_pixel_worked_out_on_paper():
    # The absolute-difference form: rg = |R − G|, yb = |(R + G)/2 − B|, population std.
    #   (255, 0, 0): rg = 255, yb = |127.5 − 0|   = 127.5
    #   (0, 0, 255): rg = 0,   yb = |0 − 255|     = 255
    # rg: mean 127.5 = 2 · 63.75, std 127.5 = 2 · 63.75; yb: mean 191.25 = 3 · 63.75, std 63.75.
    # σ = sqrt(127.5² + 63.75²) = 63.75 · √5 = 142.5493; μ = sqrt(127.5² + 191.25²) = 63.75 · √13 = 229.8539.
    # CF = σ + 0.3 · μ = 142.5493 + 68.9562 = 211.5055.
    # (Weight 0.5: 257.48. Sample std: 270.55. The paper's signed yb, (127.5, −255): 272.62.)
    image = pixels((255, 0, 0), (0, 0, 255))
    assert quality.colorfulness(image) == pytest.approx(211.5055, abs=1e-3)


def test_a_gray_image_has_no_colorfulness():
    # Gray: R = G = B, so rg = yb = 0 everywhere and CF = 0 exactly.
    assert quality.colorfulness(pixels((0, 0, 0), (90, 90, 90), (255, 255, 255))) == 0.0


def test_psnr_of_an_error_of_exactly_one_is_48_db_not_the_identical_images_cap():
    # Three values, each off by 1: MSE = 1, PSNR = 10 · log10(255²) = 48.1308 dB (the 100 dB cap is for MSE 0 only).
    assert quality.psnr(pixels((10, 20, 30)), pixels((11, 21, 31))) == pytest.approx(48.1308, abs=1e-4)


def test_the_ab_error_is_a_distance_between_two_chromas_not_from_gray():
    # Published sRGB → Lab (D65): red (255, 0, 0) a 80.09, b 67.20; green (0, 255, 0) a −86.18, b 83.18.
    # Distance = sqrt((80.09 + 86.18)² + (67.20 − 83.18)²) = sqrt(27645.7 + 255.4) = 167.04.
    # (Adding the two instead of subtracting would give sqrt(6.09² + 150.38²) = 150.50.)
    assert quality.ab_error(pixels((255, 0, 0)), pixels((0, 255, 0)))[0, 0] == pytest.approx(167.04, abs=0.1)


def test_diversity_of_three_samples_is_the_mean_of_their_three_pairwise_distances_worked_out_on_paper():
    from training.quality import mean_pairwise_ab_distance

    a = np.zeros((1, 2, 2))  # two pixels, both gray
    b = np.array([[[3.0, 4.0], [0.0, 0.0]]])  # first pixel 5 away from a's, second equal
    c = np.array([[[3.0, 4.0], [6.0, 8.0]]])  # from a: 5 and 10; from b: 0 and 10
    # pairs (a, b) 2.5, (a, c) 7.5, (b, c) 5 → 5
    assert mean_pairwise_ab_distance([a, b, c]) == pytest.approx(5.0)
    assert mean_pairwise_ab_distance([a, c]) == pytest.approx(7.5)
    assert mean_pairwise_ab_distance([c]) == 0.0
