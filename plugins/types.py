"""The typed objects that cross the plugin API.

Conventions used everywhere in Tinct:

* **Lightness** ``L`` is a ``float32`` array of shape ``(H, W)`` holding CIE L*
  (D65, sRGB primaries) in ``0..100``.
* **Chroma** ``ab`` is a ``float32`` array of shape ``(h, w, 2)`` holding CIE a*
  and b* in Lab units (roughly ``-110..110`` inside the sRGB gamut), at whatever
  working resolution the backend chose. The host resizes it onto the
  full-resolution ``L``; a backend never has to.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Union

import numpy as np

DEVICES = ("cpu", "cuda", "mps")
_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class Capability(str, enum.Enum):
    """What a backend can do beyond a single deterministic colorization."""

    SAMPLES = "samples"
    """It makes several different colorizations of one photo (``max_samples > 1``)."""
    HINTS = "hints"
    """It accepts user color hints (reserved for a later API version)."""
    REFERENCE = "reference"
    """It accepts a reference photo to take colors from (reserved)."""


@dataclass(frozen=True)
class WeightsFile:
    """A weights file a backend needs, identified by its content.

    ``path`` is where the plugin expects the file, usually inside its own
    package (``Path(__file__).parent / "weights.safetensors"``: a relative path
    would be taken from the current directory). ``sha256`` is the hex digest of
    its bytes (either case); the host refuses a file whose digest differs.
    Weights must be in the safetensors format: Tinct never unpickles anything.
    """

    path: Path
    sha256: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))
        object.__setattr__(self, "sha256", str(self.sha256).lower())
        if not re.fullmatch(r"[0-9a-f]{64}", self.sha256):
            raise ValueError(f"sha256 of {self.path.name} must be 64 hex digits")


@dataclass(frozen=True)
class BackendOption:
    """A numeric option a backend exposes beyond the common ones (e.g. diversity).

    The app shows it as a slider or spin box; its value reaches
    :meth:`Colorizer.colorize` in ``options.params[name]``.
    """

    name: str
    label: str
    default: float
    minimum: float
    maximum: float
    help: str = ""

    def __post_init__(self) -> None:
        if not self.minimum <= self.default <= self.maximum:
            raise ValueError(f"option {self.name}: default outside [minimum, maximum]")


@dataclass(frozen=True)
class ColorizerInfo:
    """Everything the host and the app need to know about a backend before loading it."""

    id: str
    """Stable identifier: lowercase letters, digits, ``-`` and ``_``. Used on the command line and in file names."""
    name: str
    """Display name."""
    version: str
    license: str
    """License of the model weights and code, e.g. ``"Apache-2.0"``."""
    description: str = ""
    max_samples: int = 1
    """The most samples one call of ``colorize`` can make."""
    capabilities: frozenset[Capability] = frozenset()
    devices: tuple[str, ...] = ("cpu",)
    """Devices the backend can run on, a subset of ``("cpu", "cuda", "mps")``."""
    weights: tuple[WeightsFile, ...] = ()
    default_working_size: int = 256
    """Short side, in pixels, of the resolution the backend works at unless told otherwise."""
    supports_half: bool = False
    """Whether the backend may run in float16 on CUDA; the host then sets ``options.half``."""
    has_temperature: bool = False
    """Whether ``options.temperature`` means something to this backend."""
    default_temperature: float = 1.0
    params: tuple[BackendOption, ...] = ()

    def __post_init__(self) -> None:
        if not _ID_PATTERN.match(self.id):
            raise ValueError(f"backend id {self.id!r} must match {_ID_PATTERN.pattern}")
        if self.max_samples < 1:
            raise ValueError(f"backend {self.id}: max_samples must be at least 1")
        unknown = set(self.devices) - set(DEVICES)
        if unknown or not self.devices:
            raise ValueError(f"backend {self.id}: devices must be a non-empty subset of {DEVICES}")
        object.__setattr__(self, "capabilities", frozenset(Capability(c) for c in self.capabilities))
        object.__setattr__(self, "weights", tuple(self.weights))
        object.__setattr__(self, "params", tuple(self.params))


@dataclass(frozen=True)
class ColorizeOptions:
    """What the caller asks of one :meth:`Colorizer.colorize` call. The host fills every field."""

    samples: int = 1
    """How many samples to make, ``1..info.max_samples``."""
    seed: int = 0
    """Seed for every random choice; the same seed must give the same samples."""
    working_size: int = 256
    """Short side, in pixels, to work at."""
    temperature: float = 1.0
    """Sampling temperature or diversity, for backends whose ``has_temperature`` is set."""
    device: str = "cpu"
    """The device the backend was loaded on: ``"cpu"``, ``"cuda"`` or ``"mps"``."""
    half: bool = False
    """Run in float16 (only ever set on CUDA for backends with ``supports_half``)."""
    params: Mapping[str, float] = field(default_factory=dict)
    """Values of the backend's own :class:`BackendOption` entries, by name."""


@dataclass(frozen=True)
class Progress:
    """A progress report from inside ``colorize``; ``fraction`` runs from 0 to 1."""

    fraction: float
    message: str = ""


@dataclass(frozen=True, eq=False)
class Sample:
    """One finished colorization: ``ab`` is ``float32 (h, w, 2)`` in Lab units.

    ``index`` counts from 0 in the order the samples were requested.
    """

    index: int
    ab: np.ndarray


Event = Union[Progress, Sample]
