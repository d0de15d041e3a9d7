"""Image encoders shared by the built-in backends (pure torch, no weights downloaded)."""

from plugins.backbones.efficientnet_lite0 import (
    EfficientNetLite0,
    load_pretrained_weights,
    normalize_lightness,
    normalize_rgb,
)

__all__ = ["EfficientNetLite0", "load_pretrained_weights", "normalize_lightness", "normalize_rgb"]
