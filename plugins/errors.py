"""Errors with a message meant for the user, one line each."""


class TinctError(Exception):
    """Base class: ``str(error)`` is a complete, user-facing, one-line message."""


class ImageError(TinctError):
    """A photo that cannot be read or written."""


class WeightsError(TinctError):
    """A weights file that is missing, corrupt or does not match its sha256."""


class PluginError(TinctError):
    """A plugin that failed to import, register, load or colorize, or returned garbage."""


class BackendNotFound(TinctError):
    """No installed backend has the requested id."""
