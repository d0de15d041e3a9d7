"""Messages for the user: errors and news, with details on demand and optional actions.

An error says first, in plain words, what happened and what to do about it (``advice``);
a traceback is for a bug report, and the widgets keep it folded away (``Notice.technical``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import count
from typing import Callable

from PySide6.QtCore import QObject, Signal

from plugins.errors import BackendNotFound, ImageError, PluginError, TinctError, WeightsError

INFO, WARNING, ERROR = "info", "warning", "error"
HISTORY_LIMIT = 200
_ids = count(1)


@dataclass(frozen=True)
class NoticeAction:
    label: str
    callback: Callable[[], None]


@dataclass(eq=False)
class Notice:
    level: str
    title: str
    message: str = ""
    details: str = ""
    actions: tuple[NoticeAction, ...] = ()
    id: int = field(default_factory=lambda: next(_ids))
    advice: str = ""
    """What the user can do about it, in plain words ("" when there is nothing to say)."""

    @property
    def technical(self) -> bool:
        """Its details are a traceback: for a bug report, not for reading first."""
        return self.details.lstrip().startswith("Traceback (most recent call last)")


class Notices(QObject):
    """Every notice posted this session; the widgets show the open ones."""

    posted = Signal(object)  # Notice
    dismissed = Signal(object)  # Notice

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.history: list[Notice] = []
        self.open: list[Notice] = []

    def post(self, level: str, title: str, message: str = "", details: str = "", actions=(), advice: str = "") -> Notice:
        notice = Notice(level, title, message, details, tuple(actions), advice=advice)
        self.history = [*self.history, notice][-HISTORY_LIMIT:]
        self.open.append(notice)
        self.posted.emit(notice)
        return notice

    def info(self, title: str, message: str = "", **extra) -> Notice:
        return self.post(INFO, title, message, **extra)

    def warning(self, title: str, message: str = "", **extra) -> Notice:
        return self.post(WARNING, title, message, **extra)

    def error(self, title: str, message: str = "", **extra) -> Notice:
        return self.post(ERROR, title, message, **extra)

    def dismiss(self, notice: Notice) -> None:
        if notice in self.open:
            self.open.remove(notice)
            self.dismissed.emit(notice)


# -- what to do about an error, in plain words ----------------------------------------------------

OPEN, COLORIZE, SAVE, EXPORT, BATCH, TASK = "open", "colorize", "save", "export", "batch", "task"
_BUG = ("This looks like a bug. Try again; if it happens again, copy the technical details "
        "below into a bug report.")


def advice_for(error: BaseException, doing: str, backend: str = "") -> str:
    """What to do after ``error`` stopped ``doing`` (OPEN, COLORIZE, SAVE, EXPORT, BATCH or TASK)."""
    text = str(error).lower()
    if isinstance(error, ImageError):
        if doing in (SAVE, EXPORT):
            return _write_advice(text)
        return _read_advice(text)
    if type(error).__name__ == "GpuOutOfMemory":
        return "Retry on the CPU (slower), or choose a smaller working size, then colorize again."
    if isinstance(error, WeightsError):
        return (f"The model files of {backend or 'this backend'} are missing or damaged. "
                "See Backends ▸ Installed Backends for where they go, or choose another backend.")
    if isinstance(error, (PluginError, BackendNotFound)):
        return (f"The backend {backend + ' ' if backend else ''}failed. Try another backend, "
                "or check Backends ▸ Installed Backends.")
    if isinstance(error, TinctError):
        return ""  # its message says it all
    if doing in (COLORIZE, BATCH):
        return (f"The backend {backend + ' ' if backend else ''}stopped with an internal error. Try again or "
                "choose another backend; if it happens again, copy the technical details below into a bug report.")
    return _BUG


# What a reading or writing error's message contains → what to do, the first match wins.
_READ_ADVICE = (
    (("truncated", "corrupt"), "The file is damaged or incomplete. Check that it opens in another program; "
                               "if it was downloaded or copied, do that again."),
    (("not an image", "unsupported"), "Tinct opens PNG, JPEG, TIFF, WebP, GIF, BMP and PNM photos: save it in one of these first."),
    (("limit", "at least", "too long", ":1"),
     "Resize the photo in another program (or, for a large one, raise TINCT_MAX_PIXELS), then open it again."),
    (("permission",), "You may not read this file: check its permissions, or copy it to a folder of your own."),
    (("memory",), "Close other photos or programs to free memory, then open it again."),
    (("not found", "no such file"), "It was moved or deleted: open it from where it is now."),
)
_WRITE_ADVICE = (
    (("already exists",), "Choose another name, or confirm replacing the file when the Save dialog asks."),
    (("disk is full",), "Free some space on the disk, or save to another one."),
    (("permission", "cannot write"), "Choose a folder you can write to (your Pictures folder, for one) and save again."),
    (("jpeg cannot hold",), "Save it as PNG or TIFF instead."),
    (("overwrite the input",), "Choose another name or folder: Tinct never replaces the original."),
)


def _first_advice(text: str, table, otherwise: str) -> str:
    return next((advice for words, advice in table if any(word in text for word in words)), otherwise)


def _read_advice(text: str) -> str:
    return _first_advice(text, _READ_ADVICE, "Check that the file opens in another program.")


def _write_advice(text: str) -> str:
    return _first_advice(text, _WRITE_ADVICE, "Check the folder and the disk, then save again.")
