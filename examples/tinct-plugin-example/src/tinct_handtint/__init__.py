"""A Tinct plugin: colorizes a black-and-white photo the way hand-tinted postcards were.

Tinct finds it through the entry point in pyproject.toml (group ``tinct.colorizers``), which
names this module; the module's ``register_colorizers`` hook returns the backend class.
"""

from plugins import hookimpl

from tinct_handtint.colorizer import HandTint

__all__ = ["HandTint", "register_colorizers"]


@hookimpl
def register_colorizers():
    # Called at every discovery, before anything is loaded: return the class, load nothing here.
    return [HandTint]
