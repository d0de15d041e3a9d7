"""What a Turing test compares: each usable backend at its defaults, and the backend with the options set in
the window when they differ from its defaults (no Qt)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterable

from plugins.host.discovery import BackendEntry
from plugins.types import ColorizerInfo


@dataclass(frozen=True)
class Contender:
    label: str
    """What the results call it: the backend id, with its options where they are not the defaults."""
    settings: object
    """The ColorizeSettings of its colorizations (one sample each)."""


def changed_options(info: ColorizerInfo, settings) -> list[str]:
    """The settings that differ from the backend's defaults, in words: ``["temperature 0.38", "smoothing 0.5"]``."""
    words = []
    if info.has_temperature and settings.temperature is not None and settings.temperature != info.default_temperature:
        words.append(f"temperature {settings.temperature:g}")
    defaults = {option.name: option.default for option in info.params}
    for name, value in sorted(settings.params.items()):
        if name in defaults and not _same(value, defaults[name]):
            words.append(f"{name} {value:g}" if isinstance(value, float) else f"{name} {value}")
    if settings.working_size and settings.working_size != info.default_working_size:
        words.append(f"{settings.working_size} px")
    return words


def _same(value, default) -> bool:
    """Equal, for numbers within what the app's controls can set apart."""
    if isinstance(value, (int, float)) and isinstance(default, (int, float)):
        return abs(value - default) < 1e-6
    return value == default


def contenders_for(entries: Iterable[BackendEntry], current) -> list[Contender]:
    """Each backend in ``entries`` at its defaults, then ``current`` (the window's ColorizeSettings) as a
    contender of its own if its backend is among them with options changed."""
    found, current_info = [], None
    for entry in entries:
        info = entry.info
        device = current.device if current.device in info.devices else "auto"
        found.append(Contender(info.id, replace(current, backend_id=info.id, samples=1, working_size=0,
                                                temperature=None, params={}, device=device)))
        if info.id == current.backend_id:
            current_info = info
    words = changed_options(current_info, current) if current_info is not None else []
    if words:
        found.append(Contender(f"{current.backend_id} ({', '.join(words)})", replace(current, samples=1)))
    return found
