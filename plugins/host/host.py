"""The façade the app, the command line and training's evaluation call: never ``pm.hook.*``."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterable

from plugins.errors import BackendNotFound, TinctError, WeightsError
from plugins.host.discovery import BackendEntry, PluginFailure, RestorerEntry, collect_restorers, discover
from plugins.host.runner import LoadedBackend
from plugins.weights import verify

DEFAULT_BACKEND_ENV = "TINCT_BACKEND"
PREFERRED_DEFAULTS = ("regression", "cic", "pixcolor")
"""Built-in backends in order of preference when the user names none."""


@dataclass(frozen=True)
class WeightsStatus:
    state: str  # "verified", "none needed", "missing" or "mismatch"
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.state in ("verified", "none needed")


class PluginHost:
    """Discovered backends, their failures, and loaded instances.

    Build it with :meth:`discover`; nothing is discovered at import time.
    """

    def __init__(self, backends: list[BackendEntry], failures: list[PluginFailure],
                 restorers: list[RestorerEntry] | None = None):
        self.backends = backends
        self.failures = list(failures)
        self.restorers = list(restorers or [])
        """The restoration steps found (``tinct.restorers``), see :mod:`plugins.host.restoration`."""
        self._loaded: dict[str, LoadedBackend] = {}

    @classmethod
    def discover(cls, extra_plugins: Iterable[object] = (), *, entry_points: bool = True) -> "PluginHost":
        """Load the ``tinct.colorizers`` and ``tinct.restorers`` entry points (unless disabled) and ``extra_plugins``."""
        pm, backends, failures = discover(extra_plugins, entry_points=entry_points)
        restorers, restorer_failures = collect_restorers(pm)
        return cls(backends, failures + restorer_failures, restorers)

    def restorer_ids(self) -> list[str]:
        return [entry.info.id for entry in self.restorers]

    def ids(self) -> list[str]:
        return [entry.info.id for entry in self.backends]

    def get(self, backend_id: str) -> BackendEntry:
        for entry in self.backends:
            if entry.info.id == backend_id:
                return entry
        broken = [f for f in self.failures if f.name == backend_id]
        if broken:
            raise BackendNotFound(f"backend {backend_id} is broken: {broken[0].message}")
        known = ", ".join(self.ids()) or "none"
        raise BackendNotFound(f"no backend {backend_id!r} is installed (installed: {known})")

    def default_backend(self, from_environment: bool = True) -> BackendEntry:
        """``$TINCT_BACKEND`` (unless ``from_environment`` is False), else the first preferred
        built-in present, else the first found."""
        chosen = os.environ.get(DEFAULT_BACKEND_ENV) if from_environment else None
        if chosen:
            return self.get(chosen)
        if not self.backends:
            raise BackendNotFound("no colorization backend is installed (see 'tinct plugins list')")
        for backend_id in PREFERRED_DEFAULTS:
            if backend_id in self.ids():
                return self.get(backend_id)
        return self.backends[0]

    def weights_status(self, entry: BackendEntry) -> WeightsStatus:
        if not entry.info.weights:
            return WeightsStatus("none needed")
        for file in entry.info.weights:
            try:
                verify(file)
            except WeightsError as error:
                state = "missing" if not file.path.exists() else "mismatch"
                return WeightsStatus(state, str(error))
        return WeightsStatus("verified")

    def loaded(self, backend_id: str, device: str = "auto") -> LoadedBackend:
        """The backend, loaded onto ``device``; a load failure is recorded and raised."""
        backend = self._loaded.get(backend_id) or LoadedBackend(self.get(backend_id))
        self._loaded[backend_id] = backend
        try:
            backend.ensure_loaded(device)
        except TinctError as error:
            entry = backend.entry
            failure = PluginFailure(backend_id, entry.distribution, "load", str(error))
            if failure not in self.failures:
                self.failures.append(failure)
            raise
        return backend

    def unload_all(self) -> None:
        for backend in self._loaded.values():
            backend.unload()
        self._loaded.clear()
