"""Messages for the user: errors and news, with details on demand and optional actions."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import count
from typing import Callable

from PySide6.QtCore import QObject, Signal

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


class Notices(QObject):
    """Every notice posted this session; the widgets show the open ones."""

    posted = Signal(object)  # Notice
    dismissed = Signal(object)  # Notice

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.history: list[Notice] = []
        self.open: list[Notice] = []

    def post(self, level: str, title: str, message: str = "", details: str = "", actions=()) -> Notice:
        notice = Notice(level, title, message, details, tuple(actions))
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
