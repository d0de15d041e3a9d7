"""The training losses against values worked out by hand: Dahl's blurred loss at its 3 px and 5 px blurs,
and Zhang et al.'s rebalanced cross-entropy weighting each pixel by its nearest bin."""

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
