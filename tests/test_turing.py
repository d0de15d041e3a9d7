"""The Turing test without Qt: the plan of rounds, the Wilson interval, scores, the CSV file and `tinct turing report`."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from desktop.cli import main
from desktop.turing.contenders import changed_options, contenders_for
from desktop.turing.pairs import DISPLAY_SIDE, Pair, PairFailed, for_display, make_pairs, read_color_photo
from desktop.turing.plan import COLORIZED, LEFT, REAL, RIGHT, SKIPPED, Answer, Round, TuringTest, plan_rounds, ready_rounds
from desktop.turing.results_file import FILE_PREFIX, ResultsFileError, read_results, results_path, write_results
from desktop.turing.stats import scores, standouts, wilson_interval
from fakes import backend_class, flat_samples, make_plugin
from plugins.color import srgb_to_lightness
from plugins.errors import ImageError
from plugins.host import PluginHost
from plugins.types import BackendOption, ColorizerInfo

STARTED = datetime(2025, 3, 4, 5, 6, 7)


# -- the Wilson interval ------------------------------------------------------------------------------


@pytest.mark.parametrize("successes, trials, low, high", [
    # Newcombe (1998), "Two-sided confidence intervals for the single proportion", Table I, method 3
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0, 0.1611),
    (1, 29, 0.0061, 0.1718),
    (29, 29, 0.8830, 1.0),
])
def test_wilson_interval_matches_published_values(successes, trials, low, high):
    assert wilson_interval(successes, trials) == pytest.approx((low, high), abs=5e-5)


def test_wilson_interval_without_trials_knows_nothing_and_refuses_impossible_counts():
    assert wilson_interval(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError):
        wilson_interval(5, 4)


# -- the plan ----------------------------------------------------------------------------------------


def test_each_photo_is_shown_once_and_contenders_get_equal_shares():
    photos = [Path(f"p{i}.jpg") for i in range(11)]
    rounds = plan_rounds(photos, ["a", "b", "c"], random.Random(4))
    assert len(rounds) == 11 and len({r.photo for r in rounds}) == 11
    shares = sorted(sum(r.contender == c for r in rounds) for c in "abc")
    assert shares == [3, 4, 4]
    assert [r.number for r in rounds] == list(range(1, 12))
    assert {r.real_side for r in rounds} == {LEFT, RIGHT}


def test_a_limit_takes_fewer_photos_and_the_order_is_not_the_folders():
    photos = [Path(f"p{i:02}.jpg") for i in range(40)]
    rounds = plan_rounds(photos, ["a", "b"], random.Random(1), limit=10)
    assert len(rounds) == 10 and len({r.photo for r in rounds}) == 10
    assert [r.photo for r in rounds] != sorted(r.photo for r in rounds)
    with pytest.raises(ValueError):
        plan_rounds(photos, ["a", "a"], random.Random(1))


def test_rounds_whose_pictures_failed_are_left_out_and_numbered_again():
    rounds = plan_rounds([Path(f"p{i}.jpg") for i in range(5)], ["a"], random.Random(2))
    kept = ready_rounds(rounds, {2, 4, 5})
    assert [r.number for r in kept] == [1, 2, 3]
    assert [r.photo for r in kept] == [rounds[1].photo, rounds[3].photo, rounds[4].photo]


def test_answers_say_who_was_fooled_and_a_stopped_test_keeps_them():
    rounds = [Round(1, Path("a.jpg"), "x", LEFT), Round(2, Path("b.jpg"), "y", RIGHT), Round(3, Path("c.jpg"), "x", LEFT)]
    test = TuringTest(rounds, shown_s=1.6)
    assert test.answer(RIGHT, 0.9).picked == COLORIZED  # the real photo was on the left
    assert test.skip(2.0).fooled is None
    test.stop()
    assert test.finished and test.current() is None
    assert [(a.round.photo.name, a.picked, a.fooled) for a in test.answers] == [("a.jpg", COLORIZED, True),
                                                                                 ("b.jpg", SKIPPED, None)]
    with pytest.raises(RuntimeError):
        test.answer(LEFT, 1.0)


# -- scores ------------------------------------------------------------------------------------------


def answers_of(rows) -> list[Answer]:
    """``rows``: (contender, picked, seconds) per round."""
    return [Answer(Round(n, Path(f"p{n}.jpg"), contender, LEFT), picked, seconds, 1.6)
            for n, (contender, picked, seconds) in enumerate(rows, start=1)]


def test_scores_count_fooled_rounds_and_leave_skips_out_of_the_rate():
    answers = answers_of([("x", COLORIZED, 1.0), ("x", REAL, 0.5), ("x", SKIPPED, 3.0), ("x", COLORIZED, 2.0),
                          ("y", REAL, 0.4), ("y", REAL, 0.7)])
    table = {s.contender: s for s in scores(answers, ["x", "y", "z"])}
    assert (table["x"].fooled, table["x"].rounds, table["x"].skipped) == (2, 3, 1)
    assert table["x"].rate == pytest.approx(2 / 3)
    assert (table["x"].low, table["x"].high) == pytest.approx(wilson_interval(2, 3))
    assert (table["y"].fooled, table["y"].rounds) == (0, 2)
    assert table["z"].rounds == 0 and table["z"].rate is None
    assert [s.contender for s in scores(answers, ["y", "z", "x"])] == ["x", "y", "z"]  # best fooler first


def test_standouts_are_the_fastest_fooled_and_the_fastest_told_apart():
    answers = answers_of([("x", COLORIZED, 2.0), ("x", COLORIZED, 0.8), ("y", REAL, 1.5), ("y", REAL, 0.3),
                          ("y", SKIPPED, 0.1)])
    best, worst = standouts(answers, count=1)
    assert [a.seconds for a in best] == [0.8] and [a.seconds for a in worst] == [0.3]


# -- the results file ----------------------------------------------------------------------------------


def test_results_round_trip_through_the_csv(tmp_path):
    answers = answers_of([("cic", COLORIZED, 1.25), ("regression (temperature 0.4)", REAL, 0.5),
                          ("cic", SKIPPED, 3.0)])
    path = write_results(results_path(tmp_path, STARTED), answers, STARTED)
    assert path.name == f"{FILE_PREFIX}20250304-050607.csv"
    assert read_results(path) == answers
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left


def test_a_second_test_in_the_same_second_gets_a_file_of_its_own(tmp_path):
    first = write_results(results_path(tmp_path, STARTED), answers_of([("a", REAL, 1.0)]), STARTED)
    second = write_results(results_path(tmp_path, STARTED), answers_of([("b", REAL, 1.0)]), STARTED)
    assert first != second and read_results(first)[0].round.contender == "a"


@pytest.mark.parametrize("text, words", [
    ("name,score\nx,1\n", "no column"),
    ("test,round,photo,backend,real_side,answer,fooled,seconds,shown_s\nt,1,a.jpg,x,left,maybe,1,1.0,1.6\n", "line 2: answer"),
    ("test,round,photo,backend,real_side,answer,fooled,seconds,shown_s\nt,1,a.jpg,x,left,real,1,1.0,1.6\n", "line 2: fooled"),
    ("test,round,photo,backend,real_side,answer,fooled,seconds,shown_s\nt,1,a.jpg,x,up,real,0,1.0,1.6\n", "real_side"),
    ("test,round,photo,backend,real_side,answer,fooled,seconds,shown_s\nt,one,a.jpg,x,left,real,0,1.0,1.6\n", "numbers"),
    ("test,round,photo,backend,real_side,answer,fooled,seconds,shown_s\nt,1,a.jpg\n", "fields"),
])
def test_a_bad_results_file_gets_one_line_that_says_what_is_wrong(tmp_path, text, words):
    path = tmp_path / "results.csv"
    path.write_text(text)
    with pytest.raises(ResultsFileError) as caught:
        read_results(path)
    assert words in str(caught.value) and "\n" not in str(caught.value)


# -- tinct turing report -------------------------------------------------------------------------------


def test_report_prints_the_table_and_json(tmp_path, capsys):
    answers = answers_of([("cic", COLORIZED, 1.0)] * 3 + [("cic", REAL, 1.0)] + [("regression", REAL, 1.0)] * 4
                         + [("regression", SKIPPED, 1.0)])
    path = write_results(tmp_path / "r.csv", answers, STARTED)
    assert main(["turing", "report", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["backend", "fooled", "rounds", "fool", "rate", "95%", "interval", "skipped"]
    assert lines[1].split() == ["cic", "3", "4", "75", "%", "30–95", "%", "0"]
    assert lines[2].split() == ["regression", "0", "4", "0", "%", "0–49", "%", "1"]
    assert main(["turing", "report", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    cic = report["backends"][0]
    assert (cic["backend"], cic["fooled"], cic["rounds"], cic["skipped"]) == ("cic", 3, 4, 0)
    assert cic["interval"] == pytest.approx([0.3006, 0.9544], abs=5e-5)
    assert report["backends"][1]["fool_rate"] == 0.0


@pytest.mark.parametrize("content", [None, "not,a,results\nfile,at,all\n", b"\xff\xfe\x00garbage"])
def test_report_of_a_bad_file_is_one_line_and_exit_2(tmp_path, capsys, content):
    path = tmp_path / "bad.csv"
    if isinstance(content, str):
        path.write_text(content)
    elif content is not None:
        path.write_bytes(content)
    assert main(["turing", "report", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.startswith("error: ") and captured.err.count("\n") == 1


# -- contenders and pictures -------------------------------------------------------------------------


def test_contenders_are_the_backends_at_their_defaults_and_the_windows_options_when_changed():
    from desktop.state.settings import ColorizeSettings

    info = ColorizerInfo(id="warm", name="Warm", version="1", license="MIT", has_temperature=True,
                         default_temperature=0.5, params=(BackendOption("smoothing", "Smoothing", 0.5, 0.0, 1.0),))
    entries = PluginHost.discover([make_plugin("p", type("W", (backend_class("warm", flat_samples()),), {"info": info}),
                                                backend_class("cool", flat_samples()))], entry_points=False).backends
    current = ColorizeSettings(backend_id="warm", samples=4, temperature=0.5, params={"smoothing": 0.5})
    assert [c.label for c in contenders_for(entries, current)] == ["warm", "cool"]
    changed = current.with_changes(temperature=0.25, params={"smoothing": 0.8})
    assert changed_options(info, changed) == ["temperature 0.25", "smoothing 0.8"]
    contenders = contenders_for(entries, changed)
    assert contenders[-1].label == "warm (temperature 0.25, smoothing 0.8)"
    assert contenders[-1].settings.params == {"smoothing": 0.8} and contenders[-1].settings.samples == 1
    assert contenders[0].settings.params == {} and contenders[0].settings.temperature is None


def color_photo(path: Path, size=(300, 200), tint=(150, 110, 90)) -> Path:
    width, height = size
    ramp = np.linspace(0.6, 1.2, width, dtype=np.float32)[None, :, None] * np.ones((height, 1, 1), np.float32)
    Image.fromarray(np.clip(ramp * np.array(tint, np.float32), 0, 255).astype(np.uint8)).save(path)
    return path


def test_both_pictures_of_a_pair_have_the_same_crop_and_size(tmp_path):
    host = PluginHost.discover([make_plugin("p", backend_class("flat", flat_samples(0.0)))], entry_points=False)
    photo = color_photo(tmp_path / "a.png", size=(900, 500))
    gray = tmp_path / "g.png"
    Image.fromarray(np.full((100, 120), 128, np.uint8)).save(gray)
    rounds = [Round(1, photo, "flat", LEFT), Round(2, gray, "flat", RIGHT), Round(3, tmp_path / "missing.png", "gone", LEFT)]
    settings = SimpleNamespace(backend_id="flat", device="cpu", seed=0, working_size=0, temperature=None, params={})
    broken = SimpleNamespace(**{**vars(settings), "backend_id": "nope"})
    events = [e for e in make_pairs(host, rounds, {"flat": settings, "gone": broken}) if isinstance(e, (Pair, PairFailed))]
    pairs = [e for e in events if isinstance(e, Pair)]
    failed = {e.number: e.reason for e in events if isinstance(e, PairFailed)}
    assert [p.number for p in pairs] == [1]
    pair = pairs[0]
    assert pair.real.shape == pair.colorized.shape == (DISPLAY_SIDE, DISPLAY_SIDE, 3)
    expected = for_display(read_color_photo(photo))
    assert np.array_equal(pair.real, expected)  # the real photo, only shrunk and cropped
    # the flat (a, b) = 0 colorization is the gray version: neutral, with the real photo's lightness
    assert np.abs(pair.colorized[..., 0].astype(int) - pair.colorized[..., 2]).max() <= 1
    lightness = [srgb_to_lightness(p.astype(np.float32) / 255) for p in (pair.real, pair.colorized)]
    assert np.abs(lightness[0] - lightness[1]).mean() < 1.0
    assert "not a color photo" in failed[2] and "nope" in failed[3]
    assert "flat" not in failed[2]  # a round's reason never names its contender


def test_reading_a_gray_or_broken_file_says_so_in_one_line(tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a jpeg")
    with pytest.raises(ImageError) as caught:
        read_color_photo(broken)
    assert "\n" not in str(caught.value)


def test_the_report_and_the_tests_logic_import_no_qt():
    modules = ("desktop.cli", "desktop.commands.turing", "desktop.turing.plan", "desktop.turing.stats",
               "desktop.turing.results_file", "desktop.turing.contenders", "desktop.turing.pairs")
    code = f"import sys; import {', '.join(modules)}; print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6'))))"
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
