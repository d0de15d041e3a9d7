"""The pluggy markers. A plugin may also make its own with ``pluggy.HookimplMarker("tinct")``."""

import pluggy

PROJECT_NAME = "tinct"
ENTRY_POINT_GROUP = "tinct.colorizers"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
