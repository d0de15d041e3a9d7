"""The one error type of the video pipeline."""

from plugins.errors import TinctError


class VideoError(TinctError):
    """A clip that cannot be read, or a result that cannot be written: ``str()`` is one line for the user."""
