"""Tinct's plugin API and host.

This package is what a colorization backend builds on. It never imports Qt or the
desktop application. A plugin needs only these names::

    from plugins import hookimpl, Colorizer, ColorizerInfo, ColorizeOptions, Progress, Sample

See ``docs/plugin-api.md`` for a complete example.
"""

from plugins.colorizer import Colorizer
from plugins.markers import hookimpl, hookspec, PROJECT_NAME
from plugins.types import (
    Capability,
    ColorizeOptions,
    ColorizerInfo,
    Progress,
    Sample,
    WeightsFile,
)

__all__ = [
    "Capability",
    "ColorizeOptions",
    "Colorizer",
    "ColorizerInfo",
    "PROJECT_NAME",
    "Progress",
    "Sample",
    "WeightsFile",
    "hookimpl",
    "hookspec",
]
