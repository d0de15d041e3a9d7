"""Installing, removing and locating third-party plugins (no Qt; model files: ``desktop/model_install.py``).

Plugins go into the user plugin folder (:func:`user_plugin_dir`), a ``pip --target`` folder
that discovery appends to ``sys.path``. Nothing here ever changes Tinct's own environment:

- pip installs the plugin alone (``--no-deps``) into a fresh staging folder beside the plugin
  folder. Its ``Requires-Dist`` is then checked against Tinct's environment: a requirement
  that is missing or that the installed version does not satisfy is refused with one line.
  (pip's ``--target`` ignores what is installed, so resolving dependencies there would put
  second copies of numpy or torch into the folder, fetched from the network.)
- A subprocess runs discovery twice, with and without the staged plugin; the plugin is
  refused if its entry point fails to import or register, if it offers no backend, or if
  it makes anything else fail (an id or entry-point name another plugin already has).
- Only then are its top-level files renamed into the plugin folder; ``tinct-plugins.json``
  there records which files belong to which distribution, so removal is exact.

Every refusal raises :class:`InstallError` with a one-line message and leaves the plugin
folder as it was.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

from plugins.errors import TinctError
from plugins.host.switches import SWITCHES_ENV
from plugins.host.user_plugins import PLUGIN_DIR_ENV, user_plugin_dir
from plugins.markers import ENTRY_POINT_GROUP, PROJECT_NAME

__all__ = ["InstallError", "InstallReport", "PreparedInstall", "RemoveReport", "user_plugin_dir", "install", "prepare",
           "remove", "backend_location", "read_index", "forget_modules"]

INDEX_NAME = "tinct-plugins.json"
SDIST_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".zip")
BUILT_IN, ENVIRONMENT, USER_FOLDER, DIRECT = "built in", "environment", "user plugin folder", "registered directly"


class InstallError(TinctError):
    """A plugin or model file that was refused; the message is one line, ``details`` (pip's output,
    for one) what the app shows on demand."""

    def __init__(self, message: str, details: str = ""):
        super().__init__(message)
        self.details = details


@dataclass(frozen=True)
class InstallReport:
    distribution: str
    version: str
    backends: list[str]
    folder: Path
    replaced: str | None = None  # the version it replaced, if any


@dataclass(frozen=True)
class RemoveReport:
    distribution: str
    version: str
    backends: list[str]


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


# ---------------------------------------------------------------- the index


def read_index(folder: Path | None = None) -> dict[str, dict]:
    """``{canonical distribution name: {"name", "version", "files", "backends"}}``."""
    path = (folder or user_plugin_dir()) / INDEX_NAME
    try:
        return json.loads(path.read_text())["distributions"]
    except FileNotFoundError:
        return {}
    except (ValueError, KeyError, TypeError) as error:
        raise InstallError(f"the plugin index {path} is damaged ({error}); move it away to start afresh") from error


def _write_index(folder: Path, index: dict[str, dict]) -> None:
    path = folder / INDEX_NAME
    part = path.with_name(path.name + ".part")
    part.write_text(json.dumps({"distributions": index}, indent=2, sort_keys=True))
    os.replace(part, path)


# ---------------------------------------------------------------- where a backend lives


def backend_location(distribution: str) -> str:
    """``"built in"``, ``"environment"``, ``"user plugin folder"`` or ``"registered directly"``."""
    if distribution == PROJECT_NAME:
        return BUILT_IN
    try:
        dist = importlib.metadata.distribution(distribution)
    except importlib.metadata.PackageNotFoundError:
        return DIRECT
    try:
        here = Path(dist.locate_file("")).resolve()
    except (OSError, NotImplementedError):
        return ENVIRONMENT
    return USER_FOLDER if here == user_plugin_dir().resolve() else ENVIRONMENT


# ---------------------------------------------------------------- install


@dataclass
class PreparedInstall:
    """A plugin built and checked in a staging folder beside the plugin folder, not yet in it: what
    the app's confirm dialog shows. :meth:`commit` moves it into place; :meth:`discard` drops it."""

    distribution: str
    version: str
    license: str
    summary: str
    homepage: str
    backends: list[tuple[str, str]]
    """``(id, name)`` of each backend it adds."""
    folder: Path
    replaces: str | None
    """The version of it already in the plugin folder, which it replaces."""
    _staging: Path
    _files: list[str]

    def commit(self) -> InstallReport:
        """Move the files into the plugin folder (an older version's out first), or refuse."""
        try:
            index = read_index(self.folder)
            old = index.get(canonical(self.distribution))
            _check_overwrites(self._files, self.folder, index, canonical(self.distribution))
            ids = [backend_id for backend_id, _name in self.backends]
            _move_into_place(self._files, self._staging / "target", self.folder, self._staging, old, index, {
                "name": self.distribution, "version": self.version, "files": self._files, "backends": ids})
            if old is not None:
                forget_modules(old["files"])  # this process imported the old version: the next discovery gets the new
            importlib.invalidate_caches()
            return InstallReport(self.distribution, self.version, ids, self.folder, old["version"] if old else None)
        finally:
            self.discard()

    def discard(self) -> None:
        shutil.rmtree(self._staging, ignore_errors=True)


def install(path: str | os.PathLike) -> InstallReport:
    """Install a wheel, an sdist or a project folder into the user plugin folder, or refuse."""
    return prepare(path).commit()


def prepare(path: str | os.PathLike) -> PreparedInstall:
    """Build and check a wheel, an sdist or a project folder in a staging folder, or refuse (nothing left behind)."""
    source = Path(path).expanduser().resolve()
    kind = _kind_of(source)
    folder = user_plugin_dir()
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".tinct-install-", dir=folder.parent))
    try:
        target = staging / "target"
        _pip_install(source, kind, target)
        for shared in ("bin", "__pycache__"):  # console scripts cannot run from here; bytecode is per module
            shutil.rmtree(target / shared, ignore_errors=True)
        dist = _the_one_distribution(target, source)
        name, version = dist.metadata["Name"], dist.version
        if not any(ep.group == ENTRY_POINT_GROUP for ep in dist.entry_points):
            raise InstallError(f"{name} {version} has no {ENTRY_POINT_GROUP} entry point: it is not a Tinct plugin")
        _check_requirements(dist, folder)
        index = read_index(folder)
        old = index.get(canonical(name))
        if old is None and _in_environment(name, folder):
            raise InstallError(f"{name} is already installed in Tinct's environment; uninstall it there first")
        backends = _verify(target, folder, name)
        files = sorted(p.name for p in target.iterdir())
        _check_overwrites(files, folder, index, canonical(name))
        return PreparedInstall(name, version, _license(dist.metadata), dist.metadata["Summary"] or "",
                               _homepage(dist.metadata), backends, folder, old["version"] if old else None,
                               staging, files)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _license(metadata) -> str:
    text = metadata["License-Expression"] or metadata["License"] or ""
    if not text.strip() or "\n" in text.strip():  # some put the whole licence text here
        classifiers = [c.split(" :: ")[-1] for c in metadata.get_all("Classifier") or () if c.startswith("License ::")]
        text = ", ".join(classifiers) or ("see its licence file" if text.strip() else "not stated")
    return text.strip()


def _homepage(metadata) -> str:
    urls = metadata.get_all("Project-URL") or ()
    for wanted in ("homepage", "home", "source", "repository"):
        for entry in urls:
            label, _, url = entry.partition(",")
            if label.strip().lower().replace("-", "") == wanted:
                return url.strip()
    return metadata["Home-page"] or (urls[0].partition(",")[2].strip() if urls else "")


def forget_modules(files: list[str]) -> None:
    """Drop the modules of a plugin's top-level files from ``sys.modules`` (after it was removed or replaced)."""
    tops = {name[:-3] if name.endswith(".py") else name for name in files
            if not name.endswith((".dist-info", ".egg-info", ".pth", ".data"))}
    for module in [m for m in sys.modules if m.split(".")[0] in tops]:
        del sys.modules[module]


def _kind_of(source: Path) -> str:
    not_a_distribution = (f"{source.name or source} is not a Python distribution "
                          "(a wheel, an sdist, or a project folder with pyproject.toml or setup.py)")
    if not source.exists():
        raise InstallError(f"{source}: no such file or folder")
    if source.is_dir():
        pyproject = source / "pyproject.toml"
        if pyproject.is_file():
            try:
                tomllib.loads(pyproject.read_text())
            except (ValueError, UnicodeDecodeError) as error:
                raise InstallError(f"{source.name}: its pyproject.toml cannot be read ({error})") from None
            return "project"
        if (source / "setup.py").is_file():
            return "project"
        raise InstallError(not_a_distribution)
    lower = source.name.lower()
    if lower.endswith(".whl"):
        _check_wheel(source, not_a_distribution)
        return "wheel"
    if lower.endswith(SDIST_SUFFIXES) and _sdist_project(source) is not None:
        return "sdist"
    raise InstallError(not_a_distribution)


def _check_wheel(source: Path, not_a_distribution: str) -> None:
    try:
        with zipfile.ZipFile(source) as wheel:
            if not any(n.endswith(".dist-info/METADATA") for n in wheel.namelist()):
                raise InstallError(not_a_distribution)
    except zipfile.BadZipFile:
        raise InstallError(not_a_distribution) from None
    sys_tags = _packaging("tags").sys_tags
    parse_wheel_filename = _packaging("utils").parse_wheel_filename
    InvalidWheelFilename = _packaging("utils").InvalidWheelFilename
    try:
        _name, _version, _build, tags = parse_wheel_filename(source.name)
    except InvalidWheelFilename:
        raise InstallError(not_a_distribution) from None
    if not tags & set(sys_tags()):
        wanted = ", ".join(sorted(str(t) for t in tags))
        here = f"Python {sys.version_info.major}.{sys.version_info.minor} on {sys.platform}"
        raise InstallError(f"{source.name} is for another platform or Python ({wanted}), not {here}")


def _sdist_project(source: Path) -> dict | None:
    """The sdist's pyproject.toml as a dict ({} if it has only setup.py); None if it is no sdist."""
    try:
        if source.name.lower().endswith(".zip"):
            with zipfile.ZipFile(source) as archive:
                return _project_from(archive.namelist(), archive.read)
        with tarfile.open(source) as archive:
            return _project_from(archive.getnames(), lambda member: archive.extractfile(member).read())
    except (tarfile.TarError, zipfile.BadZipFile, OSError, EOFError, AttributeError):
        return None


def _project_from(names, read) -> dict | None:
    tops = {n.split("/")[0] for n in names if n}
    if len(tops) != 1:
        return None
    top = tops.pop()
    if f"{top}/pyproject.toml" in names:
        try:
            return tomllib.loads(read(f"{top}/pyproject.toml").decode())
        except (ValueError, UnicodeDecodeError):
            return None
    return {} if f"{top}/setup.py" in names else None


def _build_requirements(source: Path, kind: str) -> list[str]:
    if kind == "project":
        pyproject = source / "pyproject.toml"
        project = tomllib.loads(pyproject.read_text()) if pyproject.is_file() else {}
    else:
        project = _sdist_project(source) or {}
    return project.get("build-system", {}).get("requires", ["setuptools>=40.8.0"])


def _pip_install(source: Path, kind: str, target: Path) -> None:
    command = [sys.executable, "-m", "pip", "install", "--target", str(target), "--no-deps", "--no-input",
               "--disable-pip-version-check", "--no-warn-script-location", "--no-compile", "--quiet"]
    # Build with Tinct's own setuptools (offline) when it has what the project's build needs;
    # otherwise pip fetches the build backend into an isolated build environment.
    if kind == "wheel" or all(_unmet(r, ()) is None for r in _build_requirements(source, kind)):
        command += ["--no-index"] + (["--no-build-isolation"] if kind != "wheel" else [])
    command.append(str(source))
    result = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        raise InstallError(f"pip could not install {source.name}: {_pip_reason(result.stderr + result.stdout)}",
                           details=(result.stderr + result.stdout).strip())


def _pip_reason(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [line.removeprefix("ERROR:").strip() for line in lines if line.startswith("ERROR:")]
    reason = (errors or lines or ["pip failed"])[-1]
    return reason if len(reason) <= 300 else reason[:299] + "…"


def _the_one_distribution(target: Path, source: Path) -> importlib.metadata.Distribution:
    found = list(importlib.metadata.distributions(path=[str(target)]))
    if len(found) != 1:
        raise InstallError(f"{source.name} installed {len(found)} distributions instead of one")
    return found[0]


def _environment_paths(folder: Path) -> list[str]:
    user = str(folder)
    return [p for p in sys.path if p != user]


def _in_environment(name: str, folder: Path) -> bool:
    wanted = canonical(name)
    return any(canonical(d.metadata["Name"] or "") == wanted
               for d in importlib.metadata.distributions(path=_environment_paths(folder)))


def _packaging(module: str):
    """``packaging.<module>``: Tinct does not depend on packaging, but the pip it installs with has a copy."""
    try:
        return importlib.import_module(f"packaging.{module}")
    except ImportError:
        return importlib.import_module(f"pip._vendor.packaging.{module}")


def _unmet(requirement: str, extras: tuple[str, ...], folder: Path | None = None) -> str | None:
    """Why ``requirement`` is not met by Tinct's environment, or None when it is (or does not apply)."""
    Requirement = _packaging("requirements").Requirement
    InvalidRequirement = _packaging("requirements").InvalidRequirement
    try:
        req = Requirement(requirement)
    except InvalidRequirement:
        return f"cannot read its requirement {requirement!r}"
    if req.marker is not None and not any(req.marker.evaluate({"extra": e}) for e in (extras or ("",))):
        return None
    paths = _environment_paths(folder) if folder else sys.path
    for dist in importlib.metadata.distributions(path=paths):
        if canonical(dist.metadata["Name"] or "") == canonical(req.name):
            if req.specifier.contains(dist.version, prereleases=True):
                return None
            return f"needs {req.name}{req.specifier}, but Tinct has {req.name} {dist.version}"
    return f"needs {req}, which Tinct's environment does not have"


def _check_requirements(dist: importlib.metadata.Distribution, folder: Path) -> None:
    for requirement in dist.requires or ():
        problem = _unmet(requirement, (), folder)
        if problem:
            raise InstallError(f"{dist.metadata['Name']} {problem}; a plugin may not add to or change "
                               "Tinct's own packages")


_DISCOVER = """
import json, sys
sys.path.extend(json.loads(sys.argv[1]))
from plugins.host.discovery import discover
_pm, backends, failures = discover()
print(json.dumps({
    "backends": [[b.info.id, b.distribution, b.info.name] for b in backends],
    "failures": [[f.name, f.distribution, f.stage, f.message] for f in failures],
}))
"""


def _discover_elsewhere(extra_paths: list[Path], folder: Path, cwd: Path) -> dict:
    environment = {k: v for k, v in os.environ.items() if k != "TINCT_DISABLE_PLUGINS"}
    environment[PLUGIN_DIR_ENV] = str(folder)
    environment[SWITCHES_ENV] = os.devnull  # a plugin switched off still owns its ids
    result = subprocess.run([sys.executable, "-c", _DISCOVER, json.dumps([str(p) for p in extra_paths])],
                            capture_output=True, text=True, env=environment, cwd=cwd, stdin=subprocess.DEVNULL,
                            timeout=300)
    if result.returncode != 0:
        raise InstallError(f"checking the plugin failed: {_pip_reason(result.stderr)}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _verify(target: Path, folder: Path, name: str) -> list[tuple[str, str]]:
    """Discovery without and with the staged plugin (before the folder, so it replaces an older copy);
    returns ``(id, name)`` of each backend it adds."""
    present = [folder] if folder.is_dir() else []
    before = _discover_elsewhere(present, folder, target.parent)
    after = _discover_elsewhere([target, *present], folder, target.parent)
    owners = {backend_id: dist for backend_id, dist, _name in before["backends"]}
    mine = canonical(name)
    for failure_name, dist, stage, message in after["failures"]:
        if canonical(dist) == mine:
            taken = re.match(r"backend id '([^']+)' is already taken", message)
            if taken and taken.group(1) in owners:
                owner = owners[taken.group(1)]
                raise InstallError(f"{name}: backend id {taken.group(1)!r} is already taken by {owner} "
                                   f"({_where(owner, folder)})")
            raise InstallError(f"{name}: entry point {failure_name} failed at {stage}: {message}")
    backends = [(backend_id, title) for backend_id, dist, title in after["backends"] if canonical(dist) == mine]
    for backend_id, _title in backends:
        owner = owners.get(backend_id)
        if owner is not None and canonical(owner) != mine:
            raise InstallError(f"{name}: backend id {backend_id!r} is already taken by {owner} "
                               f"({_where(owner, folder)})")
    old_failures = {tuple(f) for f in before["failures"]}
    for failure in after["failures"]:
        if tuple(failure) not in old_failures and canonical(failure[1]) != mine:
            raise InstallError(f"{name} would break {failure[1]}: {failure[3]}")
    if not backends:
        raise InstallError(f"{name} offers no backend here (its register_colorizers returned none)")
    return backends


def _where(distribution: str, folder: Path) -> str:
    if distribution == PROJECT_NAME:
        return BUILT_IN
    return USER_FOLDER if canonical(distribution) in read_index(folder) else ENVIRONMENT


def _check_overwrites(files: list[str], folder: Path, index: dict[str, dict], mine: str) -> None:
    owner_of = {f: key for key, entry in index.items() for f in entry["files"]}
    for name in files:
        if name == INDEX_NAME:
            raise InstallError(f"the plugin contains a file named {INDEX_NAME}, which Tinct keeps for itself")
        owner = owner_of.get(name)
        if owner == mine:
            continue
        if owner is not None:
            raise InstallError(f"{name} would overwrite part of {index[owner]['name']} in the plugin folder")
        if (folder / name).exists():
            raise InstallError(f"{name} is already in the plugin folder ({folder}), installed by hand")


def _move_into_place(files, target: Path, folder: Path, staging: Path, old: dict | None,
                     index: dict[str, dict], entry: dict) -> None:
    """Rename the files in (an older version's out first); on any failure put everything back."""
    folder.mkdir(parents=True, exist_ok=True)
    retired = staging / "retired"
    retired.mkdir()
    moved_out: list[str] = []
    moved_in: list[str] = []
    try:
        for name in old["files"] if old else ():
            if (folder / name).exists():
                os.rename(folder / name, retired / name)
                moved_out.append(name)
        for name in files:
            os.rename(target / name, folder / name)
            moved_in.append(name)
        _write_index(folder, {**index, canonical(entry["name"]): entry})
    except OSError as error:
        for name in moved_in:
            os.rename(folder / name, target / name)
        for name in moved_out:
            os.rename(retired / name, folder / name)
        raise InstallError(f"could not move {entry['name']} into {folder}: {error}") from error


# ---------------------------------------------------------------- remove


def remove(name: str) -> RemoveReport:
    """Remove a plugin from the user plugin folder by distribution name or backend id, or refuse."""
    folder = user_plugin_dir()
    index = read_index(folder)
    key = canonical(name)
    if key not in index:
        key = next((k for k, e in index.items() if name in e.get("backends", ())), None)
    if key is None:
        raise InstallError(_why_not_removable(name, folder))
    entry = index[key]
    trash = Path(tempfile.mkdtemp(prefix=".tinct-remove-", dir=folder.parent))
    try:
        moved = []
        try:
            for file in entry["files"]:
                if (folder / file).exists() or (folder / file).is_symlink():
                    os.rename(folder / file, trash / file)
                    moved.append(file)
            _write_index(folder, {k: e for k, e in index.items() if k != key})
            for file in entry["files"]:  # the bytecode Python wrote beside a top-level module
                if file.endswith(".py"):
                    for compiled in (folder / "__pycache__").glob(f"{file[:-3]}.*.pyc"):
                        compiled.unlink(missing_ok=True)
            if (folder / "__pycache__").is_dir() and not any((folder / "__pycache__").iterdir()):
                (folder / "__pycache__").rmdir()
        except OSError as error:
            for file in moved:
                os.rename(trash / file, folder / file)
            raise InstallError(f"could not remove {entry['name']} from {folder}: {error}") from error
    finally:
        shutil.rmtree(trash, ignore_errors=True)
    forget_modules(entry["files"])
    importlib.invalidate_caches()
    return RemoveReport(entry["name"], entry["version"], list(entry.get("backends", ())))


def _why_not_removable(name: str, folder: Path) -> str:
    from plugins.host import PluginHost

    if canonical(name) == PROJECT_NAME:
        return "tinct is Tinct itself, not a plugin"
    host = PluginHost.discover()
    owner = next((e.distribution for e in host.backends if e.info.id == name), None)
    if owner is None and _in_environment(name, folder):
        owner = name
    if owner == PROJECT_NAME:
        return f"{name} is built into Tinct and cannot be removed (TINCT_DISABLE_PLUGINS={name} hides it)"
    if owner is not None:
        return (f"{name} comes from {owner}, installed in Tinct's environment, not the plugin folder: "
                f"remove it with '{sys.executable} -m pip uninstall {owner}'")
    return f"no plugin {name!r} is installed in the plugin folder ({folder})"
