"""The backends the user switched off (the Plugins view's "enabled" switch), kept between starts.

A JSON file, ``{"disabled": [backend ids]}``, in the user's config folder. Discovery still imports
their plugins and lists them (``PluginHost.switched_off``, so that they can be switched on again) but
leaves them out of the backends, in the app and on the command line alike. ``TINCT_PLUGIN_SWITCHES``
names another file (``os.devnull``: none).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

SWITCHES_ENV = "TINCT_PLUGIN_SWITCHES"


def switches_path() -> Path:
    override = os.environ.get(SWITCHES_ENV)
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_config_dir("tinct", appauthor=False)) / "plugins.json"


def switched_off() -> frozenset[str]:
    """The backend ids switched off; none when the file is missing or unreadable (it never stops discovery)."""
    try:
        names = json.loads(switches_path().read_text()).get("disabled", [])
    except (OSError, ValueError, AttributeError):
        return frozenset()
    return frozenset(name for name in names if isinstance(name, str) and name) if isinstance(names, list) else frozenset()


def set_enabled(name: str, enabled: bool) -> None:
    """Switch the backend ``name`` (its id) on or off for every later discovery; the file is replaced atomically."""
    names = set(switched_off())
    names.discard(name) if enabled else names.add(name)
    path = switches_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    part.write_text(json.dumps({"disabled": sorted(names)}, indent=2))
    os.replace(part, path)
