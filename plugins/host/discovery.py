"""Finding plugins: the plugin-manager factory and entry-point loading.

Discovery never raises because of a plugin. A plugin that fails to import or
to register is recorded as a :class:`PluginFailure` and the others go on.
"""

from __future__ import annotations

import importlib.metadata
import itertools
import os
from dataclasses import dataclass
from typing import Iterable

import pluggy

from plugins import hookspecs
from plugins.colorizer import Colorizer
from plugins.markers import ENTRY_POINT_GROUP, PROJECT_NAME
from plugins.types import ColorizerInfo

DISABLE_ENV = "TINCT_DISABLE_PLUGINS"
"""Comma-separated names of entry points (plugins) or backend ids to leave out."""


@dataclass(frozen=True)
class PluginFailure:
    """A plugin or backend that could not be used, and why."""

    name: str
    distribution: str
    stage: str  # "import", "register" or "load"
    message: str


@dataclass(frozen=True)
class BackendEntry:
    """A discovered backend class and where it came from."""

    cls: type[Colorizer]
    plugin: str
    distribution: str

    @property
    def info(self) -> ColorizerInfo:
        return self.cls.info


def disabled_names(environ: os._Environ[str] | dict[str, str] = os.environ) -> frozenset[str]:
    raw = environ.get(DISABLE_ENV, "")
    return frozenset(name.strip() for name in raw.split(",") if name.strip())


def make_plugin_manager() -> pluggy.PluginManager:
    """A fresh manager that knows Tinct's hooks and nothing else."""
    pm = pluggy.PluginManager(PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    return pm


PLUGIN_FAILURES = (Exception, SystemExit)
"""What a plugin's code may raise and still fail only itself: a ``sys.exit()`` in a plugin must not end the app
(a KeyboardInterrupt is the user's Ctrl-C, and goes through)."""


def describe(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    first = text[0] if text else ""
    return f"{type(error).__name__}: {first}" if first else type(error).__name__


def load_entry_points(
    pm: pluggy.PluginManager, disabled: frozenset[str], group: str = ENTRY_POINT_GROUP
) -> tuple[dict[str, str], list[PluginFailure]]:
    """Import and register every entry point in ``group``, each in isolation.

    Returns the distribution name of each registered plugin, and the failures.
    """
    origins: dict[str, str] = {}
    failures: list[PluginFailure] = []
    seen: dict[str, str] = {}  # entry-point name → its distribution
    # Tinct's own backends first: where ids clash the first one registered keeps the id, and a
    # stranger's plugin must not take over "cic" or "regression" by sorting earlier on sys.path.
    found = sorted(importlib.metadata.entry_points(group=group),
                   key=lambda ep: ep.dist is None or ep.dist.name != PROJECT_NAME)
    for entry_point in found:
        distribution = entry_point.dist.name if entry_point.dist else "?"
        if entry_point.name in seen:
            if seen[entry_point.name] != distribution:  # not just one distribution found twice on sys.path
                failures.append(PluginFailure(entry_point.name, distribution, "import",
                                              f"the name {entry_point.name!r} is taken by {seen[entry_point.name]}"))
            continue
        seen[entry_point.name] = distribution
        if entry_point.name in disabled:
            pm.set_blocked(entry_point.name)
            continue
        try:
            plugin = entry_point.load()
        except PLUGIN_FAILURES as error:
            failures.append(PluginFailure(entry_point.name, distribution, "import", describe(error)))
            continue
        try:
            pm.register(plugin, name=entry_point.name)
        except PLUGIN_FAILURES as error:
            failures.append(PluginFailure(entry_point.name, distribution, "register", describe(error)))
            continue
        origins[entry_point.name] = distribution
    failures += _unregister_pending(pm, origins)
    return origins, failures


def _unregister_pending(pm: pluggy.PluginManager, origins: dict[str, str]) -> list[PluginFailure]:
    """Drop each plugin that implements a hook Tinct does not have (usually a typo)."""
    failures = []
    while True:
        try:
            pm.check_pending()
            return failures
        except pluggy.PluginValidationError as error:
            name = pm.get_name(error.plugin) or "?"
            message = str(error).split(" in plugin ")[0]  # pluggy appends the module's repr
            failures.append(PluginFailure(name, origins.pop(name, "?"), "register", message))
            pm.unregister(plugin=error.plugin)


def collect_backends(
    pm: pluggy.PluginManager, origins: dict[str, str], disabled: frozenset[str]
) -> tuple[list[BackendEntry], list[PluginFailure]]:
    """Call every plugin's ``register_colorizers`` separately and check what it returns."""
    backends: list[BackendEntry] = []
    failures: list[PluginFailure] = []
    ids: set[str] = set()
    for impl in pm.hook.register_colorizers.get_hookimpls():
        name = impl.plugin_name
        distribution = origins.get(name, "(registered directly)")
        try:
            returned = impl.function()
            classes = list(itertools.chain(returned or ()))
        except PLUGIN_FAILURES as error:
            failures.append(PluginFailure(name, distribution, "register", describe(error)))
            continue
        for cls in classes:
            problem = _check_backend_class(cls)
            if problem is None and cls.info.id in ids:
                problem = f"backend id {cls.info.id!r} is already taken by another plugin"
            if problem:
                failures.append(PluginFailure(name, distribution, "register", problem))
                continue
            if cls.info.id in disabled:
                continue
            ids.add(cls.info.id)
            backends.append(BackendEntry(cls, name, distribution))
    return backends, failures


def _check_backend_class(cls: object) -> str | None:
    if not (isinstance(cls, type) and issubclass(cls, Colorizer)):
        return f"register_colorizers returned {cls!r}, not a Colorizer subclass"
    if not isinstance(getattr(cls, "info", None), ColorizerInfo):
        return f"{cls.__name__} has no ColorizerInfo in its 'info' attribute"
    if getattr(cls, "__abstractmethods__", None):
        missing = ", ".join(sorted(cls.__abstractmethods__))
        return f"{cls.__name__} does not implement {missing}"
    return None


def discover(
    extra_plugins: Iterable[object] = (), *, entry_points: bool = True
) -> tuple[pluggy.PluginManager, list[BackendEntry], list[PluginFailure]]:
    """Build a manager, load entry points and ``extra_plugins``, and collect backends."""
    disabled = disabled_names()
    pm = make_plugin_manager()
    origins: dict[str, str] = {}
    failures: list[PluginFailure] = []
    if entry_points:
        origins, failures = load_entry_points(pm, disabled)
    for plugin in extra_plugins:
        name = getattr(plugin, "__name__", None) or repr(plugin)
        if name in disabled:
            continue
        try:
            pm.register(plugin, name=name)
        except PLUGIN_FAILURES as error:
            failures.append(PluginFailure(name, "(registered directly)", "register", describe(error)))
    backends, register_failures = collect_backends(pm, origins, disabled)
    return pm, backends, failures + register_failures
