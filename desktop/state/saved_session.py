"""The session kept between starts, as JSON: the open photos and, per photo, the runs that made samples.

Samples are not stored: a backend makes the same samples for the same settings and
seed, so a run is kept as its settings (with the backend's version, to tell when
that no longer holds), the chosen and viewed sample and the brush strokes. A photo
keeps its color hints, the path of its reference photo and its restoration (the Restore panel's
settings and mask edits; each run keeps the restoration it was made with). Pure data and JSON;
no Qt. Reading is forgiving: a damaged entry is dropped alone,
and an unreadable file reads as no session.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Mapping

from desktop.state.combine import CLEAR, Stroke, StrokeHistory
from desktop.state.hints import Hint, hint_from_json
from desktop.state.restoration import RestoreSettings, restore_settings_from
from desktop.state.settings import ColorizeSettings, colorize_settings_from

FORMAT = 1
FILE_NAME = "session.json"


@dataclass(frozen=True)
class SavedRun:
    settings: ColorizeSettings
    backend_version: str = ""
    """The version of the backend that made the samples ("" if unknown)."""
    expected: int = 0
    chosen: int | None = None
    viewed: int | None = None
    """None with strokes: the combined result was on view."""
    strokes: StrokeHistory = field(default_factory=StrokeHistory)
    restoration: RestoreSettings | None = None
    """The restoration its input had; None: the photo as it is."""


@dataclass(frozen=True)
class SavedPhoto:
    path: Path
    runs: tuple[SavedRun, ...] = ()
    current_run: int | None = None
    """Index into ``runs`` of the run on view."""
    unsaved: bool = False
    """It had results that were not saved to a file."""
    hints: tuple[Hint, ...] = ()
    """The user's color hints (full-resolution px)."""
    reference: Path | None = None
    """The photo the colors were taken from."""
    restoration: RestoreSettings = field(default_factory=RestoreSettings)
    """The restoration its next runs get."""


@dataclass(frozen=True)
class SavedSession:
    photos: tuple[SavedPhoto, ...] = ()
    current_photo: int | None = None

    @property
    def run_count(self) -> int:
        return sum(len(photo.runs) for photo in self.photos)

    def summary(self) -> str:
        photos, runs = len(self.photos), self.run_count
        return f"{photos} photo{'s' if photos != 1 else ''}, {runs} run{'s' if runs != 1 else ''}"

    def without_missing(self) -> tuple["SavedSession", list[Path]]:
        """The session without the photos that no longer exist, and those photos."""
        present = [photo for photo in self.photos if photo.path.exists()]
        missing = [photo.path for photo in self.photos if not photo.path.exists()]
        current = self.photos[self.current_photo] if self.current_photo is not None else None
        position = present.index(current) if current in present else (0 if present else None)
        return SavedSession(tuple(present), position), missing


def backend_problems(session: SavedSession, versions: Mapping[str, str]) -> list[str]:
    """What cannot be restored as it was: one line per backend and photo (``versions``: id → installed version)."""
    lines = []
    for photo in session.photos:
        for run in photo.runs:
            backend = run.settings.backend_id
            if backend not in versions:
                lines.append(f"{photo.path.name}: {backend} is not installed; its samples cannot be made again")
            elif run.backend_version and versions[backend] != run.backend_version:
                lines.append(f"{photo.path.name}: {backend} is now {versions[backend]}, the samples were made with "
                             f"{run.backend_version} and may differ")
    return list(dict.fromkeys(lines))


# -- JSON -------------------------------------------------------------------------------------


def to_json(session: SavedSession) -> dict:
    return {
        "format": FORMAT,
        "current_photo": session.current_photo,
        "photos": [
            {
                "path": str(photo.path),
                "unsaved": photo.unsaved,
                "current_run": photo.current_run,
                "hints": [hint.to_json() for hint in photo.hints],
                "reference": str(photo.reference) if photo.reference is not None else None,
                "restoration": photo.restoration.to_json(),
                "runs": [
                    {
                        "settings": asdict(run.settings),
                        "backend_version": run.backend_version,
                        "expected": run.expected,
                        "chosen": run.chosen,
                        "viewed": run.viewed,
                        "strokes": [_edit_to_json(edit) for edit in run.strokes.done],
                        "undone": [_edit_to_json(edit) for edit in run.strokes.undone],
                        "restoration": run.restoration.to_json() if run.restoration is not None else None,
                    }
                    for run in photo.runs
                ],
            }
            for photo in session.photos
        ],
    }


def from_json(raw: object) -> SavedSession:
    if not isinstance(raw, dict) or raw.get("format") != FORMAT or not isinstance(raw.get("photos"), list):
        return SavedSession()
    photos = [photo for photo in map(_photo_from_json, raw["photos"]) if photo is not None]
    current = _index(raw.get("current_photo"), len(photos))
    return SavedSession(tuple(photos), current if current is not None or not photos else 0)


def write(path: Path, session: SavedSession) -> None:
    """Write atomically: a crash mid-write leaves the previous file whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    partial.write_text(json.dumps(to_json(session), indent=1), encoding="utf-8")
    os.replace(partial, path)


def read(path: Path) -> SavedSession:
    """The session in ``path``; an empty one if there is none or it cannot be read."""
    try:
        return from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return SavedSession()


def default_session_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("tinct", appauthor=False)) / FILE_NAME


# -- internals ----------------------------------------------------------------------------------


def _edit_to_json(edit) -> dict:
    if isinstance(edit, Stroke):
        return {"source": edit.source, "points": [list(p) for p in edit.points], "radius": edit.radius,
                "softness": edit.softness, "edge_aware": edit.edge_aware}
    return {"clear": True}


def _edit_from_json(raw: object):
    if not isinstance(raw, dict):
        return None
    if raw.get("clear") is True:
        return CLEAR
    source, radius, softness, points = raw.get("source"), raw.get("radius"), raw.get("softness", 0.5), raw.get("points")
    if not (_count(source) and _finite(radius) and _finite(softness) and isinstance(points, list)):
        return None
    if not all(isinstance(p, list) and len(p) == 2 and all(map(_finite, p)) for p in points):
        return None
    edge_aware = raw.get("edge_aware", True)  # sessions from before the edge-aware brush: its default
    return Stroke(source, tuple((float(x), float(y)) for x, y in points), float(radius), float(softness),
                  edge_aware=edge_aware if isinstance(edge_aware, bool) else True)


def _run_from_json(raw: object) -> SavedRun | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("settings"), dict):
        return None
    settings = colorize_settings_from(raw["settings"])
    if not settings.backend_id:
        return None
    done = [edit for edit in map(_edit_from_json, _list(raw.get("strokes"))) if edit is not None]
    undone = [edit for edit in map(_edit_from_json, _list(raw.get("undone"))) if edit is not None]
    expected = raw.get("expected")
    return SavedRun(
        settings=settings,
        backend_version=raw.get("backend_version") if isinstance(raw.get("backend_version"), str) else "",
        expected=expected if _count(expected) else settings.samples,
        chosen=raw.get("chosen") if _count(raw.get("chosen")) else None,
        viewed=raw.get("viewed") if _count(raw.get("viewed")) else None,
        strokes=StrokeHistory(tuple(done), tuple(undone)),
        restoration=_restoration(raw.get("restoration")),
    )


def _photo_from_json(raw: object) -> SavedPhoto | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("path"), str) or not raw["path"]:
        return None
    runs = tuple(run for run in map(_run_from_json, _list(raw.get("runs"))) if run is not None)
    hints = tuple(hint for hint in map(hint_from_json, _list(raw.get("hints"))) if hint is not None)
    reference = raw.get("reference")
    return SavedPhoto(Path(raw["path"]), runs, _index(raw.get("current_run"), len(runs)), raw.get("unsaved") is True,
                      hints, Path(reference) if isinstance(reference, str) and reference else None,
                      restore_settings_from(raw.get("restoration")))


def _restoration(raw: object) -> RestoreSettings | None:
    """A run's restoration from its JSON; None for none (or no step on: the photo as it was)."""
    settings = restore_settings_from(raw) if isinstance(raw, dict) else None
    return settings if settings is not None and settings.active else None


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 2**31 - 1


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _index(value, length: int) -> int | None:
    return value if _count(value) and value < length else None
