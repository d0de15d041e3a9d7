"""The façade the app, the command line and training's evaluation call: never ``pm.hook.*``."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterable

from plugins.errors import BackendNotFound, TinctError, WeightsError
from plugins.host.discovery import BackendEntry, PluginFailure, RestorerEntry, collect_restorers, discover
from plugins.host.isolation import IsolationPolicy, RemoteColorizer
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
                 restorers: list[RestorerEntry] | None = None, isolation: IsolationPolicy | None = None):
        self.backends = backends
        self.failures = list(failures)
        self.restorers = list(restorers or [])
        """The restoration steps found (``tinct.restorers``), see :mod:`plugins.host.restoration`."""
        self.switched_off: list[BackendEntry] = []
        """Backends found but left out: switched off in the Plugins view or by ``TINCT_DISABLE_PLUGINS``."""
        self.isolation = isolation or IsolationPolicy.from_environment()
        """Which backends run in a worker process (:mod:`plugins.host.isolation`)."""
        self._loaded: dict[str, LoadedBackend] = {}

    @classmethod
    def discover(cls, extra_plugins: Iterable[object] = (), *, entry_points: bool = True,
                 isolation: IsolationPolicy | None = None) -> "PluginHost":
        """Load the ``tinct.colorizers`` and ``tinct.restorers`` entry points (unless disabled) and ``extra_plugins``.

        ``isolation`` defaults to ``TINCT_ISOLATION`` and ``TINCT_PLUGIN_TIMEOUT`` (third-party backends in a
        worker process, 300 s)."""
        switched_off: list[BackendEntry] = []
        pm, backends, failures = discover(extra_plugins, entry_points=entry_points, left_out=switched_off)
        restorers, restorer_failures = collect_restorers(pm)
        host = cls(backends, failures + restorer_failures, restorers, isolation)
        host.switched_off = switched_off
        return host

    def isolated(self, backend_id: str) -> bool:
        """Whether the backend runs in a worker process."""
        return self.isolation.isolates(self.get(backend_id))

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
        backend = self._loaded.get(backend_id) or self._new_backend(self.get(backend_id))
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

    def _new_backend(self, entry: BackendEntry) -> LoadedBackend:
        if not self.isolation.isolates(entry):
            return LoadedBackend(entry)

        def report(stage: str, message: str) -> None:
            failure = PluginFailure(entry.info.id, entry.distribution, stage, message)
            if failure not in self.failures:
                self.failures.append(failure)

        return LoadedBackend(entry, lambda: RemoteColorizer(entry, self.isolation, report))

    def interrupt(self, backend_id: str) -> bool:
        """End the worker process of a backend that runs in one (from any thread), for a cancelled run
        that does not stop; the run fails at once. False when the backend runs in-process or idles."""
        backend = self._loaded.get(backend_id)
        instance = backend.instance if backend is not None else None
        return isinstance(instance, RemoteColorizer) and instance.interrupt()

    def unload_all(self) -> None:
        for backend in self._loaded.values():
            backend.unload()
        self._loaded.clear()
