"""The user's last choices: colorize settings, output format, recent files, the folder saved to last,
the size of the sample tiles and the brush, the color hints' recent colors.

Kept as JSON in the platform's config folder by the app; tests give a path under
``tmp_path`` or ``None`` (memory only), so no test ever touches the real file.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from desktop.state.combine import DEFAULT_SIZE, DEFAULT_SOFTNESS
from desktop.state.hints import HEX_COLOR, RECENT_COLORS

RECENT_LIMIT = 10
MAX_TILE_SIZE = 1000


@dataclass(frozen=True)
class ColorizeSettings:
    """Everything one colorize run needs besides the photo."""

    backend_id: str = ""
    samples: int = 4
    seed: int = 0
    working_size: int = 0
    """Short side in px; 0 means the backend's own default."""
    device: str = "auto"
    temperature: float | None = None
    """None means the backend's default."""
    params: dict[str, float | int | str] = field(default_factory=dict)
    """The backend's own options: numbers, whole numbers and choices (strings)."""

    def with_changes(self, **changes) -> "ColorizeSettings":
        return replace(self, **changes)


@dataclass
class StoredState:
    colorize: ColorizeSettings = field(default_factory=ColorizeSettings)
    output_format: str = "png"
    recent_files: list[str] = field(default_factory=list)
    last_folder: str = ""
    last_save_folder: str = ""
    """Where the last result was saved: the next Save As starts there."""
    tile_size: int = 0
    """The sample tiles' width in px; 0 (or one below what fits) shows every sample without scrolling."""
    brush_size: int = DEFAULT_SIZE
    """1..100, see ``desktop.state.combine.size_to_radius``."""
    brush_softness: int = round(DEFAULT_SOFTNESS * 100)
    brush_snap: bool = True
    """Edge-aware strokes ("Snap to edges")."""
    recent_colors: list[str] = field(default_factory=list)
    """The color hints' colors used last, ``#rrggbb``, the latest first."""


def _typed(raw: dict, name: str, kind: type | tuple[type, ...], default):
    """``raw[name]`` if it is a ``kind`` (a JSON true/false never counts as a number), else ``default``."""
    value = raw.get(name, default)
    if isinstance(value, bool) and kind is not bool:
        return default
    return value if isinstance(value, kind) else default


def _count(raw: dict, name: str, default: int) -> int:
    """A non-negative int that a Qt spin box can hold, else ``default`` (a larger one would raise in Qt)."""
    value = _typed(raw, name, int, default)
    return value if 0 <= value <= 2**31 - 1 else default


def _ranged(raw: dict, name: str, low: int, high: int, default: int) -> int:
    value = _typed(raw, name, int, default)
    return value if low <= value <= high else default


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def colorize_settings_from(raw: object) -> ColorizeSettings:
    """ColorizeSettings from stored JSON, each field that is missing or of the wrong type at its default."""
    if not isinstance(raw, dict):
        return ColorizeSettings()
    default = ColorizeSettings()
    temperature, params = raw.get("temperature"), raw.get("params")
    return ColorizeSettings(
        backend_id=_typed(raw, "backend_id", str, default.backend_id),
        samples=_count(raw, "samples", default.samples),
        seed=_count(raw, "seed", default.seed),
        working_size=_count(raw, "working_size", default.working_size),
        device=_typed(raw, "device", str, default.device),
        temperature=float(temperature) if _finite(temperature) else None,
        params={str(k): v for k, v in params.items() if _finite(v) or isinstance(v, str)}
        if isinstance(params, dict) else {},
    )


def _recent_colors(raw: object) -> list[str]:
    colors = [c.lower() for c in raw if isinstance(c, str) and HEX_COLOR.match(c.lower())] if isinstance(raw, list) else []
    return list(dict.fromkeys(colors))[:RECENT_COLORS]


def default_settings_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir("tinct", appauthor=False)) / "gui.json"


class SettingsStore:
    """Loads once, saves on request; ``path=None`` keeps everything in memory."""

    def __init__(self, path: Path | None):
        self.path = path
        self.state = self._load()

    def _load(self) -> StoredState:
        if self.path is None or not self.path.exists():
            return StoredState()
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return StoredState()  # an unreadable settings file must never stop the app
        if not isinstance(raw, dict):
            return StoredState()
        # Field by field: a value of the wrong type (a hand-edited file, another version) falls back alone.
        recent = raw.get("recent_files")
        return StoredState(
            colorize=colorize_settings_from(raw.get("colorize")),
            output_format=_typed(raw, "output_format", str, "png"),
            recent_files=[p for p in recent if isinstance(p, str)][:RECENT_LIMIT] if isinstance(recent, list) else [],
            last_folder=_typed(raw, "last_folder", str, ""),
            last_save_folder=_typed(raw, "last_save_folder", str, ""),
            tile_size=_ranged(raw, "tile_size", 0, MAX_TILE_SIZE, 0),
            brush_size=_ranged(raw, "brush_size", 1, 100, DEFAULT_SIZE),
            brush_softness=_ranged(raw, "brush_softness", 0, 100, round(DEFAULT_SOFTNESS * 100)),
            brush_snap=_typed(raw, "brush_snap", bool, True),
            recent_colors=_recent_colors(raw.get("recent_colors")),
        )

    def save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(self.path.name + ".tmp")
        temporary.write_text(json.dumps(asdict(self.state), indent=2), encoding="utf-8")
        os.replace(temporary, self.path)

    @property
    def colorize(self) -> ColorizeSettings:
        return self.state.colorize

    def set_colorize(self, settings: ColorizeSettings) -> None:
        self.state.colorize = settings

    def add_recent(self, path: str | os.PathLike[str]) -> None:
        text = str(Path(path).resolve())
        recent = [p for p in self.state.recent_files if p != text]
        self.state.recent_files = [text, *recent][:RECENT_LIMIT]
        self.state.last_folder = str(Path(text).parent)

    def forget_missing(self) -> None:
        """Drop recent files that were deleted or moved since."""
        self.state.recent_files = [p for p in self.state.recent_files if Path(p).exists()]

    def clear_recent(self) -> None:
        self.state.recent_files = []
