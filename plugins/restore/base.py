"""The base class every restoration step derives from."""

from __future__ import annotations

import abc
from typing import ClassVar

import numpy as np

from plugins.types import RestoreResult, RestorerInfo


class Restorer(abc.ABC):
    """A restoration step: repairs the photo's lightness before any backend sees it.

    The host creates one instance per step and calls :meth:`restore` from a worker thread,
    never concurrently on one instance. Steps run in the order the user gave them, each on
    the previous one's result; the backend and the saved photo get the last result.
    """

    info: ClassVar[RestorerInfo]

    def assess(self, lightness: np.ndarray) -> float | None:
        """Whether this photo needs the step, for ``--restore auto``: the strength to run it at
        (``0..1``), or ``None`` to leave it out. The default leaves it out: a step takes part in
        ``auto`` only when it says so. ``lightness`` is as in :meth:`restore`; be quick (measure
        on a reduced copy of a large photo)."""
        return None

    @abc.abstractmethod
    def restore(self, lightness: np.ndarray, strength: float | None) -> RestoreResult:
        """Restore one photo's lightness.

        ``lightness`` is the full-resolution L*, ``float32 (H, W)`` in ``0..100``, read-only
        (copy it to change it). ``strength`` is the user's, ``0`` (the least) to ``1`` (the
        most), or ``None``: choose it yourself from the photo. Return a :class:`RestoreResult`
        whose ``lightness`` has the input's shape; the host clips it to ``0..100``. Raise any
        exception to report failure: the host says so and goes on without this step.
        """
