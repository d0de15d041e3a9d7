"""examples/tinct-plugin-example: its wheel builds offline, installs with `tinct plugins install`, lists,
colorizes with its three kinds of option, passes its own tests from the plugin folder, and is removed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from test_plugin_install import listing, run

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "tinct-plugin-example"


@pytest.fixture
def plugin_dir(tmp_path, monkeypatch):
    folder = tmp_path / "plugins"
    monkeypatch.setenv("TINCT_PLUGIN_DIR", str(folder))
    monkeypatch.setattr(sys, "path", list(sys.path))  # discovery appends the folder
    yield folder
    for name in [m for m in sys.modules if m == "tinct_handtint" or m.startswith("tinct_handtint.")]:
        del sys.modules[name]


@pytest.fixture
def example_wheel(tmp_path) -> Path:
    source = tmp_path / "example"
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("build", "dist", "*.egg-info", "__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index",
                    "-w", str(tmp_path / "dist"), str(source)], check=True, capture_output=True, timeout=300)
    [built] = (tmp_path / "dist").glob("tinct_handtint-1.0.0-*.whl")
    return built


def test_the_example_plugin_installs_lists_colorizes_passes_its_tests_and_is_removed(tmp_path, plugin_dir,
                                                                                    example_wheel, capsys):
    with zipfile.ZipFile(example_wheel) as wheel:
        assert "tinct_handtint/palettes.safetensors" in wheel.namelist()  # the package data travelled
    code, out, err = run(capsys, "plugins", "install", example_wheel)
    assert (code, err) == (0, []) and "backend handtint: Hand-tinted; weights verified" in out

    entry = listing(capsys)["handtint"]
    assert entry["location"] == "user plugin folder" and entry["weights"] == "verified"
    assert entry["description"].startswith("The look of a hand-tinted postcard")
    kinds = {o["name"]: (o["kind"], o["default"]) for o in entry["options"]}
    assert kinds == {"palette": ("choice", "postcard"), "strength": ("number", 1.0), "wash": ("integer", 4)}

    photo = tmp_path / "street.png"
    lightness = np.tile(np.linspace(30, 200, 96), (64, 1))
    lightness[:20] = 235  # a bright, even sky
    Image.fromarray(lightness.astype(np.uint8)).save(photo)
    code, _, err = run(capsys, "colorize", photo, "-o", tmp_path / "out", "--backend", "handtint",
                       "--param", "palette=portrait", "--param", "wash=6")
    assert (code, err) == (0, [])
    rgb = np.asarray(Image.open(tmp_path / "out" / "street.handtint.1.png").convert("RGB")).astype(int)
    assert rgb[5, 48, 2] > rgb[5, 48, 0] + 3  # blue sky
    assert rgb[45, 48, 0] > rgb[45, 48, 2] + 10  # warm mid-tones

    for param, says in (("wash=2.5", "option wash is a whole number from 0 to 16, not '2.5'"),
                        ("palette=neon", "option palette is one of postcard, portrait, autochrome, not 'neon'")):
        code, _, err = run(capsys, "colorize", photo, "-o", tmp_path / "bad", "--backend", "handtint", "--param", param)
        assert code == 1 and err == [f"error: handtint: {says}"]

    # The author's own tests, run against the copy in the plugin folder (not the source tree).
    elsewhere = tmp_path / "elsewhere"  # not tmp_path, whose plugins/ folder would shadow the plugins package
    elsewhere.mkdir()
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(EXAMPLE / "tests")],
                            capture_output=True, text=True, timeout=300, cwd=elsewhere,
                            env={**os.environ, "PYTHONPATH": str(plugin_dir)})
    assert result.returncode == 0 and "4 passed" in result.stdout, result.stdout + result.stderr

    code, out, err = run(capsys, "plugins", "remove", "tinct-handtint")
    assert (code, err) == (0, []) and "removed tinct-handtint 1.0.0" in out
    assert "handtint" not in listing(capsys)
    assert sorted(p.name for p in plugin_dir.iterdir()) == ["tinct-plugins.json"]


def test_the_publish_section_shows_the_examples_own_declarations():
    doc = (Path(__file__).resolve().parents[1] / "docs" / "plugin-api.md").read_text()
    section = doc.split("## Publish a plugin", 1)[1].split("\n## ", 1)[0]
    pyproject = (EXAMPLE / "pyproject.toml").read_text()
    toml_blocks = section.split("```toml\n")[1:]
    for block in toml_blocks:
        for line in block.split("```")[0].strip().splitlines():
            assert line.strip() in pyproject, line
    colorizer = (EXAMPLE / "src" / "tinct_handtint" / "colorizer.py").read_text()
    from plugins.weights import verify

    digest = verify(EXAMPLE / "src" / "tinct_handtint" / "palettes.safetensors")
    assert f'"{digest}"' in colorizer and f'"{digest[:8]}…")' in section
