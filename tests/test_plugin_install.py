"""`tinct plugins install/remove`: plugins go into the user plugin folder, and bad input leaves it as it was."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import sys
import tarfile
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from desktop.cli import main as cli_main

SEPIA = """
    import numpy as np
    from plugins import Colorizer, ColorizerInfo, Sample, hookimpl
    from plugins.color import fit_working_size

    class Sepia(Colorizer):
        info = ColorizerInfo(id="{backend_id}", name="Sepia", version="{version}", license="MIT")

        def colorize(self, lightness, options):
            small = fit_working_size(lightness, options.working_size)
            strength = (1.0 - small / 100.0) * 25.0
            yield Sample(0, np.stack([0.4 * strength, strength], axis=-1).astype(np.float32))

    @hookimpl
    def register_colorizers():
        return [Sepia]
"""
MODULES = ("tinct_sepia", "tinct_good", "tinct_broken", "tinct_copycat", "tinct_impostor", "tinct_needy")


def project(root: Path, dist: str, module: str, *, backend_id: str = "sepia", version: str = "1.0.0",
            source: str | None = None, dependencies: tuple[str, ...] = ("numpy",)) -> Path:
    """A plugin project folder like the one in docs/plugin-api.md."""
    folder = root / f"{module}-{version}"
    folder.mkdir(parents=True)
    (folder / "pyproject.toml").write_text(textwrap.dedent(f"""\
        [build-system]
        requires = ["setuptools>=68"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "{dist}"
        version = "{version}"
        dependencies = {json.dumps(list(dependencies))}

        [project.entry-points."tinct.colorizers"]
        {module.removeprefix("tinct_")} = "{module}"
        """))
    text = source if source is not None else SEPIA.format(backend_id=backend_id, version=version)
    (folder / f"{module}.py").write_text(textwrap.dedent(text))
    return folder


def wheel(folder: Path, out: Path) -> Path:
    """Build a wheel offline, with Tinct's own setuptools."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index",
                    "-w", str(out), str(folder)], check=True, capture_output=True)
    [built] = out.glob(f"{folder.name.split('-')[0]}-*.whl")
    return built


def sdist(folder: Path, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    archive = out / f"{folder.name}.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder, arcname=folder.name)
    return archive


def snapshot(folder: Path) -> dict[str, str] | None:
    if not folder.exists():
        return None
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted(folder.rglob("*"))}


def run(capsys, *args) -> tuple[int, str, list[str]]:
    code = cli_main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err.splitlines()


def listing(capsys) -> dict[str, dict]:
    code, out, _ = run(capsys, "plugins", "list", "--json")
    assert code == 0
    return {b["id"]: b for b in json.loads(out)["backends"]}


@pytest.fixture
def plugin_dir(tmp_path, monkeypatch):
    folder = tmp_path / "plugins"
    monkeypatch.setenv("TINCT_PLUGIN_DIR", str(folder))
    monkeypatch.setattr(sys, "path", list(sys.path))  # discovery appends the folder
    yield folder
    for name in MODULES:
        sys.modules.pop(name, None)
    assert not list(tmp_path.glob(".tinct-*")), "a staging folder was left behind"


def test_a_wheel_is_installed_listed_colorizes_and_is_removed(tmp_path, plugin_dir, capsys):
    built = wheel(project(tmp_path / "src", "tinct-sepia", "tinct_sepia"), tmp_path / "dist")
    code, out, err = run(capsys, "plugins", "install", built)
    assert (code, err) == (0, [])
    assert f"installed tinct-sepia 1.0.0 into {plugin_dir}" in out and "backend sepia" in out
    assert (plugin_dir / "tinct_sepia.py").is_file()
    assert listing(capsys)["sepia"]["location"] == "user plugin folder"
    assert listing(capsys)["regression"]["location"] == "built in"
    assert listing(capsys)["testbackend"]["location"] == "environment"

    photo = tmp_path / "gray.png"
    Image.fromarray(np.linspace(0, 255, 48 * 64).reshape(48, 64).astype(np.uint8)).save(photo)
    code, _, err = run(capsys, "colorize", photo, "-o", tmp_path / "out", "--backend", "sepia")
    assert (code, err) == (0, [])
    colored = np.asarray(Image.open(tmp_path / "out" / "gray.sepia.1.png").convert("RGB")).astype(int)
    assert (colored[..., 0] >= colored[..., 2]).all() and colored[24, 32, 0] > colored[24, 32, 2] + 5  # warm

    code, out, err = run(capsys, "plugins", "remove", "sepia")  # by backend id
    assert (code, err) == (0, []) and "removed tinct-sepia 1.0.0" in out
    assert "sepia" not in listing(capsys)
    assert sorted(p.name for p in plugin_dir.iterdir()) == ["tinct-plugins.json"]
    assert json.loads((plugin_dir / "tinct-plugins.json").read_text()) == {"distributions": {}}


@pytest.mark.parametrize("form", ["project folder", "sdist"])
def test_a_project_folder_or_an_sdist_is_built_offline_and_installed(tmp_path, plugin_dir, capsys, form):
    folder = project(tmp_path / "src", "tinct-sepia", "tinct_sepia")
    code, out, err = run(capsys, "plugins", "install", folder if form == "project folder" else sdist(folder, tmp_path))
    assert (code, err) == (0, [])
    assert listing(capsys)["sepia"]["location"] == "user plugin folder"
    code, out, err = run(capsys, "plugins", "remove", "tinct_sepia")  # by distribution name, spelled loosely
    assert (code, err) == (0, [])
    assert sorted(p.name for p in plugin_dir.iterdir()) == ["tinct-plugins.json"]


def test_a_newer_version_replaces_the_installed_one(tmp_path, plugin_dir, capsys):
    assert run(capsys, "plugins", "install", project(tmp_path / "v1", "tinct-sepia", "tinct_sepia"))[0] == 0
    code, out, _ = run(capsys, "plugins", "install", project(tmp_path / "v2", "tinct-sepia", "tinct_sepia", version="2.0.0"))
    assert code == 0 and "installed tinct-sepia 2.0.0 (replacing 1.0.0)" in out
    assert sorted(p.name for p in plugin_dir.iterdir()) == ["tinct-plugins.json", "tinct_sepia-2.0.0.dist-info",
                                                             "tinct_sepia.py"]
    sys.modules.pop("tinct_sepia", None)
    assert listing(capsys)["sepia"]["version"] == "2.0.0"


@pytest.fixture
def installed(tmp_path, plugin_dir, capsys):
    """The plugin folder with one plugin (backend ``good``) in it, and its snapshot."""
    assert run(capsys, "plugins", "install", project(tmp_path / "good", "tinct-good", "tinct_good", backend_id="good"))[0] == 0
    return snapshot(plugin_dir)


def bad_input(kind: str, root: Path) -> tuple[list[str], str]:
    """The command line for one kind of bad input, and what its error line must say."""
    if kind == "a text file":
        (root / "notes.txt").write_text("not a plugin")
        return ["plugins", "install", str(root / "notes.txt")], "notes.txt is not a Python distribution"
    if kind == "a folder without a project":
        (root / "empty").mkdir()
        return ["plugins", "install", str(root / "empty")], "empty is not a Python distribution"
    if kind == "a zip that is not a wheel":
        (root / "fake-1.0-py3-none-any.whl").write_bytes(b"PK\x03\x04 broken")
        return ["plugins", "install", str(root / "fake-1.0-py3-none-any.whl")], "is not a Python distribution"
    if kind in ("a wheel for another platform", "a wheel for another Python"):
        built = wheel(project(root / "src", "tinct-sepia", "tinct_sepia"), root / "dist")
        tags = "cp311-cp311-win_amd64" if kind.endswith("platform") else "py2-none-any"
        other = built.with_name(f"tinct_sepia-1.0.0-{tags}.whl")
        shutil.copy(built, other)
        return ["plugins", "install", str(other)], f"is for another platform or Python ({tags})"
    if kind == "a wheel whose entry point fails at import":
        source = "raise ImportError('needs libfoo 9')\n"
        built = wheel(project(root / "src", "tinct-broken", "tinct_broken", source=source), root / "dist")
        return ["plugins", "install", str(built)], "tinct-broken: entry point broken failed at import: ImportError: needs libfoo 9"
    if kind == "an id an installed plugin has":
        built = wheel(project(root / "src", "tinct-copycat", "tinct_copycat", backend_id="good"), root / "dist")
        return ["plugins", "install", str(built)], "backend id 'good' is already taken by tinct-good (user plugin folder)"
    if kind == "the id of a built-in":
        folder = project(root / "src", "tinct-impostor", "tinct_impostor", backend_id="regression")
        return ["plugins", "install", str(folder)], "backend id 'regression' is already taken by tinct (built in)"
    if kind == "a requirement that conflicts with Tinct's":
        folder = project(root / "src", "tinct-needy", "tinct_needy", dependencies=("numpy<1",))
        return ["plugins", "install", str(folder)], "tinct-needy needs numpy<1, but Tinct has numpy"
    if kind == "a requirement Tinct lacks":
        folder = project(root / "src", "tinct-needy", "tinct_needy", dependencies=("no-such-package-here>=1",))
        return ["plugins", "install", str(folder)], "needs no-such-package-here>=1, which Tinct's environment does not have"
    if kind == "not a Tinct plugin":
        folder = project(root / "src", "tinct-needy", "tinct_needy")
        text = (folder / "pyproject.toml").read_text()
        (folder / "pyproject.toml").write_text(text.split('[project.entry-points')[0])
        return ["plugins", "install", str(folder)], "has no tinct.colorizers entry point"
    if kind == "a project whose pyproject.toml cannot be read":
        folder = project(root / "src", "tinct-needy", "tinct_needy")
        (folder / "pyproject.toml").write_text('[project\nname = "tinct-needy"\n')
        return ["plugins", "install", str(folder)], "tinct_needy-1.0.0: its pyproject.toml cannot be read"
    if kind == "a model file whose sha256 matches nothing":
        (root / "model.safetensors").write_bytes(b"not the weights anyone declared")
        return ["models", "add", str(root / "model.safetensors")], "model.safetensors (sha256 "
    if kind == "the removal of a built-in":
        return ["plugins", "remove", "regression"], "regression is built into Tinct and cannot be removed"
    if kind == "the removal of a plugin in the environment":
        return ["plugins", "remove", "testbackend"], "installed in Tinct's environment, not the plugin folder"
    if kind == "the removal of nothing installed":
        return ["plugins", "remove", "nothing"], "no plugin 'nothing' is installed"
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", [
    "a text file", "a folder without a project", "a zip that is not a wheel", "a wheel for another platform",
    "a wheel for another Python", "a wheel whose entry point fails at import", "an id an installed plugin has",
    "the id of a built-in", "a requirement that conflicts with Tinct's", "a requirement Tinct lacks",
    "not a Tinct plugin", "a project whose pyproject.toml cannot be read", "a model file whose sha256 matches nothing",
    "the removal of a built-in", "the removal of a plugin in the environment", "the removal of nothing installed",
])
def test_bad_input_is_one_line_exit_2_and_the_plugin_folder_is_unchanged(tmp_path, plugin_dir, installed, capsys,
                                                                         kind):
    (tmp_path / "bad").mkdir()
    argv, expected = bad_input(kind, tmp_path / "bad")
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert len(err) == 1 and err[0].startswith("error: ") and expected in err[0], err
    assert snapshot(plugin_dir) == installed
    assert "good" in listing(capsys)


def test_a_refused_first_install_creates_no_plugin_folder(tmp_path, plugin_dir, capsys):
    built = wheel(project(tmp_path / "src", "tinct-broken", "tinct_broken", source="raise ImportError('x')\n"),
                  tmp_path / "dist")
    assert run(capsys, "plugins", "install", built)[0] == 2
    assert not plugin_dir.exists()


def test_the_plugin_folder_goes_after_tinct_own_packages(tmp_path, plugin_dir, capsys):
    """A plugin that ships a module named like one of Tinct's packages cannot shadow it."""
    assert run(capsys, "plugins", "install", project(tmp_path / "src", "tinct-sepia", "tinct_sepia"))[0] == 0
    assert listing(capsys)  # discovery ran
    assert sys.path.index(str(plugin_dir)) > max(i for i, p in enumerate(sys.path) if "site-packages" in p)
