"""Several spatially coherent colorizations from one set of CIC logits.

Input: logits ``float32 (1, Q, h, w)`` (or ``(Q, h, w)``) at the model's output
resolution. Output: ab ``float32 (2, h, w)`` per sample, in Lab units.

* **Sample 1** is the paper's answer, the annealed mean at temperature T: the mean
  of p^(1/T), vivid yet spatially consistent.
* **Samples 2..n** pick a color *mode* per region, then decode around it:

  1. Gumbel-max over the per-pixel log-probabilities, ``argmax_q log p_q + β g_q``,
     picks one bin per pixel; with β = 1 it is an exact draw from p. But
     independent noise per pixel would give confetti: a coat half red, half blue.
     So each bin's noise field g_q is drawn on a coarse lattice (``CELLS`` cells
     across the short side, the scale of objects), upsampled bilinearly and
     renormalized: the bilinear mix of unit normals is divided by its exact
     standard deviation, then mapped through the normal CDF and the inverse
     Gumbel CDF. Every pixel thus still gets exactly Gumbel(0, 1) noise (so the
     draw stays a faithful sample from p^(1/β) per pixel) while neighbouring
     pixels share nearly the same noise and, where p is alike, the same mode.
  2. Where the winning bin changes, from one region to the next or between
     neighbouring bins of one broad mode, the chosen colors would jump in a
     seam. The chosen bin centers are therefore blurred spatially (σ = ``BLUR``
     of the short side): seams inside an object become gradients.
  3. Each pixel then takes the annealed mean of p^(1/T) re-weighted by a Gaussian
     of σ = ``LOCAL_SIGMA`` ab units around its (blurred) chosen color: the mean
     of the chosen mode's lobe only (red *or* blue, never their brownish
     average). The pixel's own distribution decides the final color, so a
     choice blurred across an object's edge snaps back to what that pixel can be.

  Measured on a map with the same three equally likely colors everywhere, the
  mean neighbour difference of a sample is about 1/10 of what independent
  per-pixel draws give (``tests/test_cic.py``). Noise correlated across nearby
  bins too was tried: about 30 % more variety within one broad mode, for a
  Q×Q mixing matrix and a smoothed score; not worth it.

``diversity`` in 0..1 sets β = 2·diversity: 0 always takes the most likely mode
(samples 2..n then coincide), 0.5 (the default) samples modes as the model
believes in them, 1 samples from √p, favouring rarer colors. Everything runs at
the logits' low resolution on the CPU with a ``torch.Generator`` seeded from
``seed``: the same seed gives the same samples on any device, and sample k does
not depend on how many were asked for.
"""

from __future__ import annotations

from typing import Iterator

import torch
import torch.nn.functional as F

from plugins.backends.cic.bins import DEFAULT_TEMPERATURE, annealed_mean, bin_centers, expected_ab

CELLS = 4  # noise lattice cells across the short side: the scale a color choice stays constant over
LOCAL_SIGMA = 12.0  # ab units: how far from the chosen bin a sample's colors may average
BLUR = 1 / 16  # of the short side: the chosen colors are blurred this much, so seams become gradients
DEFAULT_DIVERSITY = 0.5


def interp_matrix(n_out: int, n_in: int) -> torch.Tensor:
    """``(n_out, n_in)`` bilinear weights (align_corners) taking n_in lattice values to n_out pixels."""
    pos = torch.linspace(0, n_in - 1, n_out, dtype=torch.float64) if n_out > 1 else torch.zeros(1, dtype=torch.float64)
    left = pos.floor().clamp(max=n_in - 2).long()
    frac = pos - left
    m = torch.zeros(n_out, n_in, dtype=torch.float64)
    m[torch.arange(n_out), left] = 1 - frac
    m[torch.arange(n_out), left + 1] += frac
    return m


def smooth_gumbel(channels: int, h: int, w: int, generator: torch.Generator, cells: int = CELLS) -> torch.Tensor:
    """``float32 (channels, h, w)`` noise, exactly Gumbel(0, 1) at every pixel, smooth over ~1/cells of the short side."""
    short = min(h, w)
    gh, gw = max(2, round(cells * h / short) + 1), max(2, round(cells * w / short) + 1)
    z = torch.randn(channels, gh, gw, generator=generator, dtype=torch.float64)
    ay, ax = interp_matrix(h, gh), interp_matrix(w, gw)
    std = torch.outer(ay.square().sum(1), ax.square().sum(1)).sqrt()
    z = ((ay @ (z @ ax.T)) / std).float().clamp(-8.0, 8.0)  # unit normal at every pixel
    return -torch.log(-torch.special.log_ndtr(z))  # Gumbel quantile of Φ(z), accurate at both tails


def blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of ``(N, C, h, w)`` per channel, radius 2σ, replicate-padded."""
    radius = max(1, round(2 * sigma))
    t = torch.arange(-radius, radius + 1, dtype=x.dtype, device=x.device)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    k, c = k / k.sum(), x.shape[1]
    x = F.pad(x, (radius, radius, radius, radius), mode="replicate")
    x = F.conv2d(x, k.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
    return F.conv2d(x, k.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)


def local_annealed_mean(
    logits: torch.Tensor, mode_ab: torch.Tensor, temperature: float, sigma: float = LOCAL_SIGMA
) -> torch.Tensor:
    """Logits ``(N, Q, h, w)``, chosen ab ``(N, 2, h, w)`` → mean ab of p^(1/T)·N(chosen, σ²), ``(N, 2, h, w)``."""
    centers = torch.from_numpy(bin_centers()).to(logits)
    dist2 = (centers[None, :, :, None, None] - mode_ab[:, None]).square().sum(2)  # (N, Q, h, w)
    scores = logits / max(temperature, 1e-4) - dist2 / (2 * sigma**2)
    return expected_ab(torch.softmax(scores, dim=1))


def iter_samples(
    logits: torch.Tensor,
    n: int,
    temperature: float = DEFAULT_TEMPERATURE,
    diversity: float = DEFAULT_DIVERSITY,
    seed: int = 0,
) -> Iterator[torch.Tensor]:
    """Yield ``n`` ab samples ``float32 (2, h, w)``, each computed only when asked for."""
    logits = (logits if logits.dim() == 4 else logits[None]).float()
    if logits.shape[0] != 1:
        raise ValueError("sampling takes the logits of one photo, (1, Q, h, w)")
    if n < 1:
        return
    yield annealed_mean(logits, temperature)[0]
    _, q, h, w = logits.shape
    log_p = torch.log_softmax(logits, dim=1)[0]
    centers = torch.from_numpy(bin_centers()).to(logits)
    beta = 2.0 * min(max(float(diversity), 0.0), 1.0)
    generator = torch.Generator().manual_seed(int(seed))
    for _ in range(1, n):
        noise = smooth_gumbel(q, h, w, generator).to(logits.device)
        mode = (log_p + beta * noise).argmax(dim=0)  # (h, w) bin indices
        mode_ab = blur(centers[mode].permute(2, 0, 1)[None], BLUR * min(h, w))
        yield local_annealed_mean(logits, mode_ab, temperature)[0]


def sample_ab(
    logits: torch.Tensor,
    n: int,
    temperature: float = DEFAULT_TEMPERATURE,
    diversity: float = DEFAULT_DIVERSITY,
    seed: int = 0,
) -> list[torch.Tensor]:
    """All ``n`` samples at once: a list of ab ``float32 (2, h, w)``; the first is the annealed mean."""
    return list(iter_samples(logits, n, temperature, diversity, seed))
