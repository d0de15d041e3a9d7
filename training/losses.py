"""Losses on ab maps ``(N, 2, H, W)`` in Lab units, computed on ab / AB_SCALE."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from plugins.backends.common.blur import gaussian_blur
from training.srgb import lab_to_srgb

AB_SCALE = 110.0
SMOOTH_L1_BETA = 2.0  # Lab units: quadratic below a just-noticeable difference, linear above
BLUR_SIGMAS = (3.0, 5.0)  # Dahl's blurred loss: also compare 3 px and 5 px Gaussian blurs
LOG_FLOOR = 2.0  # Lab units: per-photo errors below a just-noticeable difference are not chased further
SRGB_FLOOR = 1.0 / 255.0  # the same for log_srgb: one 8-bit step


def l2(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return F.mse_loss(pred / AB_SCALE, target / AB_SCALE)


def l1(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return F.l1_loss(pred / AB_SCALE, target / AB_SCALE)


def smooth_l1(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return F.smooth_l1_loss(pred / AB_SCALE, target / AB_SCALE, beta=SMOOTH_L1_BETA / AB_SCALE)


def per_photo_blurred(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Each photo's Dahl loss ``(N,)``: the mean of its plain L2 and its L2 after 3 px and 5 px blurs."""
    def per_photo_l2(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return ((a - b) / AB_SCALE).pow(2).mean(dim=(1, 2, 3))

    terms = [per_photo_l2(pred, target)]
    terms += [per_photo_l2(gaussian_blur(pred, s), gaussian_blur(target, s)) for s in BLUR_SIGMAS]
    return sum(terms) / len(terms)


def blurred(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Dahl's loss: mean of the plain L2 and the L2 after 3 px and 5 px blurs of both maps."""
    return per_photo_blurred(pred, target).mean()


def log_blurred(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The mean over photos of log(each photo's blurred loss + a floor).

    The evaluation averages PSNR, a log of each photo's error, over photos; a pooled
    L2 instead lets the photos with large errors outweigh the nearly gray ones whose
    small errors cost as many decibels. This weighs each photo as the mean PSNR does.
    """
    return torch.log(per_photo_blurred(pred, target) + (LOG_FLOOR / AB_SCALE) ** 2).mean()


def log_srgb(pred: torch.Tensor, target: torch.Tensor, lightness: torch.Tensor,
             pixel_weight: torch.Tensor | None = None) -> torch.Tensor:
    """The mean over photos of log(each photo's mean squared sRGB error + a floor): the evaluation's
    mean PSNR itself, up to the floor and 8-bit rounding. Errors in dark or out-of-gamut places cost
    what they cost on screen, not what they cost in ab. ``lightness`` ``(N, 1, H, W)`` in 0..100;
    ``pixel_weight`` ``(N, 1, H, W)``, if given, makes each photo's mean a weighted one."""
    squared = (lab_to_srgb(lightness, pred) - lab_to_srgb(lightness, target)).pow(2)
    if pixel_weight is None:
        per_photo = squared.mean(dim=(1, 2, 3))
    else:
        per_photo = (squared * pixel_weight).sum(dim=(1, 2, 3)) / (pixel_weight.sum(dim=(1, 2, 3)) * squared.shape[1])
    return torch.log(per_photo + SRGB_FLOOR**2).mean()


# True colors in this range count extra with --skin-tone-weight: the warm, moderately saturated
# tones of skin (and of wood and sand, which the range cannot tell apart), which people judge first.
SKIN_TONE_LIGHTNESS = (20.0, 90.0)
SKIN_TONE_HUE_DEGREES = (35.0, 70.0)
SKIN_TONE_CHROMA = (10.0, 40.0)


def skin_tone_mask(lightness: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:
    """``(N, 1, H, W)`` 1.0 where the true color (``lightness`` ``(N, 1, H, W)``, ``ab`` ``(N, 2, H, W)``) is a skin tone."""
    chroma = ab.norm(dim=1, keepdim=True)
    hue = torch.rad2deg(torch.atan2(ab[:, 1:2], ab[:, 0:1]))
    inside = ((lightness >= SKIN_TONE_LIGHTNESS[0]) & (lightness <= SKIN_TONE_LIGHTNESS[1])
              & (hue >= SKIN_TONE_HUE_DEGREES[0]) & (hue <= SKIN_TONE_HUE_DEGREES[1])
              & (chroma >= SKIN_TONE_CHROMA[0]) & (chroma <= SKIN_TONE_CHROMA[1]))
    return inside.to(ab.dtype)


LOSSES = {"l1": l1, "l2": l2, "smooth_l1": smooth_l1, "blurred": blurred, "log_blurred": log_blurred}
LIGHTNESS_LOSSES = {"log_srgb": log_srgb}  # losses that also take the photo's L


def colorfulness(lightness: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:
    """Each photo's colorfulness ``(N,)`` as :func:`training.quality.colorfulness` scores it (Hasler and
    Süsstrunk on |R−G| and |(R+G)/2−B|, sRGB 0..255), differentiable."""
    rgb = lab_to_srgb(lightness, ab) * 255.0
    rg = (rgb[:, 0] - rgb[:, 1]).abs()
    yb = (0.5 * (rgb[:, 0] + rgb[:, 1]) - rgb[:, 2]).abs()
    sigma = (rg.var(dim=(1, 2), unbiased=False) + yb.var(dim=(1, 2), unbiased=False) + 1e-6).sqrt()
    mu = (rg.mean(dim=(1, 2)) ** 2 + yb.mean(dim=(1, 2)) ** 2 + 1e-6).sqrt()
    return sigma + 0.3 * mu


def ab_loss(name: str, backend: str):
    """``--loss NAME`` for a backend whose loss sees ab only; a clear exit for the others."""
    if name in LIGHTNESS_LOSSES:
        raise SystemExit(f"error: --loss {name} is for the regression, guided and gan backends, not {backend}")
    return LOSSES[name]


COLORFULNESS_WEIGHT = 0.1  # per unit of colorfulness the batch falls short by: 10 units cost what e (2.7×) more error does


def photo_loss(name: str, colorfulness_floor: float | None = None, skin_tone_weight: float | None = None):
    """``--loss NAME`` as a function of ``(pred, target, lightness)``, whatever it needs.

    ``colorfulness_floor`` (with ``log_srgb`` only) adds a hinge on the batch's mean colorfulness
    below it: the best mean PSNR at that colorfulness. Uniform chroma scaling reaches a colorfulness
    too, but at the same cost on every photo; this lets the model put its color where it costs
    the fewest decibels (the photos and places it is surest of).

    ``skin_tone_weight`` W (with ``log_srgb`` only) counts each pixel whose true color is a skin tone
    (:func:`skin_tone_mask`) 1 + W times in its photo's mean error, so that the color the floor adds
    does not go onto faces as a red flush.
    """
    options = {"--colorfulness-floor": colorfulness_floor is not None, "--skin-tone-weight": bool(skin_tone_weight)}
    for flag, given in options.items():
        if given and name not in LIGHTNESS_LOSSES:
            raise SystemExit(f"error: {flag} goes with --loss log_srgb (the photos' log error), not {name}")
    if name in LIGHTNESS_LOSSES:
        base = LIGHTNESS_LOSSES[name]
        if not any(options.values()):
            return base

        def with_options(pred: torch.Tensor, target: torch.Tensor, lightness: torch.Tensor) -> torch.Tensor:
            weight = 1.0 + skin_tone_weight * skin_tone_mask(lightness, target) if skin_tone_weight else None
            loss = base(pred, target, lightness, weight)
            if colorfulness_floor is not None:
                loss = loss + COLORFULNESS_WEIGHT * torch.relu(colorfulness_floor - colorfulness(lightness, pred).mean())
            return loss

        return with_options
    ab_only = LOSSES[name]
    return lambda pred, target, lightness: ab_only(pred, target)


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
