"""Every hook a Tinct plugin can implement.

A plugin is any module or object registered under the entry-point group
``tinct.colorizers`` whose functions carry the ``@hookimpl`` marker.
"""

from __future__ import annotations

from plugins.colorizer import Colorizer
from plugins.markers import hookspec

# -------------------------------------------------------------------------
# Registration
# -------------------------------------------------------------------------


@hookspec
def register_colorizers() -> list[type[Colorizer]]:
    """Return the colorization backends this plugin provides.

    Return a list of :class:`plugins.Colorizer` subclasses (classes, not
    instances); each must carry a :class:`plugins.ColorizerInfo` in its ``info``
    attribute with an id unique among installed plugins. The host collects the
    lists of every plugin. Return an empty list to provide nothing, for example
    when an optional dependency is missing.

    The host calls this once per discovery, before any backend is loaded, so
    it must be cheap: do not load weights or import heavy libraries here.
    """
