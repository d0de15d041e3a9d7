"""The user's last choices: colorize settings, output format and recent files.

Kept as JSON in the platform's config folder by the app; tests give a path under
``tmp_path`` or ``None`` (memory only), so no test ever touches the real file.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

RECENT_LIMIT = 10


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
    params: dict[str, float] = field(default_factory=dict)

    def with_changes(self, **changes) -> "ColorizeSettings":
        return replace(self, **changes)


@dataclass
class StoredState:
    colorize: ColorizeSettings = field(default_factory=ColorizeSettings)
    output_format: str = "png"
    recent_files: list[str] = field(default_factory=list)
    last_folder: str = ""


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
            colorize = ColorizeSettings(**raw.get("colorize", {}))
            return StoredState(
                colorize=colorize,
                output_format=str(raw.get("output_format", "png")),
                recent_files=[str(p) for p in raw.get("recent_files", [])][:RECENT_LIMIT],
                last_folder=str(raw.get("last_folder", "")),
            )
        except (OSError, ValueError, TypeError):
            return StoredState()  # an unreadable settings file must never stop the app

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

    def clear_recent(self) -> None:
        self.state.recent_files = []
