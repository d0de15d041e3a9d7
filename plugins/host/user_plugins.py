"""The per-user plugin folder: where ``tinct plugins install`` puts third-party plugins.

It is a ``pip --target`` folder kept apart from Tinct's own environment, so removing a
plugin can never break Tinct. At discovery it goes at the *end* of ``sys.path``: a
plugin there can add modules, never shadow a package Tinct itself imports.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

PLUGIN_DIR_ENV = "TINCT_PLUGIN_DIR"
"""Names another folder to use as the user plugin folder (tests, portable installs)."""


def user_plugin_dir() -> Path:
    override = os.environ.get(PLUGIN_DIR_ENV)
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_data_dir("tinct", appauthor=False)) / "plugins"


def add_user_plugin_dir() -> Path | None:
    """Append the user plugin folder to ``sys.path`` (once) if it exists; return it then."""
    folder = user_plugin_dir()
    if not folder.is_dir():
        return None
    entry = str(folder)
    if entry not in sys.path:
        sys.path.append(entry)
        importlib.invalidate_caches()
    return folder
