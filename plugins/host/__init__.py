"""The host: discovers backends, runs them, and turns their chroma into full-resolution photos."""

from plugins.host.discovery import BackendEntry, PluginFailure, make_plugin_manager
from plugins.host.host import PluginHost, WeightsStatus
from plugins.host.runner import LoadedBackend, build_options

__all__ = [
    "BackendEntry",
    "LoadedBackend",
    "PluginFailure",
    "PluginHost",
    "WeightsStatus",
    "build_options",
    "make_plugin_manager",
]
