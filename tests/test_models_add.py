"""`tinct models add FILE`: a weights file an installed plugin declares is checked and copied in atomically."""

from __future__ import annotations

import hashlib
import json
import os
import sys

import pytest

from desktop.cli import main as cli_main
from fakes import install_fake_distribution
from plugins.weights import user_models_dir

WEIGHTS = b"pretend these are safetensors " * 100
TOY = """
    import numpy as np
    from plugins import Colorizer, ColorizerInfo, Sample, WeightsFile, hookimpl
    from plugins.weights import user_models_dir, verify

    FILE = WeightsFile(user_models_dir() / "toy.safetensors", "{sha256}")

    class Toy(Colorizer):
        info = ColorizerInfo(id="toyweights", name="Toy", version="1.0.0", license="MIT", weights=(FILE,))

        def load(self, device):
            verify(FILE)

        def colorize(self, lightness, options):
            yield Sample(0, np.zeros(lightness.shape + (2,), np.float32))

    @hookimpl
    def register_colorizers():
        return [Toy]
"""


@pytest.fixture
def toy_plugin(tmp_path, monkeypatch):
    site = tmp_path / "site"
    monkeypatch.syspath_prepend(str(site))
    install_fake_distribution(site, "tinct-toy", "fake_toy", TOY.format(sha256=hashlib.sha256(WEIGHTS).hexdigest()))
    yield
    sys.modules.pop("fake_toy", None)


def run(capsys, *args):
    code = cli_main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err.splitlines()


def weights_state(capsys) -> str:
    code, out, _ = run(capsys, "plugins", "list", "--json")
    return {b["id"]: b for b in json.loads(out)["backends"]}["toyweights"]["weights"]


def test_the_right_file_is_copied_into_the_models_folder_through_a_part_file(tmp_path, toy_plugin, capsys,
                                                                               monkeypatch):
    download = tmp_path / "Downloads" / "toy (1).safetensors"  # the name does not matter, the content does
    download.parent.mkdir()
    download.write_bytes(WEIGHTS)
    assert weights_state(capsys) == "missing"
    renames = []
    real_replace = os.replace
    monkeypatch.setattr(os, "replace", lambda a, b: (renames.append((os.fspath(a), os.fspath(b))), real_replace(a, b)))

    code, out, err = run(capsys, "models", "add", download)
    destination = user_models_dir() / "toy.safetensors"
    assert (code, err) == (0, []) and f"added toy.safetensors for toyweights: {destination}" in out
    assert (str(destination) + ".part", str(destination)) in renames
    assert destination.read_bytes() == WEIGHTS and download.is_file()  # copied, not moved
    assert sorted(p.name for p in user_models_dir().iterdir()) == ["toy.safetensors"]
    assert weights_state(capsys) == "verified"  # the plugin finds it there

    code, out, _ = run(capsys, "models", "add", download)
    assert code == 0 and "already in place" in out


def test_a_copy_that_fails_leaves_nothing_behind(tmp_path, toy_plugin, capsys, monkeypatch):
    download = tmp_path / "toy.safetensors"
    download.write_bytes(WEIGHTS)

    def full_disk(a, b):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    code, _, err = run(capsys, "models", "add", download)
    assert code == 2 and len(err) == 1 and "No space left on device" in err[0]
    assert list(user_models_dir().iterdir()) == []


@pytest.mark.parametrize("name, expected", [
    ("toy.safetensors", "is not the toy.safetensors that toyweights expects"),
    ("other.bin", "matches no weights an installed plugin expects; expected: toy.safetensors for toyweights"),
])
def test_a_wrong_file_is_refused_naming_the_expected_one(tmp_path, toy_plugin, capsys, name, expected):
    wrong = tmp_path / name
    wrong.write_bytes(WEIGHTS + b"!")
    code, out, err = run(capsys, "models", "add", wrong)
    assert code == 2 and out == ""
    assert len(err) == 1 and err[0].startswith(f"error: {name} (sha256 ") and expected in err[0], err
    assert not user_models_dir().exists()


def test_a_file_when_no_plugin_declares_weights_is_refused(tmp_path, capsys):
    stray = tmp_path / "stray.safetensors"
    stray.write_bytes(b"x")
    code, _, err = run(capsys, "models", "add", stray)
    assert code == 2 and len(err) == 1 and "not a file any installed plugin expects" in err[0]
