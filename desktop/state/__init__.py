"""The app's state, free of widgets: open photos and their runs, the combine mask, settings, notices."""

import desktop.qt_compat  # noqa: F401  (first: guards against a PySide6 6.12 bug)
from desktop.state.combine import CombineMask, Stroke
from desktop.state.notices import Notice, NoticeAction, Notices
from desktop.state.session import ColorSample, PhotoDoc, Run, Session
from desktop.state.settings import ColorizeSettings, SettingsStore

__all__ = [
    "ColorSample",
    "ColorizeSettings",
    "CombineMask",
    "Notice",
    "NoticeAction",
    "Notices",
    "PhotoDoc",
    "Run",
    "Session",
    "SettingsStore",
    "Stroke",
]
