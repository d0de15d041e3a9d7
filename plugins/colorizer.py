"""The base class every colorization backend derives from."""

from __future__ import annotations

import abc
from typing import ClassVar, Iterator

import numpy as np

from plugins.types import ColorizeOptions, ColorizerInfo, Event


class Colorizer(abc.ABC):
    """A colorization backend.

    The host creates one instance per backend, calls :meth:`load` once before
    the first :meth:`colorize` (after checking every ``info.weights`` file's
    sha256) and :meth:`unload` when it is done with it. It calls ``colorize``
    from a worker thread, never from the GUI thread, and never concurrently on
    one instance.
    """

    info: ClassVar[ColorizerInfo]

    def load(self, device: str) -> None:
        """Load the weights onto ``device`` (``"cpu"``, ``"cuda"`` or ``"mps"``).

        Read weights with :func:`plugins.weights.load_state_dict`, which checks the
        sha256 and never unpickles. Raise any exception to report failure: the host
        shows its message and carries on with other backends.
        """

    def unload(self) -> None:
        """Free the weights and any device memory. The instance may be loaded again later."""

    @abc.abstractmethod
    def colorize(self, lightness: np.ndarray, options: ColorizeOptions) -> Iterator[Event]:
        """Colorize one photo.

        ``lightness`` is the photo's full-resolution L*, ``float32 (H, W)`` in
        ``0..100``, read-only (the host merges your chroma onto it; copy it to
        change it); resize it to ``options.working_size`` yourself (see
        :func:`plugins.color.fit_working_size`). Yield :class:`plugins.Progress`
        events as you go and one :class:`plugins.Sample` per sample, in order,
        ``options.samples`` of them. Each sample's ``ab`` may have any
        resolution with the photo's aspect ratio: the host resizes it.

        Every ``yield`` is a cancel point: the host stops iterating (closes the
        generator) when the user cancels, so do not hold locks across a yield.
        """
