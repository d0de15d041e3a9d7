"""Guided colorizer: L float32 (N,1,H,W) in 0..100 + hint ab (N,2,H,W) in Lab units + hint mask
(N,1,H,W) in {0, 1} + a reference's ab histogram (N, HISTOGRAM_BINS²) → ab float32 (N,2,H,W) in Lab units.

The ``regression`` network (EfficientNet-Lite0 encoder, U-Net/fusion decoder) with a small hint
branch. The hints are first pooled to stride 4 (per 4×4 cell: the mean ab of its hinted pixels,
their share of the cell, whether there is any), so no layer runs at full resolution and a 1-px
hint is not diluted. Then two ways in, both zero-initialized:

* features: a few narrow convolutions take the pooled hints down to strides 8, 16 and 32, and at
  each decoder level (stride 32 down to 4) a 1x1 convolution adds them to the decoded map; the
  coarse levels let a hint spread over its region, the fine ones keep its edges;
* a blend: the decoded ab (at stride 4) is pulled toward the hints' spread fields (normalized
  Gaussian convolutions at 8 and 32 px, and the whole photo's mean hint) by gates learnt from how
  near the hints are. This way is learnt within a few dozen steps; the features take longer.

With ``hint_input`` the hints also enter the encoder, as in ideepcolor, whose network takes them
with L: a zero-initialized convolution adds them (ab and mask, at full resolution) to the
Lite0 stem's output, so every encoder block can use them. It needs the whole encoder trained.

Then a refiner, also zero-initialized, corrects the blended ab at stride 4 from the decoder's
finest features, L, the pooled hints and their fields: dilated convolutions that see the whole
photo at 256 px, so a hint can recolor all of its object and stop at its outline, which the
fields' fixed Gaussians cannot tell from the neighbours. The refiner also takes ideepcolor's
global hint: a reference photo's ab histogram (:func:`ab_histogram`), through a small MLP.

With all of them at zero (as built) the model is exactly the regression model whose weights it
holds, whatever the hints: ``--init-from`` a regression model starts from it. Without hints or a
reference the blend and the refiner are off whatever their weights.

With ``propagate`` the blend is replaced by the host's edge-aware propagation
(:func:`plugins.host.hints.propagate_targets`, Levin et al.'s) of the hints over the decoded ab,
solved at stride 2; the refiner then corrects that. As built such a model answers what the
host's propagation over the regression model answers, so training can only learn to improve it.
The hints then reach the decoder only through the refiner: the propagation is solved outside
torch, so a decoder fed hints would learn from a gradient that ignores it (a run that did so
diverged after 900 steps, pushing colors the propagation overrode anyway).

With ``learned_affinity`` as well, each link of that propagation is learnt between the host's and
Levin's plain one, which lets hints climb soft outlines (:mod:`plugins.backends.guided.affinity`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from plugins.backbones.efficientnet_lite0 import STEM_CHANNELS
from plugins.backends.common.blur import gaussian_blur
from plugins.backends.regression.model import RegressionConfig, RegressionModel

HINT_STRIDE = 4  # the hints are pooled to this stride before any layer sees them; the decoder's output stride
AB_NORM = 110.0  # hint ab / AB_NORM: about -1..1 inside sRGB
SPREAD_SIGMAS = (2.0, 8.0)  # in stride-4 cells (8 and 32 px): the hints' local and regional fields
HISTOGRAM_BINS = 16  # per ab axis, over -AB_NORM..AB_NORM: 13.75 Lab units a bin
GLOBAL_CHANNELS = 16  # the histogram's MLP → this many constant maps into the refiner
PROPAGATION_STRIDE_RATIO = 2  # propagate at stride 4 / 2: on 100 val-extra photos 25.47 dB at 10 hints, 25.21 at stride 4
MIN_CONFIDENCE = 1e-4  # the gates see 1 - log(confidence + this) / log(this): 0 without hints, 1 on a dense patch


@dataclass
class GuidedConfig(RegressionConfig):
    hint_widths: tuple[int, ...] = (16, 32, 64, 64)  # hint branch channels at strides 4, 8, 16, 32
    refiner_width: int = 48
    refiner_dilations: tuple[int, ...] = (1, 2, 4, 8, 16, 1)  # in stride-4 cells: 63 cells of reach, all of a 256 px photo
    propagate: bool = False  # start from the host's edge-aware propagation of the hints (see GuidedModel)
    hint_input: bool = False  # the hints also enter the encoder, at its stem, as in ideepcolor (see GuidedModel)
    learned_affinity: bool = False  # with propagate: links between cells learnt (plugins/backends/guided/affinity.py)
    learned_spread_limit: float | None = None  # with learned_affinity: ab of each hinted cell's change the learnt links spread (rest: the host's)
    learned_spread_hints: float | None = None  # with the limit: it is limit · n / (n + this) for a photo's n hints (see spread_limit)
    learned_spread_spot: float | None = None  # hints closer than this share of the short side count as one (see spread_limit)


def hint_summary(ab_sum: torch.Tensor, share: torch.Tensor) -> torch.Tensor:
    """Per region, the mean ab / AB_NORM of its hinted pixels (0 where none), their share of it,
    and 1 where it holds any hint: ``(N, 4, …)`` from the hinted ab's and the mask's averages."""
    mean_ab = ab_sum / share.clamp_min(1e-6) / AB_NORM
    return torch.cat([mean_ab, share, (share > 0).to(share.dtype)], dim=1)


def pool_hints(hint_ab: torch.Tensor, hint_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Hints at the input's size → the averages of the hinted ab ``(N, 2, h, w)`` and of the mask
    ``(N, 1, h, w)`` over each 4×4 cell (``h, w = ceil(H/4), ceil(W/4)``)."""
    h, w = hint_mask.shape[-2:]
    pad = (0, -w % HINT_STRIDE, 0, -h % HINT_STRIDE)  # zeros: the padding holds no hint
    return F.avg_pool2d(F.pad(hint_ab * hint_mask, pad), HINT_STRIDE), F.avg_pool2d(F.pad(hint_mask, pad), HINT_STRIDE)


def ab_histogram(ab: torch.Tensor) -> torch.Tensor:
    """ab ``(N, 2, H, W)`` in Lab units → each photo's share of pixels per ab bin ``(N, HISTOGRAM_BINS²)``
    (a-major), on :data:`HISTOGRAM_BINS` bins per axis over ±:data:`AB_NORM`, the outermost open-ended."""
    n = ab.shape[0]
    bins = ((ab.float() + AB_NORM) * HISTOGRAM_BINS / (2 * AB_NORM)).floor().long().clamp(0, HISTOGRAM_BINS - 1)
    index = (bins[:, 0] * HISTOGRAM_BINS + bins[:, 1]).flatten(1)
    counts = torch.zeros(n, HISTOGRAM_BINS**2, device=ab.device).scatter_add_(1, index, torch.ones_like(index, dtype=torch.float32))
    return counts / index.shape[1]


def hint_fields(ab_sum: torch.Tensor, share: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Normalized convolution of the pooled hints: for each of :data:`SPREAD_SIGMAS` and the whole
    photo, the hints' weighted mean ab ``(N, S, 2, h, w)`` in Lab units and its confidence, the
    weight of hints behind it ``(N, S, h, w)``. In float32, mixed precision or not: the far tails'
    weights underflow float16 and the fields became NaN (autocast ran the blurs in float16)."""
    with torch.autocast(ab_sum.device.type, enabled=False):
        ab_sum, share = ab_sum.float(), share.float()
        fields, confidence = [], []
        for sigma in SPREAD_SIGMAS:
            weight = gaussian_blur(share, sigma, padding="zeros")
            fields.append(gaussian_blur(ab_sum, sigma, padding="zeros") / weight.clamp_min(1e-8))
            confidence.append(weight)
        weight = share.mean(dim=(2, 3), keepdim=True)
        fields.append((ab_sum.mean(dim=(2, 3), keepdim=True) / weight.clamp_min(1e-8)).expand_as(ab_sum))
        confidence.append(weight.expand_as(share))
        return torch.stack(fields, dim=1), torch.cat(confidence, dim=1)


Finish = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]
Recolor = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
"""(ab ``(N, 2, h, w)`` in Lab units, L* ``(N, 1, H, W)``) → ab of the same shape."""


class HintRefiner(nn.Module):
    """At stride 4: the decoder's finest features, L, the blended ab, the pooled hints' summary, their
    fields and confidences → an ab correction in Lab units (zero as built)."""

    def __init__(self, feature_channels: int, width: int, dilations: tuple[int, ...]):
        super().__init__()
        fields = len(SPREAD_SIGMAS) + 1
        inputs = feature_channels + 1 + 2 + 4 + 3 * fields + GLOBAL_CHANNELS + 1
        self.globals = nn.Sequential(nn.Linear(HISTOGRAM_BINS**2, 64), nn.ReLU(inplace=True),
                                     nn.Linear(64, GLOBAL_CHANNELS), nn.ReLU(inplace=True))
        layers: list[nn.Module] = [nn.Conv2d(inputs, width, 1), nn.ReLU(inplace=True)]
        for d in dilations:
            layers += [nn.Conv2d(width, width, 3, padding=d, dilation=d), nn.ReLU(inplace=True)]
        self.body = nn.Sequential(*layers)
        self.out = nn.Conv2d(width, 2, 1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, finest: torch.Tensor, lightness: torch.Tensor, ab: torch.Tensor, summary: torch.Tensor,
                fields: torch.Tensor, closeness: torch.Tensor, histogram: torch.Tensor) -> torch.Tensor:
        """``histogram`` ``(N, HISTOGRAM_BINS²)``: a row of zeros where a photo has no reference."""
        light = F.interpolate(lightness / 50.0 - 1.0, size=ab.shape[-2:], mode="area")
        dtype = finest.dtype
        size = ab.shape[-2:]
        has_reference = (histogram.sum(dim=1) > 0).to(dtype)[:, None, None, None].expand(-1, 1, *size)
        global_maps = self.globals(histogram.to(dtype))[:, :, None, None].expand(-1, -1, *size)
        x = torch.cat([finest, light.to(dtype), (ab / AB_NORM).to(dtype), summary.to(dtype),
                       (fields.flatten(1, 2) / AB_NORM).to(dtype), closeness.to(dtype), global_maps,
                       has_reference], dim=1)
        return self.out(self.body(x)) * AB_NORM


class HintBranch(nn.Module):
    """The pooled hints → two zero-initialized ways into the regression network.

    * Features at strides 4, 8, 16, 32 (narrow convolutions), each added into the decoder's level of
      that stride by a 1x1 projection (``decoder_widths`` at strides 32, 16, 8, 4). The coarsest also
      takes the whole photo's hint summary, which the convolutions' reach (about 70 px) would not carry.
    * Gates that blend the decoded ab toward the hints' spread fields (:func:`hint_fields`), from
      their confidences: the direct way, quick to learn, while the features learn where colors stop.
    * A :class:`HintRefiner` after the blend.
    """

    def __init__(self, widths: tuple[int, ...], decoder_widths: tuple[int, ...], refiner_width: int = 48,
                 refiner_dilations: tuple[int, ...] = (1, 2, 4, 8, 16, 1), learned_affinity: bool = False):
        super().__init__()
        # No biases on the way to the decoder: a photo without hints (an all-zero summary) then gets
        # exactly nothing from the branch, trained or not, and stays the trunk's answer.
        self.stem = nn.Sequential(nn.Conv2d(4, widths[0], 3, padding=1, bias=False), nn.ReLU(inplace=True))
        self.down = nn.ModuleList(
            nn.Sequential(nn.Conv2d(widths[i - 1], widths[i], 3, stride=2, padding=1, bias=False), nn.ReLU(inplace=True))
            for i in range(1, len(widths))
        )
        # decoder level l (stride 32 / 2**l) takes the hint features of stride 32 / 2**l too
        self.inject = nn.ModuleList(
            nn.Conv2d(widths[len(widths) - 1 - level] + (4 if level == 0 else 0), width, 1, bias=False)
            for level, width in enumerate(decoder_widths)
        )
        fields = len(SPREAD_SIGMAS) + 1
        self.gate = nn.Conv2d(fields, fields, 1)
        for conv in (*self.inject, self.gate):
            nn.init.zeros_(conv.weight)
        nn.init.zeros_(self.gate.bias)
        self.refiner = HintRefiner(decoder_widths[-1], refiner_width, tuple(refiner_dilations))
        if learned_affinity:
            from plugins.backends.guided.affinity import AffinityHead

            self.affinity = AffinityHead(decoder_widths[-1])

    def forward(self, hint_ab: torch.Tensor, hint_mask: torch.Tensor,
                histogram: torch.Tensor) -> tuple[list[torch.Tensor], Finish]:
        """The features at strides 32, 16, 8, 4 (the decoder's level order), and a function of the
        decoded ab at stride 4, the decoder's finest features and L that brings in the hints and
        the reference's ``histogram`` (zeros: none)."""
        ab_sum, share = pool_hints(hint_ab, hint_mask)
        summary = hint_summary(ab_sum, share)
        features = [self.stem(summary)]
        for down in self.down:
            features.append(down(features[-1]))
        coarsest = features[-1]
        whole = hint_summary(ab_sum.mean(dim=(2, 3), keepdim=True), share.mean(dim=(2, 3), keepdim=True))
        features[-1] = torch.cat([coarsest, whole.expand(-1, -1, *coarsest.shape[-2:])], dim=1)
        fields, confidence = hint_fields(ab_sum, share)
        closeness = 1 - torch.log(confidence + MIN_CONFIDENCE) / math.log(MIN_CONFIDENCE)
        gates = self.gate(closeness.to(ab_sum.dtype)).clamp(0, 1)
        gates = (gates * (confidence > 0))[:, :, None]  # (N, S, 1, h, w); no hint behind a field: no pull toward it

        # per photo: any hint or a reference, else the refiner is off
        guided = ((share.flatten(1).sum(dim=1) > 0) | (histogram.sum(dim=1) > 0)).to(ab_sum.dtype)[:, None, None, None]

        def finish(ab: torch.Tensor, finest: torch.Tensor, lightness: torch.Tensor, blend: bool = True) -> torch.Tensor:
            if blend:
                ab = ab + (gates.to(ab.dtype) * (fields.to(ab.dtype) - ab[:, None])).sum(dim=1)
            correction = self.refiner(finest, lightness, ab, summary, fields, closeness, histogram)
            return ab + guided.to(ab.dtype) * correction.to(ab.dtype)

        return features[::-1], finish


class GuidedModel(RegressionModel):
    """The regression model (its weights fit) with a hint branch added into its decoder."""

    def __init__(self, config: GuidedConfig):
        super().__init__(config)
        if config.out_stride != HINT_STRIDE:
            raise ValueError(f"the guided model decodes at its hints' stride {HINT_STRIDE}, not {config.out_stride}")
        if config.learned_affinity and not config.propagate:
            raise ValueError("learned_affinity learns the propagation's links: it needs propagate")
        if config.learned_spread_limit is not None and (not config.learned_affinity or config.learned_spread_limit < 0):
            raise ValueError("learned_spread_limit is how much the learnt links spread: it needs learned_affinity, "
                             "and cannot be negative")
        if config.learned_spread_hints is not None and (config.learned_spread_limit is None
                                                        or config.learned_spread_hints <= 0):
            raise ValueError("learned_spread_hints grows learned_spread_limit with the hints: it needs the limit, "
                             "and must be positive")
        if config.learned_spread_spot is not None and (config.learned_spread_hints is None
                                                       or not 0 < config.learned_spread_spot < 1):
            raise ValueError("learned_spread_spot says which hints count as one for learned_spread_hints: it needs "
                             "them, and is a share of the short side between 0 and 1")
        self.hints = HintBranch(tuple(config.hint_widths), tuple(config.widths[: self.trunk.decoder.levels]),
                                config.refiner_width, tuple(config.refiner_dilations), config.learned_affinity)
        if config.hint_input:
            if config.propagate:
                raise ValueError("hint_input feeds the hints to the encoder, which propagate keeps them from")
            # hint ab / AB_NORM and the mask → added to the stem's output (stride 2). Zero as built and
            # without a bias, like the branch's ways into the decoder: no hints, no change.
            self.hints.encoder_input = nn.Conv2d(3, STEM_CHANNELS, 3, stride=2, padding=1, bias=False)
            nn.init.zeros_(self.hints.encoder_input.weight)
        self.trunk_frozen = False
        self.link_openness: torch.Tensor | None = None  # with learned_affinity: the last forward's (for a penalty)

    def freeze_trunk(self) -> None:
        """Training only the hint branch: the trunk's weights and BatchNorm statistics stay as loaded."""
        self.trunk_frozen = True
        self.trunk.requires_grad_(False)
        self.trunk.eval()

    def train(self, mode: bool = True) -> "GuidedModel":
        super().train(mode)
        if self.trunk_frozen:
            self.trunk.eval()
        return self

    def forward(self, lightness: torch.Tensor, hint_ab: torch.Tensor | None = None,
                hint_mask: torch.Tensor | None = None, histogram: torch.Tensor | None = None,
                recolor: Recolor | None = None, reach: float = 1.0) -> torch.Tensor:
        """``hint_ab`` / ``hint_mask`` ``None``: no hints; ``histogram`` ``None``: no reference (the global
        hint). ``recolor``: applied to the decoded ab at stride 4 before the hints are (the host's
        reference transfer, say, so that the hints still win where they are). ``reach``: see
        :func:`reach_limit` (learnt links only)."""
        n, _, h, w = lightness.shape
        if hint_mask is None:
            hint_mask = lightness.new_zeros(n, 1, h, w)
            hint_ab = lightness.new_zeros(n, 2, h, w)
        if histogram is None:
            histogram = lightness.new_zeros(n, HISTOGRAM_BINS**2)
        features, finish = self.hints(hint_ab.to(lightness.dtype), hint_mask.to(lightness.dtype), histogram)
        finest = []

        def inject(level: int, x: torch.Tensor) -> torch.Tensor:
            if not self.config.propagate:
                x = x + self.hints.inject[level](features[level].to(x.dtype))
            if level == len(features) - 1:
                finest.append(x)
            return x

        stem_extra = None
        if self.config.hint_input:
            mask = hint_mask.to(lightness.dtype)
            stem_extra = self.hints.encoder_input(torch.cat([hint_ab.to(lightness.dtype) * mask / AB_NORM, mask], dim=1))
        decoded = self.trunk.decode(self.trunk.encode(lightness, stem_extra), lightness, inject) * self.config.ab_scale
        if recolor is not None:
            decoded = recolor(decoded, lightness)
        if not self.config.propagate:
            ab = finish(decoded, finest[0], lightness)
            return F.interpolate(ab, size=lightness.shape[-2:], mode="bilinear", align_corners=False)
        # The propagation's change is a constant to the gradient (scipy solves it): the trunk still
        # learns through the decoded ab itself, the refiner learns the rest. A photo without hints
        # gets no change and no correction: exactly the trunk's answer.
        fine = F.interpolate(decoded, scale_factor=PROPAGATION_STRIDE_RATIO, mode="bilinear", align_corners=False)
        if self.config.learned_affinity:
            embedding = F.interpolate(self.hints.affinity(finest[0], lightness), size=fine.shape[-2:], mode="bilinear",
                                      align_corners=False)
            config = self.config
            change, self.link_openness = spread_hints_learned(
                lightness, fine.detach(), hint_ab, hint_mask, embedding, self.hints.affinity.opening,
                reach_limit(config.learned_spread_limit, reach), config.learned_spread_hints, config.learned_spread_spot)
        else:
            change = spread_hints(lightness, fine.detach(), hint_ab, hint_mask)
        base = decoded + F.interpolate(change, size=decoded.shape[-2:], mode="area")
        corrected = finish(base, finest[0], lightness, blend=False)
        size = lightness.shape[-2:]
        return sum(F.interpolate(x, size=size, mode="bilinear", align_corners=False)
                   for x in (decoded, change, corrected - base))


def spread_hints(lightness: torch.Tensor, ab: torch.Tensor, hint_ab: torch.Tensor, hint_mask: torch.Tensor) -> torch.Tensor:
    """How the host's edge-aware propagation of the hints changes ``ab`` ``(N, 2, h, w)``: each photo
    solved on ``ab``'s grid, with L* and the hints (``(N, ·, H, W)``) averaged onto its cells (a cell
    holding any hinted pixel is pinned to their mean ab). Zero for a photo without hints; no gradient."""
    from plugins.host.hints import propagate_targets  # scipy: only for a model that propagates

    change = torch.zeros_like(ab, dtype=torch.float32)
    for i, light, here, mask, target in hinted_cells(lightness, ab, hint_ab, hint_mask):
        spread = propagate_targets(light, here, mask, target)
        change[i] = torch.from_numpy(spread - here).permute(2, 0, 1)
    return change.to(device=ab.device, dtype=ab.dtype)


def spread_hints_learned(lightness: torch.Tensor, ab: torch.Tensor, hint_ab: torch.Tensor, hint_mask: torch.Tensor,
                         embedding: torch.Tensor, opening: torch.Tensor,
                         limit: float | None = None, half_count: float | None = None,
                         spot: float | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`spread_hints` with links learnt from ``embedding`` ``(N, k, h, w)`` on ``ab``'s grid
    (:func:`plugins.backends.guided.affinity.spread_with`, with each photo's :func:`spread_limit`):
    differentiable in it and ``opening``; and how open the links are, on average over the photos
    with hints (0 without any)."""
    from plugins.backends.guided.affinity import spread_with

    changes = [ab.new_zeros(ab.shape[1:], dtype=torch.float32) for _ in range(ab.shape[0])]
    openness = []
    for i, light, here, mask, target in hinted_cells(lightness, ab, hint_ab, hint_mask):
        changes[i], open_share = spread_with(embedding[i].float(), opening, light, here, mask, target,
                                             spread_limit(mask, limit, half_count, spot))
        changes[i] = changes[i].to(ab.device)
        openness.append(open_share)
    return torch.stack(changes).to(ab.dtype), torch.stack(openness).mean() if openness else opening.new_zeros(())


def reach_limit(limit: float | None, reach: float) -> float | None:
    """``learned_spread_limit`` as the user's Hint reach scales it: ``reach`` 0 keeps every hint's
    change off the learnt links (the host's links alone), whether or not the model has a limit."""
    if reach == 0:
        return 0.0
    return None if limit is None else limit * reach


def spread_limit(mask: np.ndarray, limit: float | None, half_count: float | None,
                 spot: float | None = None) -> float | None:
    """How much of a hint's change the learnt links may spread in a photo whose hinted cells are
    ``mask``: ``limit``, times n / (n + ``half_count``) for its n hints (separate blobs of cells)
    when that is given. One hint is little evidence that the model's colors are off all over the
    photo, and a user's single hint mostly means one thing's color; far from the hints the learnt
    share is a weighted mean of theirs, so many hints that agree correct the photo and
    contradicting ones cancel out. With ``spot``, hints closer than that share of the short side
    count as one: five clicks on one coat are one thing's color, not five agreeing corrections."""
    if limit is None or half_count is None:
        return limit
    from scipy import ndimage

    if spot is not None:
        mask = ndimage.binary_dilation(mask, iterations=max(1, round(spot * min(mask.shape) / 2)))
    count = ndimage.label(mask)[1]
    return limit * count / (count + half_count)


def hinted_cells(lightness: torch.Tensor, ab: torch.Tensor, hint_ab: torch.Tensor, hint_mask: torch.Tensor):
    """Per photo with hints: its index, and on ``ab``'s grid its L*, ab, hinted cells (bool) and their
    mean hinted ab, as numpy ``(h, w)``, ``(h, w, 2)``, ``(h, w)``, ``(h, w, 2)``."""
    size = ab.shape[-2:]
    light = F.adaptive_avg_pool2d(lightness.float(), size)
    share = F.adaptive_avg_pool2d(hint_mask.float(), size)
    hinted = F.adaptive_avg_pool2d((hint_ab * hint_mask).float(), size)
    for i in range(ab.shape[0]):
        mask = share[i, 0] > 0
        if bool(mask.any()):
            target = (hinted[i] / share[i].clamp_min(1e-6)).permute(1, 2, 0).cpu().numpy()
            yield (i, light[i, 0].cpu().numpy(), ab[i].detach().float().permute(1, 2, 0).cpu().numpy(),
                   mask.cpu().numpy(), target)


def reference_histogram(reference: np.ndarray | None) -> np.ndarray | None:
    """A reference photo, Lab ``(h, w, 3)``, → its :func:`ab_histogram` ``float32 (HISTOGRAM_BINS²,)``; ``None`` → ``None``."""
    if reference is None:
        return None
    ab = torch.from_numpy(np.ascontiguousarray(reference[..., 1:], dtype=np.float32)).permute(2, 0, 1)[None]
    return ab_histogram(ab)[0].numpy()


def predict_ab(model: GuidedModel, lightness_small: np.ndarray, hint_ab: np.ndarray, hint_mask: np.ndarray,
               histogram: np.ndarray | None = None, reference: np.ndarray | None = None, reach: float = 1.0) -> np.ndarray:
    """L* ``float32 (h, w)`` in 0..100 at working size, hint ab ``(h, w, 2)`` and mask ``(h, w)`` at the
    same size, a reference's :func:`reference_histogram` or ``None`` → ab ``float32 (h, w, 2)`` in Lab units.
    ``reference``, Lab ``(h', w', 3)``: the model's own colors take its chroma statistics before the
    hints are spread (:func:`plugins.host.reference.transfer_reference`, as the host does for any backend).
    ``reach``: see :meth:`GuidedModel.forward`."""
    param = next(model.parameters())

    def tensor(array: np.ndarray) -> torch.Tensor:  # a copy: the photo is read-only
        return torch.tensor(np.asarray(array, dtype=np.float32)).to(device=param.device, dtype=param.dtype)

    x = tensor(lightness_small)[None, None]
    ab_map = tensor(hint_ab).permute(2, 0, 1)[None]
    mask = tensor(hint_mask)[None, None]
    global_hint = None if histogram is None else tensor(histogram)[None]
    recolor = None if reference is None else reference_recolor(reference)
    model.eval()
    with torch.no_grad():
        ab = model(x, ab_map, mask, global_hint, recolor, reach)
    return ab[0].permute(1, 2, 0).float().cpu().numpy().astype(np.float32)


def reference_recolor(reference: np.ndarray) -> Recolor:
    """A :data:`Recolor` that moves the ab's chroma statistics to the Lab ``reference``'s, band by band of L."""
    from plugins.host.reference import transfer_reference

    def recolor(ab: torch.Tensor, lightness: torch.Tensor) -> torch.Tensor:
        light = F.adaptive_avg_pool2d(lightness.float(), ab.shape[-2:])
        moved = [transfer_reference(light[i, 0].cpu().numpy(), ab[i].float().permute(1, 2, 0).cpu().numpy(), reference)
                 for i in range(ab.shape[0])]
        return torch.from_numpy(np.stack(moved)).permute(0, 3, 1, 2).to(device=ab.device, dtype=ab.dtype)

    return recolor
