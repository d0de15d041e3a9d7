"""Built-in backends' shipped weights: ``resources/models/<name>.safetensors`` and its card.

The card ``<name>.json`` holds the sha256 the host verifies and the model
config; ``<name>.md`` is the human-readable model card. Both are written by
``python -m training export``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from plugins.resources import model_path
from plugins.types import WeightsFile

UNKNOWN_SHA256 = "0" * 64


@dataclass(frozen=True)
class ShippedModel:
    weights: WeightsFile
    card: dict[str, Any]

    @property
    def config(self) -> dict[str, Any]:
        return self.card.get("config", {})


def load_shipped_model(shipped: ShippedModel, model_cls, config_cls, device: str):
    """The built-in model of ``shipped``'s card config with its verified weights, float32, on ``device``, in eval mode."""
    import torch

    from plugins.weights import load_state_dict

    model = model_cls(config_cls.from_dict(shipped.config))
    model.load_state_dict({k: v.float() for k, v in load_state_dict(shipped.weights).items()})
    return model.to(torch.device(device)).eval()


def shipped_model(name: str) -> ShippedModel:
    """The weights file and card of a built-in model; a missing card leaves the weights 'missing'."""
    card_path = model_path(f"{name}.json")
    try:
        card = json.loads(card_path.read_text())
        sha256 = card["sha256"]
    except (OSError, ValueError, KeyError):
        card, sha256 = {}, UNKNOWN_SHA256
    return ShippedModel(WeightsFile(model_path(f"{name}.safetensors"), sha256), card)
