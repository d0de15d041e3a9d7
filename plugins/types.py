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

API_VERSION = (1, 2)
"""The plugin API's version, ``(major, minor)``. The minor number grows when the API gains
something a backend may use (backends written for an older minor version keep working);
the major number when something a backend relies on changes. 1.0: the first published API.
1.1: :class:`ColorHint`, ``ColorizeOptions.hints`` and ``ColorizeOptions.reference``
(``Capability.HINTS`` and ``Capability.REFERENCE`` are no longer reserved). 1.2: integer and choice
options (:class:`OptionKind`, ``BackendOption.integer`` and ``BackendOption.choice``)."""

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


class OptionKind(str, enum.Enum):
    """What values a :class:`BackendOption` takes, and so which control the app shows for it."""

    NUMBER = "number"
    """Any number from ``minimum`` to ``maximum`` (a slider with a spin box); the value is a ``float``."""
    INTEGER = "integer"
    """A whole number from ``minimum`` to ``maximum`` (a spin box); the value is an ``int``."""
    CHOICE = "choice"
    """One of the strings in ``choices`` (a drop-down list); the value is that ``str``."""


OptionValue = Union[float, int, str]
_OPTION_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class BackendOption:
    """An option a backend exposes beyond the common ones (e.g. diversity, a palette).

    Three kinds (:class:`OptionKind`): a number in ``minimum..maximum`` (the default, made by
    ``BackendOption(name, label, default, minimum, maximum, help)``), a whole number
    (:meth:`integer`) or one of a few named choices (:meth:`choice`). The app shows a slider,
    a spin box or a drop-down list; ``tinct colorize --param NAME=VALUE`` sets it. Its value
    reaches :meth:`Colorizer.colorize` in ``options.params[name]`` as a ``float``, an ``int``
    or a ``str``: the default, or the user's value (a number clamped to ``minimum..maximum``).
    """

    name: str
    """Letters, digits, ``_`` and ``-``, starting with a letter or ``_``: what ``--param`` takes."""
    label: str
    default: OptionValue
    minimum: float | None = None
    maximum: float | None = None
    help: str = ""
    kind: OptionKind = OptionKind.NUMBER
    choices: tuple[str, ...] = ()
    """The values of a choice option, in the order the app lists them."""

    @classmethod
    def integer(cls, name: str, label: str, default: int, minimum: int, maximum: int, help: str = "") -> BackendOption:
        """A whole-number option, shown as a spin box."""
        return cls(name, label, default, minimum, maximum, help, OptionKind.INTEGER)

    @classmethod
    def choice(cls, name: str, label: str, default: str, choices: Sequence[str], help: str = "") -> BackendOption:
        """An option that is one of ``choices`` (strings), shown as a drop-down list."""
        return cls(name, label, default, None, None, help, OptionKind.CHOICE, tuple(choices))

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _OPTION_NAME.match(self.name):
            raise ValueError(f"option name {self.name!r} must match {_OPTION_NAME.pattern}")
        try:
            kind = OptionKind(self.kind)
        except ValueError:
            raise ValueError(f"option {self.name}: kind must be one of {[k.value for k in OptionKind]}") from None
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "choices", tuple(self.choices))
        if kind is OptionKind.CHOICE:
            self._check_choices()
            return
        if self.choices:
            raise ValueError(f"option {self.name}: only a choice option has choices")
        if not all(_is_number(v) for v in (self.default, self.minimum, self.maximum)):
            raise ValueError(f"option {self.name}: default, minimum and maximum must be finite numbers")
        if kind is OptionKind.INTEGER and not all(float(v).is_integer() for v in (self.default, self.minimum, self.maximum)):
            raise ValueError(f"option {self.name}: an integer option's default, minimum and maximum are whole numbers")
        if not self.minimum <= self.default <= self.maximum:
            raise ValueError(f"option {self.name}: default outside [minimum, maximum]")
        convert = int if kind is OptionKind.INTEGER else float
        for attribute in ("default", "minimum", "maximum"):
            object.__setattr__(self, attribute, convert(getattr(self, attribute)))

    def _check_choices(self) -> None:
        if not self.choices or not all(isinstance(c, str) and c.strip() for c in self.choices):
            raise ValueError(f"option {self.name}: a choice option needs one or more non-empty strings in choices")
        if len(set(self.choices)) != len(self.choices):
            raise ValueError(f"option {self.name}: its choices must differ from one another")
        if self.default not in self.choices:
            raise ValueError(f"option {self.name}: default {self.default!r} is not one of its choices")
        if self.minimum is not None or self.maximum is not None:
            raise ValueError(f"option {self.name}: a choice option has no minimum or maximum")

    def value_of(self, value: object) -> OptionValue:
        """The value the backend gets for ``value`` (a number, or text as typed on a command line):
        a number clamped to ``minimum..maximum``; ValueError, in words, for one that cannot be."""
        if self.kind is OptionKind.CHOICE:
            if value not in self.choices:
                raise ValueError(f"option {self.name} is one of {', '.join(self.choices)}, not {value!r}")
            return str(value)
        number = value
        if isinstance(value, str):
            try:
                number = float(value.strip())
            except ValueError:
                number = None
        if not _is_number(number):
            raise ValueError(f"option {self.name} is a number from {self.minimum:g} to {self.maximum:g}, not {value!r}")
        if self.kind is OptionKind.INTEGER:
            if not float(number).is_integer():
                raise ValueError(f"option {self.name} is a whole number from {self.minimum:g} to {self.maximum:g}, "
                                 f"not {value!r}")
            return int(min(max(int(number), self.minimum), self.maximum))
        return float(min(max(float(number), self.minimum), self.maximum))


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
    """The most samples one call of ``colorize`` can make. Only a backend with ``Capability.SAMPLES``
    is ever asked for more than one (see :attr:`sample_limit`)."""
    capabilities: frozenset[Capability] = frozenset()
    """A set (any iterable) of :class:`Capability` members or their names, or a single one."""
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
        capabilities = self.capabilities
        if isinstance(capabilities, str):  # one Capability (a str enum) or its name, not its letters
            capabilities = (capabilities,)
        try:
            object.__setattr__(self, "capabilities", frozenset(Capability(c) for c in capabilities))
        except (TypeError, ValueError):
            names = ", ".join(f"Capability.{c.name}" for c in Capability)
            raise ValueError(f"backend {self.id}: capabilities must be a set of {names}, "
                             f"not {self.capabilities!r}") from None
        object.__setattr__(self, "weights", tuple(self.weights))
        object.__setattr__(self, "params", tuple(self.params))
        if not all(isinstance(option, BackendOption) for option in self.params):
            raise ValueError(f"backend {self.id}: params must be BackendOption entries")
        names = [option.name for option in self.params]
        if len(set(names)) != len(names):
            raise ValueError(f"backend {self.id}: two options have the same name")

    @property
    def sample_limit(self) -> int:
        """The most samples the host asks for in one call: ``max_samples`` for a backend with
        ``Capability.SAMPLES``, 1 for any other."""
        return self.max_samples if Capability.SAMPLES in self.capabilities else 1


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
    params: Mapping[str, OptionValue] = field(default_factory=dict)
    """Values of the backend's own :class:`BackendOption` entries, by name: a ``float`` for a number
    option, an ``int`` for an integer option, a ``str`` for a choice option."""
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
