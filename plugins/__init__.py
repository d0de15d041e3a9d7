"""Tinct's plugin API and host.

This package is what a colorization backend builds on. It never imports Qt or the
desktop application. A plugin needs only these names::

    from plugins import hookimpl, Colorizer, ColorizerInfo, ColorizeOptions, Progress, Sample

and, for a backend's own options (numbers, whole numbers, choices), weights and capabilities,
``BackendOption`` (with ``OptionKind``), ``WeightsFile`` and ``Capability``; ``ColorHint`` for the user's color hints a backend
with ``Capability.HINTS`` receives. A restoration step (run on the lightness before any
backend) needs ``Restorer``, ``RestorerInfo`` and ``RestoreResult``. ``API_VERSION`` is the API's ``(major, minor)`` version.

See ``docs/plugin-api.md`` for a complete example.
"""

from plugins.colorizer import Colorizer
from plugins.markers import hookimpl
from plugins.restore.base import Restorer
from plugins.types import (
    API_VERSION,
    BackendOption,
    Capability,
    ColorHint,
    ColorizeOptions,
    ColorizerInfo,
    OptionKind,
    Progress,
    RestoreResult,
    RestorerInfo,
    Sample,
    WeightsFile,
)

__all__ = [
    "API_VERSION",
    "BackendOption",
    "Capability",
    "ColorHint",
    "ColorizeOptions",
    "Colorizer",
    "ColorizerInfo",
    "OptionKind",
    "Progress",
    "RestoreResult",
    "Restorer",
    "RestorerInfo",
    "Sample",
    "WeightsFile",
    "hookimpl",
]
