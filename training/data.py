"""Color photos from a folder (recursive) as (L, ab) training pairs, converted on the fly.

Augmentation is seeded per sample by the sampler (see :class:`EpochSampler`), not
by worker RNGs, so a run is reproducible whatever the number of workers and a
resumed run sees exactly the batches the uninterrupted one would have.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset, Sampler

from plugins.color import fit_short_side, split_lab, srgb_to_lab

log = logging.getLogger(__name__)
EXTENSIONS = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}


def find_images(roots) -> list[Path]:
    """The photos under one folder or a list of folders (recursive), each folder's sorted by path."""
    if isinstance(roots, (str, Path)):
        roots = [roots]
    found = []
    for root in roots:
        found += sorted(p for p in Path(root).rglob("*") if p.suffix.lower() in EXTENSIONS and p.is_file())
    return found


MIN_CHROMA = 2.0 / 255.0
"""Largest channel spread (0..1) below which a photo counts as black-and-white: nothing to learn color from."""


GRAY_MODES = ("1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F")


class NotAColorPhoto(ValueError):
    pass


def check_color_mode(im: Image.Image) -> None:
    """NotAColorPhoto if the file's mode (known from its header) holds no color."""
    if im.mode in GRAY_MODES:
        raise NotAColorPhoto(f"not a color photo (mode {im.mode})")


def load_rgb(path: Path) -> np.ndarray:
    """sRGB ``float32 (H, W, 3)`` in 0..1; NotAColorPhoto for a gray one (modes L, I;16, F… or gray RGB)."""
    with Image.open(path) as im:
        check_color_mode(im)
        rgb = np.asarray(im.convert("RGB"), dtype=np.float32) / 255.0
    if float(np.max(rgb.max(axis=-1) - rgb.min(axis=-1))) < MIN_CHROMA:
        raise NotAColorPhoto("not a color photo (its channels are equal)")
    return rgb


def to_lab_tensors(rgb: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """sRGB ``(H, W, 3)`` in 0..1 → L ``(1, H, W)`` and ab ``(2, H, W)`` float32 tensors."""
    lightness, ab = split_lab(srgb_to_lab(rgb))
    return torch.from_numpy(lightness)[None], torch.from_numpy(ab).permute(2, 0, 1).contiguous()


class PhotoFolder(Dataset):
    """Training pairs: short side scaled to ``size`` × a jitter in ``scale``, a random
    ``crop``-square, a random horizontal flip. Without ``train``: short side
    ``size`` and the central ``crop`` square, no randomness.

    Files PIL cannot open, and grayscale ones, are skipped with a warning at
    construction (``self.skipped``); a file that fails later (a truncated one, or
    an RGB photo whose channels are all equal) is replaced by the next one, with a
    warning, and counted in ``self.failed`` (per worker process).
    """

    def __init__(self, roots, size: int = 256, crop: int = 224, train: bool = True, scale=(0.8, 1.25)):
        self.size, self.crop, self.train, self.scale = size, crop, train, scale
        self.files, self.skipped, self.failed = [], 0, 0
        for path in find_images(roots):
            try:
                with Image.open(path) as im:
                    check_color_mode(im)
                self.files.append(path)
            except Exception as exc:  # noqa: BLE001 - any unreadable file is skipped
                self.skipped += 1
                log.warning("skipping %s: %s", path, exc)
        if not self.files:
            raise ValueError(f"no readable photos under {roots}")

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, item) -> tuple[torch.Tensor, torch.Tensor]:
        index, seed = item if isinstance(item, tuple) else (item, 0)
        for attempt in range(len(self.files)):
            path = self.files[(index + attempt) % len(self.files)]
            try:
                rgb = load_rgb(path)
            except Exception as exc:  # noqa: BLE001
                self.failed += 1
                log.warning("skipping %s: %s", path, exc)
                continue
            return to_lab_tensors(self._augment(rgb, np.random.default_rng(seed)))
        raise RuntimeError("no photo could be read")

    def _augment(self, rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        short = self.size * (rng.uniform(*self.scale) if self.train else 1.0)
        rgb = fit_short_side(rgb, max(self.crop, round(short)))
        h, w = rgb.shape[:2]
        if self.train:
            y, x = rng.integers(0, h - self.crop + 1), rng.integers(0, w - self.crop + 1)
        else:
            y, x = (h - self.crop) // 2, (w - self.crop) // 2
        rgb = rgb[y : y + self.crop, x : x + self.crop]
        if self.train and rng.random() < 0.5:
            rgb = rgb[:, ::-1]
        return np.ascontiguousarray(rgb)


def source_of(path: Path) -> str:
    """The source set a photo came from: its file name's prefix before ``__`` (``caltech101__…``), or ``""``."""
    name = Path(path).name
    return name.split("__", 1)[0] if "__" in name else ""


def source_weights(files, weights: dict[str, float]) -> list[float]:
    """Each photo's sampling weight: its source's entry in ``weights`` (1 for sources not named).
    A named source with no photo is an error, not a silent no-op."""
    sources = [source_of(f) for f in files]
    if unknown := sorted(set(weights) - set(sources)):
        raise ValueError(f"no photo of source {', '.join(unknown)} (sources: {', '.join(sorted(set(sources)))})")
    drawn = [weights.get(s, 1.0) for s in sources]
    if not any(drawn):
        raise ValueError("every photo has weight 0: nothing to draw")
    return drawn


class EpochSampler(Sampler):
    """A shuffled, rank-sharded epoch (like DistributedSampler) yielding ``(index, aug_seed)``.

    ``start`` skips the first samples of this rank's share, for resuming mid-epoch. With ``weights``
    (one per photo) an epoch is ``n`` draws with replacement, each photo drawn in proportion to its weight.
    """

    def __init__(self, n: int, seed: int, rank: int = 0, world: int = 1, shuffle: bool = True, weights=None):
        self.n, self.seed, self.rank, self.world, self.shuffle = n, seed, rank, world, shuffle
        self.weights = None if weights is None else torch.as_tensor(weights, dtype=torch.float64)
        self.per_rank = math.ceil(n / world)
        self.epoch, self.start = 0, 0

    def set_epoch(self, epoch: int, start: int = 0) -> None:
        self.epoch, self.start = epoch, start

    def __len__(self) -> int:
        return self.per_rank - self.start

    def __iter__(self):
        g = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
        if self.weights is not None:
            order = torch.multinomial(self.weights, self.n, replacement=True, generator=g).tolist()
        else:
            order = torch.randperm(self.n, generator=g).tolist() if self.shuffle else list(range(self.n))
        order += order[: self.per_rank * self.world - self.n]  # pad so every rank gets the same count
        mine = order[self.rank :: self.world]
        for pos in range(self.start, self.per_rank):
            # A photo drawn twice in a weighted epoch gets two different crops.
            draw = pos * self.world + self.rank + 1 if self.weights is not None else 0
            yield mine[pos], (self.seed * 1_000_003 + self.epoch) * 10_000_019 + mine[pos] + draw * 1_000_000_007
