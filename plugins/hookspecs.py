"""Every hook a Tinct plugin can implement.

A plugin is any module or object registered under the entry-point group
``tinct.colorizers`` (or ``tinct.restorers``) whose functions carry the ``@hookimpl`` marker.
"""

from __future__ import annotations

from plugins.colorizer import Colorizer
from plugins.markers import hookspec
from plugins.restore.base import Restorer

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


@hookspec
def register_restorers() -> list[type[Restorer]]:
    """Return the restoration steps this plugin provides.

    Return a list of :class:`plugins.Restorer` subclasses (classes, not instances); each
    must carry a :class:`plugins.RestorerInfo` in its ``info`` attribute with an id unique
    among installed restorers. A restorer works on the photo's lightness before any backend
    sees it (``tinct colorize --restore ID,...``). The host collects the lists of every
    plugin; return an empty list to provide nothing.

    Called once per discovery, like :func:`register_colorizers`: keep it cheap.
    """
