"""Semantic plausibility: does an ImageNet classifier see the same thing in the colorized photo as in the true one?

Zhang et al. report it with VGG; here the frozen EfficientNet-Lite0 ImageNet
classifier the backends' encoder comes from. The score is the share of photos
whose top-1 class on the colorized photo equals the top-1 class on the truth.
"""

from __future__ import annotations

import numpy as np
import torch

from plugins.backbones import normalize_rgb

from training.gan import ClassTeacher


class TopOneClassifier:
    def __init__(self, batch_size: int = 16):
        self.net = ClassTeacher().net  # the frozen ImageNet classifier the gan's class term uses
        self.batch_size = batch_size

    @torch.no_grad()
    def __call__(self, photos: list[np.ndarray]) -> np.ndarray:
        """8-bit sRGB photos ``(H, W, 3)`` of one size → top-1 ImageNet class per photo, ``int64 (N,)``."""
        labels = []
        for start in range(0, len(photos), self.batch_size):
            x = torch.from_numpy(np.stack(photos[start : start + self.batch_size])).permute(0, 3, 1, 2).float()
            labels.append(self.net.classify(normalize_rgb(x / 255.0)).argmax(1))
        return torch.cat(labels).numpy()


def top1_agreement(truth_labels: np.ndarray, result_labels: np.ndarray) -> float:
    return float(np.mean(np.asarray(truth_labels) == np.asarray(result_labels)))
