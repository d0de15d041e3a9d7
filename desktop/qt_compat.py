"""A guard against a reference-count bug in PySide6 6.12.0 on Python 3.11.

In that release ``SignalInstance.emit`` and ``.connect`` return ``True`` without
taking a reference to it, so every call steals one reference from ``True``.
After a few thousand signals ``True``'s count reaches zero and the interpreter
aborts ("bool_dealloc: deallocating True or False"). Python 3.12 made the
singletons immortal, which hides the bug there; this does the same by hand on
3.11: it raises the counts of ``True``, ``False`` and ``None`` so far that no
amount of stealing brings them to zero. These objects are static and are never
freed anyway, so nothing else changes. Imported, before any signal is used, by
every desktop module that uses Qt signals.
"""

from __future__ import annotations

import ctypes
import sys

import PySide6

_HEADROOM = 1 << 40


def _needs_guard() -> bool:
    return sys.version_info < (3, 12) and tuple(PySide6.__version_info__[:2]) >= (6, 12)


def _immortalize(obj: object) -> None:
    # ob_refcnt is the first field of every object in a release build of CPython 3.11.
    count = ctypes.c_ssize_t.from_address(id(obj))
    if count.value < _HEADROOM // 2:
        count.value += _HEADROOM


GUARDED = _needs_guard()
if GUARDED:
    for _singleton in (True, False, None):
        _immortalize(_singleton)
