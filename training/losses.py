"""Losses on ab maps ``(N, 2, H, W)`` in Lab units, computed on ab / AB_SCALE."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from plugins.backends.common.blur import gaussian_blur

AB_SCALE = 110.0
SMOOTH_L1_BETA = 2.0  # Lab units: quadratic below a just-noticeable difference, linear above
BLUR_SIGMAS = (3.0, 5.0)  # Dahl's blurred loss: also compare 3 px and 5 px Gaussian blurs


def l2(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return F.mse_loss(pred / AB_SCALE, target / AB_SCALE)


def l1(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return F.l1_loss(pred / AB_SCALE, target / AB_SCALE)


def smooth_l1(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return F.smooth_l1_loss(pred / AB_SCALE, target / AB_SCALE, beta=SMOOTH_L1_BETA / AB_SCALE)


def blurred(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Dahl's loss: mean of the plain L2 and the L2 after 3 px and 5 px blurs of both maps."""
    losses = [l2(pred, target)]
    losses += [l2(gaussian_blur(pred, s), gaussian_blur(target, s)) for s in BLUR_SIGMAS]
    return sum(losses) / len(losses)


LOSSES = {"l1": l1, "l2": l2, "smooth_l1": smooth_l1, "blurred": blurred}


def rebalanced_cross_entropy(logits: torch.Tensor, ab_target: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Zhang et al.'s class-rebalanced multinomial cross-entropy (their eq. 2).

    ``logits`` ``(N, Q, h, w)`` over the ab bins of :mod:`plugins.backends.cic.bins`;
    ``ab_target`` ``(N, 2, H, W)`` in Lab units, area-downsampled here to ``(h, w)``;
    ``weights`` ``(Q,)`` rebalancing weights (``training.prior``). Each pixel's target
    is the soft encoding Z (5 nearest bins, σ = 5); its loss -Σ_q Z_q log p_q is
    scaled by v(Z) = the weight of its nearest bin; the result is the mean over pixels.
    """
    from plugins.backends.cic.bins import soft_encode_sparse

    if ab_target.shape[-2:] != logits.shape[-2:]:
        ab_target = F.interpolate(ab_target, size=logits.shape[-2:], mode="area")
    index, target = soft_encode_sparse(ab_target)  # (N, 5, h, w), nearest bin first
    log_p = torch.log_softmax(logits.float(), dim=1).gather(1, index)
    pixel_weight = weights.to(device=logits.device, dtype=torch.float32)[index[:, 0]]
    return -(pixel_weight * (target * log_p).sum(dim=1)).mean()


def soft_cross_entropy(logits: torch.Tensor, ab_target: torch.Tensor) -> torch.Tensor:
    """The cross-entropy against the soft-encoded target without rebalancing: the mean of -Σ_q Z_q log p_q.

    ``ab_target`` is area-downsampled to the logits' size as in :func:`rebalanced_cross_entropy`.
    """
    from plugins.backends.cic.bins import soft_encode_sparse

    if ab_target.shape[-2:] != logits.shape[-2:]:
        ab_target = F.interpolate(ab_target, size=logits.shape[-2:], mode="area")
    index, target = soft_encode_sparse(ab_target)
    log_p = torch.log_softmax(logits.float(), dim=1).gather(1, index)
    return -(target * log_p).sum(dim=1).mean()
