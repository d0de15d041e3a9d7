"""Colorization metrics of the literature, on 8-bit sRGB images ``uint8 (H, W, 3)``.

- PSNR over the RGB channels, per image, averaged (as DeOldify and DDColor report it);
- AuC: the fraction of pixels whose ab error is within a threshold, averaged over
  the thresholds 0, 1, …, 150 (Zhang et al.), so 0..1;
- colorfulness (Hasler and Süsstrunk 2003) in the form DDColor and most
  colorization code compute it, on the absolute opponent channels |R−G| and
  |(R+G)/2−B|; ΔCF is the gap between the mean colorfulness of the results and
  of the ground truth over a data set (DDColor).

With these, the grayscale baseline on the test set measures PSNR 22.06 dB,
AuC 0.878 and colorfulness 40.5 for the ground truth, the issue's reference figures.
"""

from __future__ import annotations

import numpy as np

from plugins.color import srgb_to_lab

AUC_THRESHOLDS = np.arange(0, 151, dtype=np.float32)


MAX_PSNR = 100.0
"""dB for identical images (a gray photo against the gray baseline): infinity would swamp every mean."""


def psnr(result: np.ndarray, truth: np.ndarray) -> float:
    mse = np.mean((result.astype(np.float64) - truth.astype(np.float64)) ** 2)
    return MAX_PSNR if mse == 0 else min(MAX_PSNR, float(10 * np.log10(255.0**2 / mse)))


def ab_of(rgb8: np.ndarray) -> np.ndarray:
    return srgb_to_lab(rgb8.astype(np.float32) / 255.0)[..., 1:]


def ab_error(result: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Per-pixel Euclidean distance in ab between two 8-bit sRGB images."""
    return np.linalg.norm(ab_of(result) - ab_of(truth), axis=-1)


def auc(result: np.ndarray, truth: np.ndarray) -> float:
    errors = np.sort(ab_error(result, truth).ravel())
    within = np.searchsorted(errors, AUC_THRESHOLDS, side="right") / errors.size
    return float(within.mean())


def colorfulness(rgb8: np.ndarray) -> float:
    rgb = rgb8.astype(np.float64)
    rg = np.abs(rgb[..., 0] - rgb[..., 1])
    yb = np.abs(0.5 * (rgb[..., 0] + rgb[..., 1]) - rgb[..., 2])
    sigma = np.sqrt(rg.std() ** 2 + yb.std() ** 2)
    mu = np.sqrt(rg.mean() ** 2 + yb.mean() ** 2)
    return float(sigma + 0.3 * mu)


def mean_pairwise_ab_distance(abs_: list[np.ndarray]) -> float:
    """Diversity of samples: the mean over pairs of the mean per-pixel ab distance."""
    if len(abs_) < 2:
        return 0.0
    distances = [
        float(np.linalg.norm(abs_[i] - abs_[j], axis=-1).mean())
        for i in range(len(abs_))
        for j in range(i + 1, len(abs_))
    ]
    return float(np.mean(distances))
