"""Autoregressive sampling of the PixColor PixelCNN: N samples of one photo, batched, cell by cell.

A sample is a grid of bin indices ``int64 (gh, gw)`` drawn in raster order, each
cell from ``softmax(logits / T)`` given the cells before it. The draw is a
Gumbel-max, ``argmax_q(logits_q / T + g_q)``, with the Gumbel noise of sample k
drawn up front from a ``torch.Generator`` seeded with ``seed`` (sample k's noise
is the k-th block, so the same seed gives the same samples, and sample k does
not depend on how many were asked for, up to float rounding across batch sizes).

:class:`RowSampler` is the fast sampler. Recomputing the whole network for
every one of the ``gh·gw`` cells (:func:`sample_naive`, kept as the reference)
costs ``gh·gw`` full passes; instead:

* the conditioning's contribution to every gate is computed once per photo and
  broadcast over the N samples;
* the **vertical stack** at row i sees only rows above i, so once row i-1 is
  finished all its layers are computed for the whole of row i at once, from
  cached rows of each layer (a ``(k//2+1)``-row window);
* the vertical-to-horizontal link and the gate conditioning are added for the
  whole row at once too;
* the **horizontal stack** runs cell by cell, each layer a single matrix
  product over the ``k//2+1`` cached cells to the left (the masked 1×k
  convolution written as a linear map), followed by the output head on that
  one cell.

So every layer's output at every cell is computed exactly once, as in one full
pass, and the cost per cell is a few small matrix products per layer, with N
samples as the batch.

The sampler also keeps each cell's **expected chroma**: the mean ab of the (untempered) distribution the cell was drawn from,
given the cells already drawn. The drawn bins decide what color things are (the
history every later cell is conditioned on); the expected chroma is what the
refinement gets. It carries the same choices without the bins' 10-unit
quantization and the single-cell outliers of a draw, and on validation it
scores better than the drawn bins' centers (first 100 val photos, 8 samples,
T 0.8: best-of-8 23.51 dB vs 23.06, mean sample PSNR 21.40 vs 21.02).
"""

from __future__ import annotations

from typing import Iterator

import torch
import torch.nn.functional as F

from plugins.backends.cic.bins import expected_ab
from plugins.backends.pixcolor.model import GatedPixelCNN, gate

DEFAULT_TEMPERATURE = 1.0


def gumbel_noise(n: int, cells: int, bins: int, seed: int) -> torch.Tensor:
    """``float32 (n, cells, bins)`` standard Gumbel noise; block k depends only on ``seed`` and k."""
    generator = torch.Generator().manual_seed(int(seed))
    u = torch.stack([torch.rand(cells, bins, generator=generator) for _ in range(n)])
    return -torch.log(-torch.log(u.clamp_(1e-10, 1.0 - 1e-7)))


def choose(logits: torch.Tensor, noise: torch.Tensor, temperature: float) -> torch.Tensor:
    """Gumbel-max draw from ``softmax(logits / T)``: ``(n, Q)`` logits and noise → ``int64 (n,)`` bins."""
    return (logits.float() / max(float(temperature), 1e-4) + noise).argmax(dim=-1)


@torch.no_grad()
def sample_naive(net: GatedPixelCNN, cond: torch.Tensor, n: int, temperature: float = DEFAULT_TEMPERATURE,
                 seed: int = 0) -> torch.Tensor:
    """The reference: a full forward pass per cell. ``cond (1, C, gh, gw)`` → bins ``int64 (n, gh, gw)``."""
    gh, gw = cond.shape[-2:]
    noise = gumbel_noise(n, gh * gw, net.embed.num_embeddings, seed).to(cond.device)
    bins = torch.zeros(n, gh, gw, dtype=torch.long, device=cond.device)
    for i in range(gh):
        for j in range(gw):
            logits = net(bins, cond)[:, :, i, j]
            bins[:, i, j] = choose(logits, noise[:, i * gw + j], temperature)
    return bins


class RowSampler:
    """Draw ``n`` samples for one photo's ``cond (1, C, gh, gw)``; iterate to run it, one row per step.

    Iterating yields the finished fraction after each row; then ``bins``
    (``int64 (n, gh, gw)``) holds the samples and ``expected`` (``float32 (n, 2,
    gh, gw)``) each cell's expected chroma. ``keep_logits`` also keeps the logits
    every cell was drawn from, ``(n, Q, gh, gw)`` in ``logits`` (tests).
    """

    def __init__(self, net: GatedPixelCNN, cond: torch.Tensor, n: int, temperature: float = DEFAULT_TEMPERATURE,
                 seed: int = 0, keep_logits: bool = False):
        if cond.shape[0] != 1:
            raise ValueError("the sampler takes the conditioning of one photo, (1, C, gh, gw)")
        self.net, self.n, self.temperature = net, n, temperature
        self.gh, self.gw = cond.shape[-2:]
        param = net.embed.weight
        self.device, self.dtype = param.device, param.dtype
        q = net.embed.num_embeddings
        self.noise = gumbel_noise(n, self.gh * self.gw, q, seed).to(self.device)
        self.bins = torch.zeros(n, self.gh, self.gw, dtype=torch.long, device=self.device)
        self.logits = torch.zeros(n, q, self.gh, self.gw) if keep_logits else None
        self.expected = torch.zeros(n, 2, self.gh, self.gw, device=self.device)
        self.row_logits = torch.zeros(n, q, self.gw, device=self.device)  # the current row's, for `expected`
        with torch.no_grad():
            self.conds = net.layer_conditions(cond.to(self.dtype))  # (1, layers, 2, 2h, gh, gw)
        self._prepare()

    def _prepare(self) -> None:
        """Weights as the matrices the per-cell steps multiply by, and the zero-padded caches."""
        net, n, gh, gw = self.net, self.n, self.gh, self.gw
        hidden, c = net.hidden, net.kernel // 2
        self.c = c
        self.h_weights, self.out_weights = [], []
        for layer in net.layers:
            w = layer.h_conv.weight[:, :, 0]  # (2h, h, span): span cells, oldest first
            self.h_weights.append(w.permute(2, 1, 0).reshape(-1, w.shape[0]).contiguous())  # (span·h, 2h)
            self.out_weights.append((layer.h_out.weight[:, :, 0, 0], layer.h_out.bias))
        head = net.head
        self.head = (head[1].weight[:, :, 0, 0], head[1].bias, head[3].weight[:, :, 0, 0], head[3].bias)
        self.embedding = net.embed.weight
        kw = dict(device=self.device, dtype=self.dtype)
        # Vertical inputs of each layer (layer 0: the embedded bins), rows padded by c on top, columns by c each side.
        self.v_in = [torch.zeros(n, hidden, gh + c, gw + 2 * c, **kw) for _ in net.layers]
        # Horizontal inputs of each layer for the current row (layer 0: embedded bins), plus the last layer's
        # output, channels last, padded by c on the left.
        self.h_in = [torch.zeros(n, gw + c, hidden, **kw) for _ in range(len(net.layers) + 1)]

    @torch.no_grad()
    def _vertical(self, i: int) -> list[torch.Tensor]:
        """All layers' vertical stack for row i; returns each layer's per-cell horizontal pre-activation
        terms that do not depend on the current row, ``(n, gw, 2h)`` channels last."""
        c, gw, last = self.c, self.gw, len(self.net.layers) - 1
        rows = []
        for l, layer in enumerate(self.net.layers):
            span = c if l == 0 else c + 1
            window = self.v_in[l][:, :, i : i + span]  # rows i-c .. i-1 (first layer) or i-c .. i, padded by c on top
            v_pre = F.conv2d(window, layer.v_conv.weight, layer.v_conv.bias) + self.conds[:, l, 0, :, i : i + 1]
            if l < last:
                v_new = gate(v_pre)
                if l > 0:
                    v_new = v_new + self.v_in[l][:, :, i + c : i + c + 1, c : c + gw]
                self.v_in[l + 1][:, :, i + c : i + c + 1, c : c + gw] = v_new
            h_row = F.conv2d(v_pre, layer.link.weight) + self.conds[:, l, 1, :, i : i + 1]
            h_row = h_row + layer.h_conv.bias[:, None, None]
            rows.append(h_row[:, :, 0].permute(0, 2, 1).contiguous())
        return rows

    @torch.no_grad()
    def _row(self, i: int) -> None:
        c, n, gw, hidden = self.c, self.n, self.gw, self.net.hidden
        rows = self._vertical(i)
        h_in, noise = self.h_in, self.noise
        w1, b1, w2, b2 = self.head
        for j in range(gw):
            for l, (rows_l, w_h, (w_out, b_out)) in enumerate(zip(rows, self.h_weights, self.out_weights)):
                span = c if l == 0 else c + 1
                window = h_in[l][:, j : j + span].reshape(n, span * hidden)  # cells j-c .. j-1 (first layer) or j-c .. j
                pre = torch.addmm(rows_l[:, j], window, w_h)
                g = torch.tanh(pre[:, :hidden]) * torch.sigmoid(pre[:, hidden:])
                out = F.linear(g, w_out, b_out)
                if l > 0:
                    out = out + h_in[l][:, j + c]
                h_in[l + 1][:, j + c] = out
            hidden_out = F.relu(F.linear(F.relu(h_in[-1][:, j + c]), w1, b1))
            logits = F.linear(hidden_out, w2, b2)
            self.row_logits[:, :, j] = logits
            chosen = choose(logits, noise[:, i * gw + j], self.temperature)
            self.bins[:, i, j] = chosen
            h_in[0][:, j + c] = self.embedding[chosen]
        probs = torch.softmax(self.row_logits, dim=1)[:, :, None]  # (n, Q, 1, gw)
        self.expected[:, :, i] = expected_ab(probs)[:, :, 0]
        if self.logits is not None:
            self.logits[:, :, i] = self.row_logits.cpu()
        # The finished row joins the first layer's vertical input.
        self.v_in[0][:, :, i + c, c : c + gw] = h_in[0][:, c:].permute(0, 2, 1)

    def __iter__(self) -> Iterator[float]:
        for i in range(self.gh):
            self._row(i)
            yield (i + 1) / self.gh

    def run(self) -> torch.Tensor:
        """Draw everything at once; returns ``bins``."""
        for _ in self:
            pass
        return self.bins


def sample_bins(net: GatedPixelCNN, cond: torch.Tensor, n: int, temperature: float = DEFAULT_TEMPERATURE,
                seed: int = 0) -> torch.Tensor:
    """``n`` samples of bins ``int64 (n, gh, gw)`` for one photo's ``cond (1, C, gh, gw)``, by :class:`RowSampler`."""
    return RowSampler(net, cond, n, temperature, seed).run()
