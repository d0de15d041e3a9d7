"""Logits over a palette → ab: the top-k average, and spatially coherent samples.

Tensors: logits ``(N, K, h, w)`` (or ``(K, h, w)`` for one photo), the palette
``(K, 2)`` ab in Lab units, ab ``(N, 2, h, w)``.

* **The answer** (sample 1) is the report's: each pixel's ``k`` most likely
  colors (3 by default), averaged with their probabilities renormalized to sum
  to 1. ``k = 1`` is the argmax: pure palette colors, with seams where a smooth
  gradient (a sky) crosses from one color's cell to the next; ``k = 3`` blends
  the neighbouring colors across such a seam.
* **Samples 2..n** follow ``cic`` (:mod:`plugins.backends.cic.sampling`, whose
  noise and blur they use): a Gumbel-max draw of one color per pixel with noise
  that is exactly Gumbel(0, 1) per pixel but smooth over about a quarter of the
  short side, so a region takes one color; the chosen colors blurred, so seams
  become gradients; then each pixel's own distribution, re-weighted by a
  Gaussian around its chosen color, decoded by the same top-k average.

``diversity`` in 0..1 sets β = 2·diversity as in ``cic``. Sampling runs on the CPU
with a generator seeded from ``seed``: sample k does not depend on how many were asked for.
"""

from __future__ import annotations

from typing import Iterator

import torch

from plugins.backends.cic.sampling import BLUR, DEFAULT_DIVERSITY, LOCAL_SIGMA, blur, smooth_gumbel

DEFAULT_TOP = 3  # the report's top-3 average


def top_k_mean(logits: torch.Tensor, palette: torch.Tensor, k: int = DEFAULT_TOP) -> torch.Tensor:
    """Logits ``(N, K, h, w)`` → ab ``(N, 2, h, w)``: the mean of the ``k`` likeliest colors, weighted by
    their probabilities renormalized over those ``k`` (``k = 1``: the argmax color)."""
    k = min(max(int(k), 1), logits.shape[1])
    probs = torch.softmax(logits.float(), dim=1)
    top, index = probs.topk(k, dim=1)  # (N, k, h, w)
    weights = top / top.sum(dim=1, keepdim=True)
    colors = palette.to(probs)[index]  # (N, k, h, w, 2)
    return (weights[..., None] * colors).sum(dim=1).permute(0, 3, 1, 2)


def iter_samples(
    logits: torch.Tensor,
    palette: torch.Tensor,
    n: int,
    k: int = DEFAULT_TOP,
    diversity: float = DEFAULT_DIVERSITY,
    seed: int = 0,
) -> Iterator[torch.Tensor]:
    """Yield ``n`` ab samples ``float32 (2, h, w)`` of one photo's logits, each computed only when asked for."""
    logits = (logits if logits.dim() == 4 else logits[None]).float()
    if logits.shape[0] != 1:
        raise ValueError("sampling takes the logits of one photo, (1, K, h, w)")
    if n < 1:
        return
    palette = palette.to(logits)
    yield top_k_mean(logits, palette, k)[0]
    _, colors, h, w = logits.shape
    log_p = torch.log_softmax(logits, dim=1)
    beta = 2.0 * min(max(float(diversity), 0.0), 1.0)
    generator = torch.Generator().manual_seed(int(seed))
    for _ in range(1, n):
        noise = smooth_gumbel(colors, h, w, generator).to(logits.device)
        mode = (log_p[0] + beta * noise).argmax(dim=0)  # (h, w) palette indices
        mode_ab = blur(palette[mode].permute(2, 0, 1)[None], BLUR * min(h, w))
        dist2 = (palette[None, :, :, None, None] - mode_ab[:, None]).square().sum(2)  # (1, K, h, w)
        yield top_k_mean(log_p - dist2 / (2 * LOCAL_SIGMA**2), palette, k)[0]


def sample_ab(logits: torch.Tensor, palette: torch.Tensor, n: int, k: int = DEFAULT_TOP,
              diversity: float = DEFAULT_DIVERSITY, seed: int = 0) -> list[torch.Tensor]:
    """All ``n`` samples at once: a list of ab ``float32 (2, h, w)``; the first is the top-k average."""
    return list(iter_samples(logits, palette, n, k, diversity, seed))
