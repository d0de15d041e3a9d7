"""The training losses against values worked out by hand: L1, L2 and smooth L1, Dahl's blurred loss at its
3 px and 5 px blurs and the blur's kernel, and Zhang et al.'s soft and rebalanced cross-entropies (each pixel
weighted by its nearest bin, the target area-averaged to the logits' size)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from plugins.backends.cic.bins import Q, bin_centers
from training import losses


def test_the_blurred_loss_erases_an_error_of_period_8_px_at_its_3_and_5_px_blurs():
    # An ab error that is a cosine of period P = 8 px along x. A Gaussian blur of width σ keeps
    # g = exp(−2π²σ²/P²) of its amplitude: 0.062 at σ = 3, 0.0004 at σ = 5 (the kernels, cut at 2σ,
    # keep 0.042 and 0.022), so each blurred L2 keeps g² ≤ 0.002 of the plain L2, and
    # blurred / l2 = (1 + g₃² + g₅²) / 3 = 0.334, about 1/3.
    # Blurs of σ 0.7 and 1.0 keep g = 0.86 and 0.73: (1 + 0.74 + 0.54) / 3 = 0.76.
    # Width 33 = 4·8 + 1: the cosine is symmetric about both edges, so reflect padding continues it exactly.
    x = torch.arange(33, dtype=torch.float32)
    error = (20 * torch.cos(2 * math.pi * x / 8)).expand(1, 2, 24, 33).contiguous()
    target = torch.full_like(error, 5.0)
    ratio = float(losses.blurred(target + error, target) / losses.l2(target + error, target))
    assert ratio == pytest.approx(0.334, abs=0.002)


def test_the_blurred_loss_keeps_an_error_that_is_flat():
    # A constant error survives any blur: all three terms equal the plain L2.
    target = torch.zeros(1, 2, 16, 16)
    assert float(losses.blurred(target + 7, target)) == pytest.approx(float(losses.l2(target + 7, target)), rel=1e-6)


def test_rebalanced_cross_entropy_weights_a_pixel_by_its_nearest_bin():
    # Bin centers are the multiples of 10 in ab. For ab = (12, 3) the nearest are
    # (10, 0) at √13 = 3.61, (10, 10) at √53 = 7.28, (20, 0) at √73 = 8.54, (20, 10) at √113 = 10.63,
    # (0, 0) at √153 = 12.37. With all-zero logits every bin has p = 1/Q, so log p = −log Q and
    # −Σ Z_q log p_q = log Q whatever the soft encoding Z; the loss is w[(10, 0)] · log Q.
    # With w = 0, 1, …, Q − 1 each bin has its own weight: weighting by any other bin
    # (e.g. the 5th nearest, (0, 0)) or not at all gives another value.
    centers = bin_centers()
    nearest = int(np.flatnonzero((centers == (10, 0)).all(axis=1))[0])
    weights = torch.arange(Q, dtype=torch.float32)
    ab = torch.tensor([12.0, 3.0]).view(1, 2, 1, 1).expand(2, 2, 8, 8).contiguous()  # area-downsampled to 4×4
    loss = float(losses.rebalanced_cross_entropy(torch.zeros(2, Q, 4, 4), ab, weights))
    assert loss == pytest.approx(nearest * math.log(Q), rel=1e-5)


def test_the_l1_and_l2_losses_are_the_mean_error_and_squared_error_in_units_of_110():
    # Errors of +11 and −33 Lab units: |e| / 110 = 0.1 and 0.3, mean 0.2; (e / 110)² = 0.01 and 0.09, mean 0.05.
    target = torch.full((1, 2, 2, 3), 40.0)
    pred = target.clone()
    pred[:, 0] += 11
    pred[:, 1] -= 33
    assert float(losses.l1(pred, target)) == pytest.approx(0.2, rel=1e-6)
    assert float(losses.l2(pred, target)) == pytest.approx(0.05, rel=1e-6)


def test_the_smooth_l1_loss_is_quadratic_below_2_lab_units_and_linear_above():
    # In Lab units with β = 2: e²/(2β) below β, |e| − β/2 above, all / 110.
    # An error of 1 → 0.25 / 110, an error of 12 → 11 / 110: mean 11.25 / 220.
    # (β = 1 would give 0.5 / 110 and 11.5 / 110; no β, i.e. plain L1, 1 / 110 and 12 / 110.)
    target = torch.full((1, 2, 4, 4), -20.0)
    pred = target.clone()
    pred[:, 0] += 1
    pred[:, 1] -= 12
    assert float(losses.smooth_l1(pred, target)) == pytest.approx(11.25 / 220, rel=1e-6)


def _impulse(size: int, dtype: torch.dtype) -> torch.Tensor:
    x = torch.zeros(1, 2, size, size, dtype=dtype)
    x[:, :, size // 2, size // 2] = 1.0
    return x


def test_the_blur_kernel_is_a_gaussian_cut_at_2_sigma():
    # σ = 1: radius 2, taps exp(−t²/2) for t = −2..2 = 0.1353, 0.6065, 1, 0.6065, 0.1353, normalized by
    # their sum 2.4837: 0.05449, 0.24420, 0.40262, 0.24420, 0.05449. The blur of a unit impulse is the
    # outer product of that kernel with itself; nothing leaks beyond 2 px (a cut at 3σ would give 7 taps).
    # In float64, so the kernel must be made in the input's precision.
    kernel = torch.tensor([0.054488684549642, 0.244201342003233, 0.402619946894247, 0.244201342003233,
                           0.054488684549642], dtype=torch.float64)
    expected = torch.zeros(9, 9, dtype=torch.float64)
    expected[2:7, 2:7] = torch.outer(kernel, kernel)
    blurred = losses.gaussian_blur(_impulse(9, torch.float64), 1.0)
    assert blurred.shape == (1, 2, 9, 9)
    torch.testing.assert_close(blurred[0, 0], expected, rtol=0, atol=1e-12)
    torch.testing.assert_close(blurred[0, 1], expected, rtol=0, atol=1e-12)


def test_the_blur_at_sigma_3_reaches_6_px():
    # σ = 3: radius ⌈6⌉ = 6, 13 taps; the outermost exp(−36/18) = e⁻² of the center's.
    blurred = losses.gaussian_blur(_impulse(21, torch.float32), 3.0)[0, 0]
    row = blurred[10]
    assert float(row[4]) == pytest.approx(math.exp(-2) * float(row[10]), rel=1e-5)
    assert float(row[3]) == 0.0 and float(row[17]) == 0.0 and float(row[16]) > 0.0


def _blocks_averaging_to(mean_ab: tuple[float, float], corner_ab: tuple[float, float]) -> torch.Tensor:
    """ab (1, 2, 8, 8) whose 2×2 blocks each average to ``mean_ab`` but start (top left) at ``corner_ab``."""
    rest = [(4 * m - c) / 3 for m, c in zip(mean_ab, corner_ab)]
    block = torch.tensor([[corner_ab, rest], [rest, rest]]).permute(2, 0, 1)  # (2, 2, 2)
    return block.repeat(1, 4, 4)[None]


def _bin_index(a: float, b: float) -> int:
    return int(np.flatnonzero((bin_centers() == (a, b)).all(axis=1))[0])


def test_rebalanced_cross_entropy_area_averages_the_target_to_the_logits_size():
    # Each 2×2 block averages to (12, 3), nearest bin (10, 0), but its top-left pixel is (28, 3), nearest
    # (30, 0): the area-averaged target weights by (10, 0), a subsampled one by (30, 0).
    ab = _blocks_averaging_to((12.0, 3.0), (28.0, 3.0))
    weights = torch.arange(Q, dtype=torch.float32)
    loss = float(losses.rebalanced_cross_entropy(torch.zeros(1, Q, 4, 4), ab, weights))
    assert loss == pytest.approx(_bin_index(10, 0) * math.log(Q), rel=1e-5)


def test_soft_cross_entropy_of_a_target_on_a_bin_center():
    # ab = (10, 0) is a bin center; its 5 nearest bins are itself (distance 0) and (0, 0), (20, 0), (10, ±10)
    # (distance 10), so Z = (1, e⁻², e⁻², e⁻², e⁻²) / (1 + 4e⁻²) with σ = 5: Z₀ = 0.64879.
    # Logit s on bin (10, 0) and 0 elsewhere: p₀ = eˢ / (eˢ + Q − 1), the rest 1 / (eˢ + Q − 1), so
    # −Σ Z_q log p_q = log(eˢ + Q − 1) − Z₀·s. Each 2×2 block of the target averages to (10, 0) but starts
    # at (30, 0), whose 5 nearest bins do not include (10, 0): subsampling would give log(eˢ + Q − 1).
    s = 4.0
    logits = torch.zeros(2, Q, 4, 4)
    logits[:, _bin_index(10, 0)] = s
    ab = _blocks_averaging_to((10.0, 0.0), (30.0, 0.0)).expand(2, 2, 8, 8)
    z0 = 1 / (1 + 4 * math.exp(-2))
    expected = math.log(math.exp(s) + Q - 1) - z0 * s
    assert float(losses.soft_cross_entropy(logits, ab)) == pytest.approx(expected, rel=1e-5)
    # Rebalancing with weight 2 on that bin doubles it: every pixel's nearest bin is (10, 0).
    weights = torch.ones(Q)
    weights[_bin_index(10, 0)] = 2.0
    assert float(losses.rebalanced_cross_entropy(logits, ab, weights)) == pytest.approx(2 * expected, rel=1e-5)


def test_the_log_blurred_loss_is_the_mean_over_photos_of_the_log_of_each_photos_blurred_loss():
    # Two photos with flat errors of 11 and 33 Lab units: each blurred loss is its plain L2,
    # (0.1)² and (0.3)²; the floor adds (2/110)² to each before the log.
    target = torch.zeros(2, 2, 16, 16)
    pred = target.clone()
    pred[0] += 11
    pred[1] += 33
    floor = (2 / 110) ** 2
    expected = (math.log(0.01 + floor) + math.log(0.09 + floor)) / 2
    assert float(losses.log_blurred(pred, target)) == pytest.approx(expected, rel=1e-5)


def test_the_log_blurred_loss_weighs_a_nearly_right_photo_as_much_as_a_wrong_one():
    # Halving the error of the nearly right photo (4 ab) lowers the loss as much as halving that of the
    # wrong one (40 ab) does, as the mean PSNR counts them; the pooled blurred loss barely sees the first.
    target = torch.zeros(2, 2, 24, 24)

    def both(small, large):
        pred = target.clone()
        pred[0] += small
        pred[1] += large
        return pred
    start = both(4.0, 40.0)
    gain_small = float(losses.log_blurred(start, target) - losses.log_blurred(both(2.0, 40.0), target))
    gain_large = float(losses.log_blurred(start, target) - losses.log_blurred(both(4.0, 20.0), target))
    assert gain_small > 0.4 * gain_large
    pooled_small = float(losses.blurred(start, target) - losses.blurred(both(2.0, 40.0), target))
    pooled_large = float(losses.blurred(start, target) - losses.blurred(both(4.0, 20.0), target))
    assert pooled_small < 0.02 * pooled_large
