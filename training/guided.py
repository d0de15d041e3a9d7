"""Hints for training and validating the ``guided`` backend.

Training simulates a user's hints from the truth as Zhang et al.'s ideepcolor does: each photo
gets a geometric number of hints (p = 1/8: none one time in eight, so the model still colorizes
on its own, and 7 on average), each a square patch of 1 to 9 px filled with the truth's mean ab
over that patch, placed around the photo's centre with a Gaussian spread of a quarter of its
side. One photo in four also gets ideepcolor's global hint, its own ab histogram, as a reference
photo's would be given. ``--hint-placement uniform`` puts the hints anywhere on the photo
alike instead, as users and ``training eval --hints`` do. Draws come from torch's global generator unless one is given: the checkpoints save it, so
a resumed run draws the same hints.

Validation places hints as ``python -m training eval --hints N`` does
(:func:`training.evaluate.draw_hints`: seeded positions, the mean ab of a 5×5 patch).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

HINT_P = 1 / 8
"""Success probability of the geometric number of hints: P(k hints) = (1 - p)^k · p."""
MAX_HINTS = 100
"""Hints per photo at most: the geometric count exceeds it about once in 600,000 photos."""
PATCH_SIZES = (1, 9)
"""Smallest and largest side, in px, of a simulated hint's square patch."""
GLOBAL_HINT_P = 0.25
"""Share of training photos that get their own ab histogram as the global hint (a reference's)."""
PLACEMENTS = ("centre", "uniform")
"""Where simulated hints fall: ideepcolor's Gaussian around the centre, or anywhere alike."""
VALIDATION_HINTS = 10
VALIDATION_SEED = 0  # as `training eval`'s default --seed: the photos' hints fall where eval's would


@dataclass(frozen=True)
class HintPatches:
    """Simulated hints of a batch: hint ``k`` covers photo ``photo[k]``'s rows ``top[k]`` to
    ``top[k] + size[k]`` and columns ``left[k]`` to ``left[k] + size[k]``; ``counts`` holds each
    photo's number of hints. All int64; a photo's hints come in order, later ones painted over earlier."""

    photo: torch.Tensor
    top: torch.Tensor
    left: torch.Tensor
    size: torch.Tensor
    counts: torch.Tensor


def draw_hint_patches(n: int, height: int, width: int, generator: torch.Generator | None = None,
                      p: float = HINT_P, placement: str = "centre") -> HintPatches:
    """Where the hints of ``n`` photos of ``height`` × ``width`` go (see the module's description);
    ``placement`` ``"uniform"``: anywhere on the photo with equal chance, as users (and ``training
    eval --hints``) place them, instead of ideepcolor's Gaussian around the centre."""
    if placement not in PLACEMENTS:
        raise ValueError(f"placement must be one of {PLACEMENTS}, not {placement!r}")
    uniform = 1.0 - torch.rand(n, generator=generator, dtype=torch.float64)  # in (0, 1]
    counts = torch.floor(torch.log(uniform) / math.log(1 - p)).clamp(max=MAX_HINTS).long()  # inverse CDF
    total = int(counts.sum())
    photo = torch.repeat_interleave(torch.arange(n), counts)
    size = torch.randint(PATCH_SIZES[0], PATCH_SIZES[1] + 1, (total,), generator=generator).clamp(max=min(height, width))

    def place(side: int) -> torch.Tensor:
        room = (side - size + 1).double()  # ideepcolor: N((S - P + 1) / 2, (S - P + 1) / 4), clipped, truncated
        if placement == "uniform":
            return (torch.rand(total, generator=generator, dtype=torch.float64) * room).floor().long()
        position = torch.randn(total, generator=generator, dtype=torch.float64) * room / 4 + room / 2
        return torch.minimum(position.clamp(min=0), (side - size).double()).floor().long()

    top = place(height)
    left = place(width)
    return HintPatches(photo, top, left, size, counts)


def paint_hints(ab: torch.Tensor, patches: HintPatches) -> tuple[torch.Tensor, torch.Tensor]:
    """The truth ab ``(N, 2, H, W)`` and the patches → the hint map ``(N, 2, H, W)`` (each patch
    filled with the truth's mean ab over it, 0 elsewhere) and the mask ``(N, 1, H, W)`` (1 on the patches).

    In a few whole-batch operations (a loop over the hints launched hundreds of small kernels per batch,
    which on a GPU cost more than the model's step): the patches' means from an integral image, then
    each pixel takes the last of its photo's patches that covers it."""
    n, _, height, width = ab.shape
    device = ab.device
    photo, top, left, size = (t.to(device) for t in (patches.photo, patches.top, patches.left, patches.size))
    integral = F.pad(ab.double().cumsum(2).cumsum(3), (1, 0, 1, 0))  # (N, 2, H+1, W+1); double: exact enough sums
    bottom, right = top + size, left + size
    sums = (integral[photo, :, bottom, right] - integral[photo, :, top, right]
            - integral[photo, :, bottom, left] + integral[photo, :, top, left])  # (K, 2)
    means = (sums / (size * size)[:, None].double()).to(ab.dtype)
    rows = torch.arange(height, device=device)
    cols = torch.arange(width, device=device)
    inside = (((rows >= top[:, None]) & (rows < bottom[:, None]))[:, :, None]
              & ((cols >= left[:, None]) & (cols < right[:, None]))[:, None, :])  # (K, H, W)
    order = torch.arange(1, photo.numel() + 1, device=device)  # later hints of a photo paint over earlier ones
    last = torch.zeros(n, height, width, dtype=torch.long, device=device)
    last.scatter_reduce_(0, photo[:, None, None].expand_as(inside), inside * order[:, None, None], "amax")
    covered = last > 0
    painted = torch.cat([torch.zeros(1, 2, dtype=ab.dtype, device=device), means])[last]  # (N, H, W, 2)
    hint_ab = painted.permute(0, 3, 1, 2) * covered[:, None].to(ab.dtype)
    mask = covered[:, None].to(ab.dtype)
    return hint_ab.contiguous(), mask


def simulate_hints(ab: torch.Tensor, generator: torch.Generator | None = None,
                   placement: str = "centre") -> tuple[torch.Tensor, torch.Tensor]:
    """ideepcolor's simulated hints for a batch of truth ab ``(N, 2, H, W)``: (hint map, mask)."""
    n, _, height, width = ab.shape
    return paint_hints(ab, draw_hint_patches(n, height, width, generator, placement=placement))


RECOLOR_TOLERANCE = 12.0
"""How far (ab units) a pixel's truth chroma, blurred over 5×5 px, may lie from the hinted one's
and still belong to the object a recoloring hint repaints."""
RECOLOR_MIN_CHROMA = 10.0
"""A hint on grayer truth than this recolors nothing: the gray of a scene is one connected region
across its objects, and repainting all of it would teach the model to spread a hint everywhere."""
RECOLOR_CHROMA = (15.0, 70.0)
"""Chroma range of the new color a recoloring hint gives its object."""


def recolor_objects(ab: torch.Tensor, patches: HintPatches, p: float,
                    generator: torch.Generator | None = None) -> torch.Tensor:
    """A user's hint says that a thing had another color than the model thought: a coat was red,
    and only the coat turns red. Truth hints rarely teach that (the model's errors are alike across a
    photo, so spreading a truth hint far mostly pays). So with probability ``p`` a photo's first hint
    repaints its object in the truth ``(N, 2, H, W)``: the connected region around the hint whose
    (blurred) truth chroma is within :data:`RECOLOR_TOLERANCE` of the hinted chroma moves by one
    offset to a random color (its texture kept); hints painted afterwards from the returned truth
    carry that color. The model must then spread it over the object, and no further. A hint on a
    grayish place (:data:`RECOLOR_MIN_CHROMA`) recolors nothing."""
    from scipy import ndimage

    if p <= 0 or patches.photo.numel() == 0:
        return ab
    firsts = torch.cumsum(patches.counts, 0) - patches.counts  # index of each photo's first hint
    chosen = (patches.counts > 0) & (torch.rand(ab.shape[0], generator=generator) < p)
    if not chosen.any():
        return ab
    out = ab.clone()
    blurred = F.avg_pool2d(ab.float(), 5, stride=1, padding=2, count_include_pad=False).cpu().numpy()
    for photo in torch.nonzero(chosen).ravel().tolist():
        k = int(firsts[photo])
        size = int(patches.size[k])
        row, col = int(patches.top[k]) + size // 2, int(patches.left[k]) + size // 2
        if np.hypot(*blurred[photo][:, row, col]) < RECOLOR_MIN_CHROMA:
            continue
        near = np.linalg.norm(blurred[photo] - blurred[photo][:, row, col, None, None], axis=0) < RECOLOR_TOLERANCE
        labels, _ = ndimage.label(near)
        region = labels == labels[row, col]
        # The blur leaves the object's rim out; take it back where the rim's own chroma is alike.
        raw = ab[photo].float().cpu().numpy()
        rim = np.linalg.norm(raw - blurred[photo][:, row, col, None, None], axis=0) < RECOLOR_TOLERANCE
        region = torch.from_numpy(region | (ndimage.binary_dilation(region, iterations=2) & rim)).to(ab.device)
        angle = float(torch.rand((), generator=generator)) * 2 * math.pi
        low, high = RECOLOR_CHROMA
        chroma = low + float(torch.rand((), generator=generator)) * (high - low)
        offset = torch.tensor([chroma * math.cos(angle), chroma * math.sin(angle)], dtype=ab.dtype, device=ab.device)
        offset = offset - torch.from_numpy(blurred[photo][:, row, col]).to(ab.device, ab.dtype)
        out[photo] = torch.where(region, ab[photo] + offset[:, None, None], ab[photo])
    return out


def simulate_global_hints(ab: torch.Tensor, generator: torch.Generator | None = None,
                          p: float = GLOBAL_HINT_P) -> torch.Tensor:
    """Each photo's own ab histogram (:func:`plugins.backends.guided.model.ab_histogram`) with
    probability ``p``, else a row of zeros (no reference): ``(N, HISTOGRAM_BINS²)``."""
    from plugins.backends.guided.model import ab_histogram

    keep = torch.rand(ab.shape[0], generator=generator) < p
    return ab_histogram(ab) * keep.to(ab.device, torch.float32)[:, None]


def truth_hints(lightness: torch.Tensor, ab: torch.Tensor, count: int, seed: int,
                first_photo: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``count`` hints per photo of a batch placed as ``training eval --hints`` places them, photo
    ``first_photo + i`` of the set seeded as eval seeds its photo of that number: (hint map, mask)."""
    from plugins.backends.guided.hints import rasterize_hints
    from plugins.color import join_lab, lab_to_srgb
    from training.evaluate import draw_hints, to_uint8

    maps, masks = [], []
    for i, (light, chroma) in enumerate(zip(lightness[:, 0].cpu().numpy(), ab.permute(0, 2, 3, 1).cpu().numpy())):
        truth = to_uint8(lab_to_srgb(join_lab(light, chroma)))
        hints = draw_hints(truth, count, np.random.default_rng([seed, first_photo + i]))
        hint_ab, mask = rasterize_hints(hints, light.shape, light.shape)
        maps.append(torch.from_numpy(hint_ab).permute(2, 0, 1))
        masks.append(torch.from_numpy(mask)[None])
    return torch.stack(maps).to(ab.device), torch.stack(masks).to(ab.device)


class HintedValidation:
    """The model's inputs for one validation pass with ``count`` hints per photo (:func:`truth_hints`),
    counting the photos as the (unshuffled) validation loader yields them. One object per pass."""

    def __init__(self, count: int = VALIDATION_HINTS, seed: int = VALIDATION_SEED):
        self.count, self.seed, self.photos = count, seed, 0

    def __call__(self, lightness: torch.Tensor, ab: torch.Tensor) -> tuple[torch.Tensor, ...]:
        hint_ab, mask = truth_hints(lightness, ab, self.count, self.seed, self.photos)
        self.photos += lightness.shape[0]
        return lightness, hint_ab, mask
