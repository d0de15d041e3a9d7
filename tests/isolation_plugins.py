"""Plugins that misbehave in ways only a worker process survives (tests/test_isolation.py).

Importable by name, so that a worker process can find their classes. Each has an integer option
that switches the misbehaviour on (1) or off (0): with it off, the backend works.
"""

from __future__ import annotations

import os
import time

import numpy as np

from plugins import BackendOption, Colorizer, ColorizerInfo, Progress, Sample, hookimpl
from plugins.color import fit_working_size
from plugins.errors import TinctError


def flat(lightness: np.ndarray, options, a: float = 12.0, b: float = 24.0) -> np.ndarray:
    small = fit_working_size(lightness, options.working_size)
    ab = np.empty(small.shape + (2,), np.float32)
    ab[...] = (a, b)
    return ab


class Sleeper(Colorizer):
    """With ``hang=1``, colorize never yields again after its first progress event."""

    info = ColorizerInfo(id="sleeper", name="Sleeper", version="1", license="MIT",
                         params=(BackendOption.integer("hang", "Hang", 1, 0, 1),))

    def colorize(self, lightness, options):
        yield Progress(0.1, "about to sleep")
        if options.params["hang"]:
            time.sleep(3600)
        yield Sample(0, flat(lightness, options))


class Aborter(Colorizer):
    """With ``crash=1``, colorize ends its process the way a segfaulting extension does."""

    info = ColorizerInfo(id="aborter", name="Aborter", version="1", license="MIT",
                         params=(BackendOption.integer("crash", "Crash", 1, 0, 1),))

    def load(self, device):
        self.pid = os.getpid()

    def colorize(self, lightness, options):
        yield Progress(0.5, f"running in {self.pid}")
        if options.params["crash"]:
            os.abort()
        yield Sample(0, flat(lightness, options, -20.0, 10.0))


class Polite(Colorizer):
    """Works, and tells the user why it cannot when asked for the impossible (a TinctError)."""

    info = ColorizerInfo(id="polite", name="Polite", version="1", license="MIT",
                         params=(BackendOption.integer("refuse", "Refuse", 0, 0, 1),))

    def colorize(self, lightness, options):
        yield Progress(0.5)
        if options.params["refuse"]:
            raise TinctError("polite needs a photo of at least 2 megapixels")
        yield Sample(0, flat(lightness, options, 5.0, 5.0))


class SlowLoader(Colorizer):
    """load never returns."""

    info = ColorizerInfo(id="slowloader", name="Slow loader", version="1", license="MIT")

    def load(self, device):
        time.sleep(3600)

    def colorize(self, lightness, options):
        yield Sample(0, flat(lightness, options))


@hookimpl
def register_colorizers():
    return [Sleeper, Aborter, Polite, SlowLoader]
