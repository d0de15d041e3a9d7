"""Training the ``learned`` restoration step: color photos worn on the fly; the target is the photo
faded as its worn copy was, without the grain, noise, dust and scratches (the network cleans a
scan; the ``tone`` step undoes fading).

The damage is :mod:`plugins.restore.degrade`'s (the restoration bench's), drawn more widely so
that the network also meets prints that faded little or not at all, and scans without dust or
without noise, and learns to leave those alone: each of fading, defects and noise is present
with probability :data:`PRESENT`, and the fading's contrast ranges over
:data:`plugins.restore.degrade.WORN_CONTRAST` (the bench: 0.5-0.7). Validation wears each photo
exactly as the bench does, seeded by its index.

Painting scratches and specks costs about 0.1 s a photo, more than a training step; so a run
paints a bank of defect layers once (``RUN_DIR/defects.npy``, reused on ``--resume``) and each
training photo takes a random one, turned and cropped at random.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

from plugins.color import lightness_to_gray
from plugins.restore.degrade import WORN_CONTRAST, WORN_LIFT, WORN_SHARE, add_noise, defect_layer, degrade, fade
from training.quality import psnr

log = logging.getLogger(__name__)

PRESENT = WORN_SHARE
BANK_SIDE = 256  # the bench's photos: short side 256, where defect sizes are as drawn
BANK_LAYERS = 512
VAL_SEED = 1000  # validation's damage differs from the bench's seeds (which are on other photos anyway)


def defect_bank(path: Path, count: int | None = None, side: int = BANK_SIDE, seed: int = 0) -> np.ndarray:
    """``float16 (count, side, side)``: each layer's L* offset × opacity, painted once and kept at ``path``
    (``count``: :data:`BANK_LAYERS`)."""
    count = count or BANK_LAYERS
    if path.exists():
        bank = np.load(path, allow_pickle=False)
        if bank.shape == (count, side, side):
            return bank
    log.info("painting %d defect layers (%d px) into %s", count, side, path)
    rng = np.random.default_rng(seed)
    bank = np.empty((count, side, side), np.float16)
    for i in range(count):
        offset, opacity = defect_layer((side, side), rng)
        bank[i] = offset * opacity
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.stem}.{os.getpid()}.partial.npy")  # each DDP rank paints the same bank
    np.save(partial, bank)
    os.replace(partial, path)
    return bank


def bank_crop(bank: np.ndarray, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A random layer of ``bank``, turned or mirrored at random, cropped (or tiled) to ``shape``."""
    layer = np.rot90(bank[rng.integers(len(bank))], k=int(rng.integers(4)))
    if rng.random() < 0.5:
        layer = layer[:, ::-1]
    h, w = shape
    reps = (-(-h // layer.shape[0]), -(-w // layer.shape[1]))
    if reps != (1, 1):
        layer = np.tile(layer, reps)
    y, x = rng.integers(0, layer.shape[0] - h + 1), rng.integers(0, layer.shape[1] - w + 1)
    return layer[y : y + h, x : x + w].astype(np.float32)


def wear(clean: np.ndarray, bank: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``(worn, target)`` for training: ``clean`` L* faded, then dusted and scratched, then noisy, each
    with probability :data:`PRESENT`; the target is the faded photo alone."""
    faded = clean.astype(np.float32)
    if rng.random() < PRESENT:
        faded = fade(faded, rng, WORN_CONTRAST, WORN_LIFT)
    out = faded
    if rng.random() < PRESENT:
        out = out + bank_crop(bank, out.shape, rng)
    if rng.random() < PRESENT:
        out = add_noise(out, rng)
    return np.clip(out, 0.0, 100.0).astype(np.float32), np.clip(faded, 0.0, 100.0).astype(np.float32)


class WornPhotos(Dataset):
    """``(worn L*, target L*)``, each ``float32 (1, H, W)``, from a :class:`training.data.PhotoFolder`
    (whose items, ``index`` or ``(index, seed)``, it takes alike); the target is the photo faded as
    the worn one was. ``bank``: training's defect layers; without one, each photo is worn as the
    bench wears it, seeded by its index."""

    def __init__(self, photos, bank: np.ndarray | None = None, seed: int = VAL_SEED):
        self.photos, self.bank, self.seed = photos, bank, seed

    @property
    def skipped(self) -> int:
        return self.photos.skipped

    def __len__(self) -> int:
        return len(self.photos)

    def __getitem__(self, item) -> tuple[torch.Tensor, torch.Tensor]:
        index, seed = item if isinstance(item, tuple) else (item, 0)
        lightness, _ = self.photos[item]
        clean = lightness[0].numpy()
        if self.bank is None:
            worn = degrade(clean, np.random.default_rng([self.seed, index])).lightness
            # degrade() fades first, so the same seed draws the same fading
            target = np.clip(fade(clean, np.random.default_rng([self.seed, index])), 0.0, 100.0)
        else:
            worn, target = wear(clean, self.bank, np.random.default_rng([seed, index, 7]))
        return torch.from_numpy(worn)[None], torch.from_numpy(target)[None]


@torch.no_grad()
def validate(model, loader, device, n_samples: int, grid_path) -> dict:
    """Mean PSNR (dB, L* as 8-bit gray) of the cleaned and of the worn lightness against the target
    (the photo faded alike), and a grid of ``n_samples`` photos: worn | cleaned | target."""
    model.eval()
    restored_psnr, worn_psnr, rows = [], [], []
    for worn, clean in loader:
        out = model(worn.to(device)).float().clamp(0, 100).cpu()
        for w, o, c in zip(worn[:, 0].numpy(), out[:, 0].numpy(), clean[:, 0].numpy()):
            restored_psnr.append(psnr(o * 2.55, c * 2.55))
            worn_psnr.append(psnr(w * 2.55, c * 2.55))
            if len(rows) < n_samples:
                rows.append(np.concatenate([w, o, c], axis=1))
    model.train()
    if rows:
        gray = lightness_to_gray(np.concatenate(rows, axis=0))
        Image.fromarray(np.round(gray * 255.0).astype(np.uint8)).save(grid_path)
    return {"val_psnr": float(np.mean(restored_psnr)), "val_worn_psnr": float(np.mean(worn_psnr))}
