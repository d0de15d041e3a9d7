"""The base of the backends' model configs: a dataclass that goes to and from JSON-friendly dicts."""

from __future__ import annotations

import dataclasses
from typing import Self


@dataclasses.dataclass
class ModelConfig:
    """Subclasses are dataclasses of numbers and tuples; tuples travel as JSON lists."""

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_dict(cls, d: dict) -> Self:
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})
