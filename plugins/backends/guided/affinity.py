"""A learnt affinity for spreading hints (after Liu et al.'s spatial propagation networks, 2017).

The host's propagation (:mod:`plugins.host.hints`) links neighbouring cells by how alike their
lightness is. Two fixed choices of that link are measured: the host's (strict: a blurred edge stops
a hint) and Levin's plain one (loose: hints climb soft outlines and, on real photos, mostly stay
right, but one hint on a hat can tint a face). Here each link is learnt between them:

    w_rs = strict_rs + (loose_rs − strict_rs) · sigmoid(b − |e_r − e_s|²)

with ``e`` a few channels that a small head computes from the regression decoder's finest
features and L, and ``b`` one learnt number: where the features say two cells are alike, the link
opens as far as Levin's; where they differ (another object), it closes to the host's. So it can
only choose between the two, per link: a hint never spreads less than the host spreads it.
The system is the host's (its hard constraints; its data term, but grown over the learnt links),
solved with scipy; its gradient with respect to every w_rs comes from the adjoint, one more solve
with the same factorization. The data term is held constant for the gradient (it comes from a
shortest-path search).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from scipy import sparse
from torch import nn

EMBEDDING_CHANNELS = 4


class AffinityHead(nn.Module):
    """The decoder's finest features ``(N, C, h, w)`` and L* ``(N, 1, H, W)`` → ``e`` ``(N, k, h, w)``.

    Its last layer starts small, not at zero: at ``e = 0`` every link's gradient vanishes (the
    difference of equal embeddings), and nothing would learn."""

    def __init__(self, feature_channels: int, width: int = 32, channels: int = EMBEDDING_CHANNELS):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(feature_channels + 1, width, 1), nn.ReLU(inplace=True),
            nn.Conv2d(width, width, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(width, width, 3, padding=2, dilation=2), nn.ReLU(inplace=True),
            nn.Conv2d(width, channels, 1),
        )
        nn.init.normal_(self.body[-1].weight, 0.0, 0.3 / width**0.5)
        nn.init.zeros_(self.body[-1].bias)
        self.opening = nn.Parameter(torch.zeros(()))  # b: how far links open where the embeddings agree

    def forward(self, finest: torch.Tensor, lightness: torch.Tensor) -> torch.Tensor:
        light = F.adaptive_avg_pool2d(lightness.float() / 50.0 - 1.0, finest.shape[-2:]).to(finest.dtype)
        return self.body(torch.cat([finest, light], dim=1))


class _Solve(torch.autograd.Function):
    """Link weights ``(E,)`` → the propagated correction ``(n, 2)``; the rest is fixed per photo."""

    @staticmethod
    def forward(ctx, weights, rows, cols, data, fixed, delta):
        from plugins.host.hints import factorize

        n = fixed.size
        matrix = sparse.coo_matrix((weights.detach().double().cpu().numpy(), (rows, cols)), shape=(n, n)).tocsr()
        solve, factor = factorize((matrix + matrix.T).tocsr(), data, fixed)
        x = solve(delta)
        ctx.factor, ctx.x, ctx.rows, ctx.cols, ctx.free = factor, x, rows, cols, (~fixed).astype(np.float64)
        return torch.from_numpy(x).to(weights.device, weights.dtype)

    @staticmethod
    def backward(ctx, grad):
        # x solves (M x)_free = 0 with x_fixed given; the adjoint λ solves M_ff λ = grad_free (the same
        # symmetric system), and dL/dw_rs = −(λ_r − λ_s)·(x_r − x_s), summed over a* and b*.
        adjoint = ctx.factor.solve(ctx.free[:, None] * grad.double().cpu().numpy())
        x, rows, cols = ctx.x, ctx.rows, ctx.cols
        grad_weights = -((adjoint[rows] - adjoint[cols]) * (x[rows] - x[cols])).sum(axis=1)
        return torch.from_numpy(grad_weights).to(grad.device, grad.dtype), None, None, None, None, None


def split_change(delta: np.ndarray, limit: float | None) -> tuple[np.ndarray, np.ndarray]:
    """The hinted cells' changes of chroma ``(…, 2)`` → per cell, the part of at most ``limit`` ab
    that the learnt links spread, and the rest, which the host's links spread (``limit`` ``None``:
    all of it learnt)."""
    if limit is None:
        return delta, np.zeros_like(delta)
    norm = np.linalg.norm(delta, axis=-1, keepdims=True)
    small = delta * np.minimum(1.0, limit / np.maximum(norm, 1e-9))
    return small, delta - small


def spread_with(embedding: torch.Tensor, opening: torch.Tensor, lightness: np.ndarray, ab: np.ndarray,
                mask: np.ndarray, target: np.ndarray, limit: float | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """One photo's hints spread over ``ab`` ``(h, w, 2)`` on its own grid with the learnt links:
    the change ``(2, h, w)``, differentiable in ``embedding`` ``(k, h, w)`` and ``opening``, and how
    open the links are on average (0: all the host's, 1: all Levin's), for a penalty on spreading.
    ``lightness`` ``(h, w)``, ``mask`` bool ``(h, w)`` (hinted cells), ``target`` ``(h, w, 2)``.

    ``limit`` (ab): only the first ``limit`` of each hint's change goes over the learnt links, the
    rest over the host's. Correcting the model's colors by a little is what pays far from a hint (its
    errors are alike across a photo); a user's hint that says a thing is another color altogether
    then recolors that thing, as the host would, and tints what lies beyond it by ``limit`` at most."""
    from plugins.host.hints import REACH, affinity, data_term, spread_change

    h, w = mask.shape
    fixed = mask.ravel()
    delta = np.where(mask[..., None], target - ab, 0)
    if not fixed.any() or fixed.all():
        return torch.from_numpy(delta).permute(2, 0, 1).float(), opening.new_zeros(())
    learnt_part, host_part = split_change(delta, limit)
    host_links = affinity(lightness)
    if limit == 0:
        host_change = spread_change(lightness, mask, host_part, weights=host_links)
        return torch.from_numpy(host_change).permute(2, 0, 1).to(embedding), opening.new_zeros(())
    links = sparse.triu(affinity(lightness, 0.0), k=1).tocoo()  # Levin's plain links
    rows, cols = links.row, links.col
    strict = np.asarray(host_links[rows, cols]).ravel()
    flat = embedding.flatten(1).T  # (n, k)
    gate = torch.sigmoid(opening - (flat[rows] - flat[cols]).square().sum(dim=1))
    strict_t = torch.from_numpy(strict.astype(np.float32)).to(embedding.device)
    weights = strict_t + (torch.from_numpy(links.data.astype(np.float32)).to(embedding.device) - strict_t) * gate
    # The data term grows with the distance over the learnt links themselves (held constant for the
    # gradient): a link the head closes also ends the hint's reach, as a strong edge does for the host.
    # Over Levin's links instead, one hint on a parrot's chest turned the whole photo yellow.
    learnt = sparse.coo_matrix((weights.detach().double().cpu().numpy(), (rows, cols)), shape=(h * w, h * w)).tocsr()
    data = data_term((learnt + learnt.T).tocsr(), fixed, REACH, min(h, w))
    change = _Solve.apply(weights.float(), rows, cols, data, fixed, learnt_part.reshape(-1, 2).astype(np.float64))
    if np.any(host_part):
        host_change = spread_change(lightness, mask, host_part, weights=host_links)
        change = change + torch.from_numpy(host_change.reshape(-1, 2)).to(change)
    return change.T.reshape(2, h, w), gate.mean()
