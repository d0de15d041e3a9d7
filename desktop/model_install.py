"""``tinct models add``: a weights file that an installed plugin declares, checked by sha256 and copied
atomically (``.part``, then rename) into the user models folder where the plugin looks for it (no Qt)."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from desktop.plugin_install import InstallError
from plugins.host.discovery import BackendEntry
from plugins.weights import sha256_of, user_models_dir


@dataclass(frozen=True)
class ModelReport:
    path: Path
    backends: list[str] = field(default_factory=list)
    already_there: bool = False


def add_model(file: str | os.PathLike, backends: Iterable[BackendEntry] | None = None) -> ModelReport:
    """Copy a weights file an installed plugin declares into the user models folder, or refuse.

    ``backends``: whose declarations count (the app's, already found); by default every installed one."""
    source = Path(file).expanduser()
    if not source.is_file():
        raise InstallError(f"{source}: no such file")
    if backends is None:
        from plugins.host import PluginHost

        backends = PluginHost.discover().backends
    models = user_models_dir().resolve()
    declared = [(entry.info.id, weights) for entry in backends
                for weights in entry.info.weights if _inside(weights.path, models)]
    digest = sha256_of(source)
    matches = [(backend_id, w) for backend_id, w in declared if w.sha256 == digest]
    if not matches:
        raise InstallError(_no_match(source, digest, declared))
    destination = matches[0][1].path
    backends = sorted({backend_id for backend_id, w in matches})
    if destination.is_file() and sha256_of(destination) == digest:
        return ModelReport(destination, backends, already_there=True)
    destination.parent.mkdir(parents=True, exist_ok=True)
    part = destination.with_name(destination.name + ".part")
    try:
        with open(source, "rb") as reading, open(part, "wb") as writing:
            copied = hashlib.sha256()
            for chunk in iter(lambda: reading.read(1 << 20), b""):
                copied.update(chunk)
                writing.write(chunk)
            writing.flush()
            os.fsync(writing.fileno())
        if copied.hexdigest() != digest:
            raise InstallError(f"{source.name} changed while it was copied; try again")
        os.replace(part, destination)
    except OSError as error:
        raise InstallError(f"could not copy {source.name} to {destination}: {error}") from error
    finally:
        part.unlink(missing_ok=True)
    return ModelReport(destination, backends)


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder)
        return True
    except ValueError:
        return False


def _no_match(source: Path, digest: str, declared) -> str:
    said = f"{source.name} (sha256 {digest[:12]}…)"
    if not declared:
        return f"{said} is not a file any installed plugin expects: none declares weights in {user_models_dir()}"
    same_name = [(b, w) for b, w in declared if w.path.name == source.name]
    if same_name:
        backend_id, w = same_name[0]
        return (f"{said} is not the {w.path.name} that {backend_id} expects "
                f"(sha256 {w.sha256[:12]}…): a corrupt download or another version")
    expected = "; ".join(f"{w.path.name} for {b} (sha256 {w.sha256[:12]}…)" for b, w in declared)
    return f"{said} matches no weights an installed plugin expects; expected: {expected}"
