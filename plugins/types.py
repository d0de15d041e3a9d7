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
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence, Union

import numpy as np

API_VERSION = (1, 1)
"""The plugin API's version, ``(major, minor)``. The minor number grows when the API gains
something a backend may use (backends written for an older minor version keep working);
the major number when something a backend relies on changes. 1.0: the first published API.
1.1: :class:`ColorHint`, ``ColorizeOptions.hints`` and ``ColorizeOptions.reference``
(``Capability.HINTS`` and ``Capability.REFERENCE`` are no longer reserved)."""

DEVICES = ("cpu", "cuda", "mps")
MAX_HINT_CHROMA = 128.0
"""The largest |a*| or |b*| of a hint: sRGB's colors all lie within about ±110."""
_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class Capability(str, enum.Enum):
    """What a backend can do beyond a single deterministic colorization."""

    SAMPLES = "samples"
    """It makes several different colorizations of one photo (``max_samples > 1``)."""
    HINTS = "hints"
    """It uses ``options.hints`` itself. Without it, the host applies the hints to its chroma."""
    REFERENCE = "reference"
    """It uses ``options.reference`` itself. Without it, the host transfers the reference's colors."""


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
class ColorHint:
    """A user's hint: the photo has chroma ``ab`` around the point ``(x, y)``.

    ``x`` (column) and ``y`` (row) are in the full-resolution photo's pixels, counted
    from 0 at the center of the top-left pixel; fractions are allowed, and a hint lies
    in the photo when ``0 <= x <= W - 1`` and ``0 <= y <= H - 1``. ``ab`` is CIE a*, b*
    in Lab units: only the hint's chroma counts, the lightness stays the photo's.
    ``radius`` (full-resolution px, at least 0) is the disc the hint covers; a radius
    smaller than a working-size pixel still covers the nearest one.
    """

    x: float
    y: float
    ab: tuple[float, float]
    radius: float = 0.0

    def __post_init__(self) -> None:
        try:
            x, y, radius = float(self.x), float(self.y), float(self.radius)
            a, b = (float(v) for v in self.ab)
        except (TypeError, ValueError):
            raise ValueError("a hint needs numbers x, y, radius and a pair ab") from None
        if not all(math.isfinite(v) for v in (x, y, radius, a, b)):
            raise ValueError("a hint's x, y, ab and radius must be finite numbers")
        if radius < 0:
            raise ValueError(f"a hint's radius must be at least 0, not {radius:g}")
        if max(abs(a), abs(b)) > MAX_HINT_CHROMA:
            raise ValueError(f"a hint's a* and b* must be within ±{MAX_HINT_CHROMA:g}")
        for name, value in (("x", x), ("y", y), ("radius", radius), ("ab", (a, b))):
            object.__setattr__(self, name, value)

    @classmethod
    def from_srgb(cls, x: float, y: float, rgb: Sequence[float], radius: float = 0.0) -> ColorHint:
        """A hint of the chroma of the sRGB color ``rgb`` (three numbers in 0..1)."""
        from plugins.color import srgb_to_lab  # imports OpenCV: only once a color is converted

        values = np.asarray(rgb, dtype=np.float32)
        if values.shape != (3,) or not np.all((values >= 0) & (values <= 1)):
            raise ValueError("an sRGB color is three numbers in 0..1")
        lab = srgb_to_lab(values[None, None])[0, 0]
        return cls(x, y, (float(lab[1]), float(lab[2])), radius)

    @classmethod
    def from_hex(cls, x: float, y: float, color: str, radius: float = 0.0) -> ColorHint:
        """A hint of the chroma of the sRGB color ``"#rrggbb"``; ValueError for anything else."""
        if not isinstance(color, str) or not re.fullmatch(r"#[0-9a-fA-F]{6}", color):
            raise ValueError(f"a color is written #rrggbb, not {color!r}")
        rgb = [int(color[i : i + 2], 16) / 255.0 for i in (1, 3, 5)]
        return cls.from_srgb(x, y, rgb, radius)


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
    hints: tuple[ColorHint, ...] = ()
    """The user's color hints, in the order given (a later one wins where two overlap). Only a
    backend with ``Capability.HINTS`` sees them; for any other the host applies them itself."""
    reference: np.ndarray | None = field(default=None, repr=False, compare=False)
    """A photo to take colors from, as read-only Lab ``float32 (h, w, 3)`` (L* 0..100, a*, b*),
    any aspect ratio, its short side at most ``working_size``; ``None`` when there is none.
    Only a backend with ``Capability.REFERENCE`` sees it; for any other the host transfers its
    colors itself. Not part of the options' equality."""

    def __post_init__(self) -> None:
        hints = tuple(self.hints)
        if not all(isinstance(hint, ColorHint) for hint in hints):
            raise TypeError("hints must be ColorHint objects")
        object.__setattr__(self, "hints", hints)
        if self.reference is not None:
            reference = np.array(self.reference, dtype=np.float32)  # a private copy the caller cannot change
            if reference.ndim != 3 or reference.shape[2] != 3 or 0 in reference.shape:
                raise ValueError(f"a reference is Lab (h, w, 3), not {reference.shape}")
            if not np.isfinite(reference).all():
                raise ValueError("a reference must not hold NaN or infinite values")
            reference.flags.writeable = False
            object.__setattr__(self, "reference", reference)


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


# -------------------------------------------------------------------------
# Restoration (faded, noisy, scratched scans), before colorization
# -------------------------------------------------------------------------


@dataclass(frozen=True)
class RestorerInfo:
    """Everything the host needs to know about a restoration step before creating it."""

    id: str
    """Stable identifier, as for backends; used by ``tinct colorize --restore``."""
    name: str
    """Display name."""
    version: str
    license: str
    description: str = ""
    """One line for people: what the step repairs."""

    def __post_init__(self) -> None:
        if not _ID_PATTERN.match(self.id):
            raise ValueError(f"restorer id {self.id!r} must match {_ID_PATTERN.pattern}")


@dataclass(frozen=True, eq=False)
class RestoreResult:
    """What one :meth:`Restorer.restore` call returns.

    ``lightness`` is the restored L*, ``float32 (H, W)`` in ``0..100``, the shape of the input.
    ``mask`` (optional, ``bool (H, W)``) marks the pixels the step changed on purpose, e.g. the
    dust and scratches it found and filled. ``notes`` are one-line remarks for the user (what
    was measured, what was done).
    """

    lightness: np.ndarray
    mask: np.ndarray | None = None
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "notes", tuple(str(note) for note in self.notes))
