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
from plugins.restore.base import Restorer
from plugins.types import ColorizerInfo, RestorerInfo

DISABLE_ENV = "TINCT_DISABLE_PLUGINS"
"""Comma-separated names of entry points (plugins) or backend or restorer ids to leave out."""
RESTORER_ENTRY_POINT_GROUP = "tinct.restorers"
"""Plugins that provide restoration steps (``register_restorers``); loaded into the same manager."""


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
        if pm.is_registered(plugin):  # one module under both tinct.colorizers and tinct.restorers
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
    pm: pluggy.PluginManager, origins: dict[str, str], disabled: frozenset[str], left_out: list | None = None
) -> tuple[list[BackendEntry], list[PluginFailure]]:
    """Call every plugin's ``register_colorizers`` separately and check what it returns; the entries
    of disabled ids go to ``left_out``."""
    return _collect(pm.hook.register_colorizers.get_hookimpls(), origins, disabled, _check_backend_class,
                    BackendEntry, "backend", left_out)


def _collect(impls, origins: dict[str, str], disabled: frozenset[str], check, make_entry, kind: str,
             left_out: list | None = None):
    """Each hook implementation called on its own: its failure, a class that fails ``check`` or an id
    already taken is a PluginFailure of that plugin alone; disabled ids are left out (into ``left_out``)."""
    entries, failures, ids = [], [], set()
    for impl in impls:
        name = impl.plugin_name
        distribution = origins.get(name, "(registered directly)")
        try:
            classes = list(itertools.chain(impl.function() or ()))
        except PLUGIN_FAILURES as error:
            failures.append(PluginFailure(name, distribution, "register", describe(error)))
            continue
        for cls in classes:
            problem = check(cls)
            if problem is None and cls.info.id in ids:
                problem = f"{kind} id {cls.info.id!r} is already taken by another plugin"
            if problem:
                failures.append(PluginFailure(name, distribution, "register", problem))
                continue
            if cls.info.id in disabled:
                if left_out is not None:
                    left_out.append(make_entry(cls, name, distribution))
                continue
            ids.add(cls.info.id)
            entries.append(make_entry(cls, name, distribution))
    return entries, failures


def _check_class(cls: object, base: type, info_type: type, hook: str) -> str | None:
    if not (isinstance(cls, type) and issubclass(cls, base)):
        return f"{hook} returned {cls!r}, not a {base.__name__} subclass"
    if not isinstance(getattr(cls, "info", None), info_type):
        return f"{cls.__name__} has no {info_type.__name__} in its 'info' attribute"
    if getattr(cls, "__abstractmethods__", None):
        missing = ", ".join(sorted(cls.__abstractmethods__))
        return f"{cls.__name__} does not implement {missing}"
    return None


def _check_backend_class(cls: object) -> str | None:
    return _check_class(cls, Colorizer, ColorizerInfo, "register_colorizers")


def discover(
    extra_plugins: Iterable[object] = (), *, entry_points: bool = True, left_out: list | None = None
) -> tuple[pluggy.PluginManager, list[BackendEntry], list[PluginFailure]]:
    """Build a manager, load entry points and ``extra_plugins``, and collect backends (those with
    disabled ids into ``left_out``)."""
    from plugins.host.switches import switched_off

    disabled = disabled_names()
    # Backends the user switched off are imported and listed (so they can be switched on), not used.
    switched = switched_off()
    pm = make_plugin_manager()
    if entry_points:
        from plugins.host.user_plugins import add_user_plugin_dir

        add_user_plugin_dir()  # after Tinct's own site-packages, so it can never shadow them
    origins: dict[str, str] = {}
    failures: list[PluginFailure] = []
    if entry_points:
        origins, failures = load_entry_points(pm, disabled)
        restorer_origins, restorer_failures = load_entry_points(pm, disabled, RESTORER_ENTRY_POINT_GROUP)
        origins.update(restorer_origins)
        failures += restorer_failures
    for plugin in extra_plugins:
        name = getattr(plugin, "__name__", None) or repr(plugin)
        if name in disabled:
            continue
        try:
            pm.register(plugin, name=name)
        except PLUGIN_FAILURES as error:
            failures.append(PluginFailure(name, "(registered directly)", "register", describe(error)))
    backends, register_failures = collect_backends(pm, origins, disabled | switched, left_out)
    return pm, backends, failures + register_failures


@dataclass(frozen=True)
class RestorerEntry:
    """A discovered restoration step's class and where it came from."""

    cls: type[Restorer]
    plugin: str
    distribution: str

    @property
    def info(self) -> RestorerInfo:
        return self.cls.info


def collect_restorers(pm: pluggy.PluginManager, disabled: frozenset[str] | None = None
                      ) -> tuple[list[RestorerEntry], list[PluginFailure]]:
    """Call every plugin's ``register_restorers`` separately and check what it returns, as
    :func:`collect_backends` does for backends."""
    disabled = disabled_names() if disabled is None else disabled
    origins = {ep.name: ep.dist.name for group in (ENTRY_POINT_GROUP, RESTORER_ENTRY_POINT_GROUP)
               for ep in importlib.metadata.entry_points(group=group) if ep.dist is not None}
    return _collect(pm.hook.register_restorers.get_hookimpls(), origins, disabled, _check_restorer_class,
                    RestorerEntry, "restorer")


def _check_restorer_class(cls: object) -> str | None:
    return _check_class(cls, Restorer, RestorerInfo, "register_restorers")
