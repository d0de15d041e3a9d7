"""``tinct colorize --hints/--reference`` and ``python -m training eval --hints/--reference-truth``."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from desktop.cli import EXIT_FAILED, main
from fakes import synthetic_color_photo
from plugins.color import lightness_to_gray, srgb_to_lab
from training.__main__ import main as training_main

GRAY_BACKEND = ["--backend", "testbackend", "--param", "chroma=0"]  # every sample gray: only the hints color it
HINT_HUE = math.degrees(math.atan2(*reversed(srgb_to_lab(np.array([[[0.8, 0.1, 0.1]]], np.float32))[0, 0, 1:])))


def two_region_photo(path: Path, size=(200, 150)) -> Path:
    """A gray photo: a dark left part (x < 80) and a light right part, L* 35 and 75."""
    width, height = size
    lightness = np.full((height, width), 75.0, np.float32)
    lightness[:, :80] = 35.0
    Image.fromarray(np.rint(lightness_to_gray(lightness) * 255).astype(np.uint8), "L").save(path)
    return path


def hints_file(path: Path, hints) -> Path:
    path.write_text(hints if isinstance(hints, str) else json.dumps(hints))
    return path


def run_cli(capsys, *args) -> tuple[int, list[str]]:
    code = main([str(a) for a in args])
    return code, [line for line in capsys.readouterr().err.splitlines() if line]


def chroma_of(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return srgb_to_lab(np.asarray(image.convert("RGB"), np.float32) / 255.0)[..., 1:]


def test_a_hints_file_colors_the_hinted_region_the_hints_hue(tmp_path, capsys):
    photo = two_region_photo(tmp_path / "p.png")
    hints = hints_file(tmp_path / "h.json", [{"x": 40, "y": 75, "color": "#cc1a1a", "radius": 6}])
    code, err = run_cli(capsys, "colorize", photo, "-o", tmp_path / "out", "--hints", hints, *GRAY_BACKEND)
    assert code == 0, err
    ab = chroma_of(tmp_path / "out" / "p.testbackend.1.png")
    left, right = ab[:, :74].reshape(-1, 2), ab[:, 86:].reshape(-1, 2)
    hues = np.degrees(np.arctan2(left[:, 1], left[:, 0]))
    assert np.abs(hues - HINT_HUE).max() < 5 and np.hypot(*left.T).min() > 20  # the whole dark part, red
    assert np.hypot(*right.T).max() < 2  # the light part stays gray


@pytest.mark.parametrize("content, says", [
    ("[{'x': 1}]", "not valid JSON"),
    ('{"x": 1, "y": 2, "color": "#ff0000"}', "JSON list"),
    ('[{"x": 1, "y": 2, "color": "red", "radius": 3}]', "hint 1: a color is written #rrggbb, not 'red'"),
    ('[{"x": 1, "y": 2, "color": "#ff0000"}, {"x": 1, "color": "#00ff00"}]', "hint 2 has no y"),
    ('[{"x": 1, "y": "2", "color": "#ff0000"}]', "hint 1: x, y and radius must be numbers"),
    ('[{"x": 1, "y": 2, "color": "#ff0000", "radius": -4}]', "radius must be at least 0"),
    ('[{"x": 1, "y": 2, "colour": "#ff0000"}]', "hint 1 has no color"),
    (None, "cannot read the hints file"),
])  # fmt: skip
def test_a_hints_file_that_cannot_be_used_is_one_line_and_exit_2(tmp_path, capsys, content, says):
    photo = two_region_photo(tmp_path / "p.png")
    hints = tmp_path / "h.json" if content is None else hints_file(tmp_path / "h.json", content)
    code, err = run_cli(capsys, "colorize", photo, "-o", tmp_path / "out", "--hints", hints, *GRAY_BACKEND)
    assert code == EXIT_FAILED and len(err) == 1, err
    assert err[0].startswith(f"error: {hints}: ") and says in err[0], err
    assert not (tmp_path / "out").exists()  # said before any photo was read


def test_a_hint_outside_a_photo_fails_that_photo_only(tmp_path, capsys):
    small = two_region_photo(tmp_path / "small.png", (200, 150))
    large = two_region_photo(tmp_path / "large.png", (400, 300))
    hints = hints_file(tmp_path / "h.json", [{"x": 250, "y": 20, "color": "#cc1a1a", "radius": 3}])
    code, err = run_cli(capsys, "colorize", small, large, "-o", tmp_path / "out", "--hints", hints, *GRAY_BACKEND)
    assert code == EXIT_FAILED
    assert err == [f"error: {small}: hint 1 at (250, 20) lies outside the photo (200×150 px: x 0..199, y 0..149)"]
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["large.testbackend.1.png"]


def test_a_reference_photo_gives_its_colors(tmp_path, capsys):
    photo = two_region_photo(tmp_path / "p.png")
    reference = np.zeros((60, 80, 3), np.uint8)
    reference[...] = (40, 110, 60)  # green
    Image.fromarray(reference).save(tmp_path / "ref.png")
    code, err = run_cli(capsys, "colorize", photo, "-o", tmp_path / "out", "--reference", tmp_path / "ref.png",
                        *GRAY_BACKEND)
    assert code == 0, err
    expected = srgb_to_lab(reference[:1, :1].astype(np.float32) / 255.0)[0, 0, 1:]
    assert chroma_of(tmp_path / "out" / "p.testbackend.1.png").mean(axis=(0, 1)) == pytest.approx(expected, abs=4)


def test_a_reference_photo_that_cannot_be_read_is_one_line_exit_2(tmp_path, capsys):
    photo = two_region_photo(tmp_path / "p.png")
    (tmp_path / "ref.jpg").write_bytes(b"not a photo")
    code, err = run_cli(capsys, "colorize", photo, "-o", tmp_path / "out", "--reference", tmp_path / "ref.jpg",
                        *GRAY_BACKEND)
    assert code == EXIT_FAILED and len(err) == 1, err
    assert err[0].startswith(f"error: {tmp_path / 'ref.jpg'} (reference photo): cannot read the reference photo")
    assert list((tmp_path / "out").iterdir()) == []


# --- python -m training eval ------------------------------------------------------------


def eval_json(capsys, data: Path, *extra) -> list[dict]:
    args = ["eval", "--data", str(data), "--backends", "testbackend", "--json", *map(str, extra)]
    assert training_main(args) == 0
    return json.loads(capsys.readouterr().out)


def test_eval_hints_zero_scores_as_no_hints_and_ten_hints_score_higher(tmp_path, capsys):
    rng = np.random.default_rng(3)
    for i in range(3):
        Image.fromarray(synthetic_color_photo(rng, 64, 64)).save(tmp_path / f"p{i}.png")
    plain = eval_json(capsys, tmp_path)
    gray, zero, ten = eval_json(capsys, tmp_path, "--hints", 0, 10)
    assert [r["hints"] for r in (gray, zero, ten)] == [None, 0, 10]
    assert zero["samples"] == plain[1]["samples"]
    assert ten["samples"][0]["psnr"] > zero["samples"][0]["psnr"] + 1.0


def test_eval_prints_one_table_row_per_hint_count_and_takes_the_truth_as_reference(tmp_path, capsys):
    rng = np.random.default_rng(4)
    for i in range(2):
        Image.fromarray(synthetic_color_photo(rng, 64, 64)).save(tmp_path / f"p{i}.png")
    assert training_main(["eval", "--data", str(tmp_path), "--backends", "testbackend", "--hints", "0", "2"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| testbackend")]
    assert [row.split("|")[2].strip() for row in rows] == ["0", "2"]
    plain, with_truth = eval_json(capsys, tmp_path)[1], eval_json(capsys, tmp_path, "--reference-truth")[1]
    assert with_truth["reference"] == "truth"
    assert with_truth["samples"][0]["psnr"] > plain["samples"][0]["psnr"] + 1.0
