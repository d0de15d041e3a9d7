"""The ``tinct`` command line: naming, seeds, exit codes and the bad-input battery."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
import tinct_testbackend
from PIL import Image

from desktop.cli import EXIT_USAGE, main
from plugins.color import srgb_to_lab

BACKEND = ["--backend", "testbackend"]


def gray_photo(path: Path, size=(120, 80)) -> Path:
    ramp = np.tile(np.linspace(0, 255, size[0], dtype=np.uint8), (size[1], 1))
    Image.fromarray(ramp, "L").save(path)
    return path


def png_header_only(path: Path, width: int, height: int) -> Path:
    """A PNG whose header claims ``width × height``: a decompression bomb's calling card."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunk = lambda kind, data: struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))
    return path


def run_cli(capsys, *args) -> tuple[int, list[str], str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, [line for line in captured.err.splitlines() if line], captured.out


def test_outputs_are_named_stem_backend_k(tmp_path, capsys):
    photo = gray_photo(tmp_path / "grandma.png")
    code, err, _ = run_cli(capsys, "colorize", photo, "-o", tmp_path / "out", "--samples", 3, *BACKEND)
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        f"grandma.testbackend.{k}.png" for k in (1, 2, 3)
    ]
    with Image.open(tmp_path / "out" / "grandma.testbackend.1.png") as result:
        assert result.size == (120, 80) and result.mode == "RGB"


def test_the_same_seed_gives_the_same_samples(tmp_path, capsys):
    photo = gray_photo(tmp_path / "p.png")
    outputs = []
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        assert run_cli(capsys, "colorize", photo, "-o", tmp_path / name, "--seed", seed, *BACKEND)[0] == 0
        outputs.append((tmp_path / name / "p.testbackend.1.png").read_bytes())
    assert outputs[0] == outputs[1]
    assert outputs[0] != outputs[2]


def test_formats_and_folders(tmp_path, capsys):
    folder = tmp_path / "album"
    (folder / "inner").mkdir(parents=True)
    gray_photo(folder / "one.png")
    gray_photo(folder / "inner" / "two.jpg")
    (folder / "notes.txt").write_text("not a photo")
    code, err, _ = run_cli(capsys, "colorize", folder, "-o", tmp_path / "flat", "--format", "jpg", *BACKEND)
    assert code == 0, err
    assert [p.name for p in (tmp_path / "flat").rglob("*.jpg")] == ["one.testbackend.1.jpg"]
    code, err, _ = run_cli(capsys, "colorize", folder, "-r", "-o", tmp_path / "deep", "--format", "tif", *BACKEND)
    assert code == 0, err
    assert (tmp_path / "deep" / "inner" / "two.testbackend.1.tif").is_file()


def test_a_second_run_does_not_colorize_the_first_runs_results(tmp_path, capsys):
    folder = tmp_path / "album"
    folder.mkdir()
    gray_photo(folder / "a.png")
    assert run_cli(capsys, "colorize", folder, "-o", folder, *BACKEND)[0] == 0  # beside the photos
    assert run_cli(capsys, "colorize", folder, "-r", "-o", folder / "colorized", *BACKEND)[0] == 0  # inside
    code, err, _ = run_cli(capsys, "colorize", folder, "-r", "-o", folder / "colorized", "--overwrite", *BACKEND)
    assert code == 0, err
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.png")) == [
        "a.png", "a.testbackend.1.png", "colorized/a.testbackend.1.png",
    ]  # fmt: skip


def test_an_output_folder_above_the_input_folder_keeps_every_photo(tmp_path, capsys, monkeypatch):
    folder = tmp_path / "album"
    folder.mkdir()
    gray_photo(folder / "a.png")
    monkeypatch.chdir(folder)
    code, err, _ = run_cli(capsys, "colorize", ".", "-r", "-o", "..", *BACKEND)
    assert code == 0, err
    assert (tmp_path / "a.testbackend.1.png").is_file()


def test_photos_that_share_a_name_get_results_that_do_not(tmp_path, capsys):
    folder = tmp_path / "same"
    folder.mkdir()
    gray_photo(folder / "x.png")
    gray_photo(folder / "x.jpg")
    code, err, _ = run_cli(capsys, "colorize", folder, "-o", tmp_path / "out", *BACKEND)
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["x.jpg.testbackend.1.png", "x.png.testbackend.1.png"]


@pytest.mark.parametrize("option, value", [("--temperature", "nan"), ("--temperature", "inf"), ("--quality", "0"),
                                           ("--seed", "-1"), ("--seed", str(2**32))])
def test_numbers_out_of_range_are_refused_by_the_parser(tmp_path, capsys, option, value):
    with pytest.raises(SystemExit) as stop:
        run_cli(capsys, "colorize", gray_photo(tmp_path / "p.png"), "-o", tmp_path / "out", option, value, *BACKEND)
    assert stop.value.code == EXIT_USAGE and "must be" in capsys.readouterr().err


def test_existing_results_are_kept_unless_overwrite(tmp_path, capsys):
    photo = gray_photo(tmp_path / "p.png")
    out = tmp_path / "out"
    assert run_cli(capsys, "colorize", photo, "-o", out, *BACKEND)[0] == 0
    target = out / "p.testbackend.1.png"
    target.write_bytes(b"keep me")
    code, err, _ = run_cli(capsys, "colorize", photo, "-o", out, *BACKEND)
    assert code == 2 and target.read_bytes() == b"keep me"
    assert err == [f"error: {photo}: {target} already exists (use --overwrite to replace it)"]
    assert run_cli(capsys, "colorize", photo, "-o", out, "--overwrite", *BACKEND)[0] == 0
    assert target.read_bytes().startswith(b"\x89PNG")


def make_battery(folder: Path) -> dict[str, Path]:
    folder.mkdir()
    good = gray_photo(folder / "good.png")
    jpeg = folder / "full.jpg"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (200, 300), dtype=np.uint8)).save(jpeg, quality=90)
    truncated_jpg = folder / "truncated.jpg"
    truncated_jpg.write_bytes(jpeg.read_bytes()[: len(jpeg.read_bytes()) // 2])
    truncated_png = folder / "truncated.png"
    truncated_png.write_bytes(good.read_bytes()[:-40])
    empty = folder / "empty.png"
    empty.touch()
    text = folder / "letter.jpg"
    text.write_text("Dear diary, this is not a JPEG.\n")
    a_dir = folder / "a_folder.jpg"
    a_dir.mkdir()
    tiny = folder / "tiny.png"
    Image.new("L", (1, 1)).save(tiny)
    thin = folder / "thin.png"
    Image.new("L", (30000, 10)).save(thin)
    bomb = png_header_only(folder / "bomb.png", 100_000, 100_000)
    return {
        "good": good,
        "empty": empty,
        "truncated_jpg": truncated_jpg,
        "truncated_png": truncated_png,
        "text": text,
        "dir": a_dir,
        "missing": folder / "missing.jpg",
        "tiny": tiny,
        "thin": thin,
        "bomb": bomb,
    }


def test_bad_input_battery_one_line_each_exit_2_rest_unharmed(tmp_path, capsys):
    battery = make_battery(tmp_path / "in")
    order = ["empty", "truncated_jpg", "good", "truncated_png", "text", "dir", "missing", "tiny", "thin", "bomb"]
    out = tmp_path / "out"
    code, err, _ = run_cli(capsys, "colorize", *(battery[k] for k in order), "-o", out, *BACKEND)
    assert code == 2
    errors = {line.split(": ")[1]: line for line in err if line.startswith("error: ")}
    bad = [k for k in order if k != "good"]
    assert set(errors) == {str(battery[k]) for k in bad}, err
    assert not any("Traceback" in line for line in err)
    assert len(err) == len(bad)  # one line each, nothing else
    assert (out / "good.testbackend.1.png").is_file()
    assert [p.name for p in out.iterdir()] == ["good.testbackend.1.png"]  # no temp files left behind
    reasons = {k: errors[str(battery[k])].split(": ", 2)[2] for k in bad}
    assert "empty" in reasons["empty"]
    assert "truncated" in reasons["truncated_jpg"] or "corrupt" in reasons["truncated_jpg"]
    assert "truncated" in reasons["truncated_png"] or "corrupt" in reasons["truncated_png"]
    assert "not an image" in reasons["text"]
    assert "no such file" in reasons["missing"]
    assert "limit" in reasons["bomb"] and "MP" in reasons["bomb"]
    assert "1×1" in reasons["tiny"] and "30000×10" in reasons["thin"]


def test_an_animated_gif_uses_its_first_frame_and_says_so(tmp_path, capsys):
    frames = [Image.new("L", (64, 48), value) for value in (40, 200, 120)]
    gif = tmp_path / "anim.gif"
    frames[0].save(gif, save_all=True, append_images=frames[1:], duration=100, loop=0)
    code, err, _ = run_cli(capsys, "colorize", gif, "-o", tmp_path / "out", *BACKEND)
    assert code == 0
    assert any(line.startswith(f"note: {gif}:") and "first" in line and "3 frames" in line for line in err), err
    with Image.open(tmp_path / "out" / "anim.testbackend.1.png") as result:
        assert abs(np.asarray(result.convert("L"), dtype=float).mean() - 40) < 3


def test_a_color_photo_is_used_as_black_and_white_and_the_user_is_told(tmp_path, capsys):
    photo = tmp_path / "color.png"
    Image.new("RGB", (64, 64), (200, 30, 30)).save(photo)  # L* 43.2, a* 63.0, b* 45.2
    code, err, _ = run_cli(capsys, "colorize", photo, "-o", tmp_path / "out", "--param", "chroma=30", "--seed", 0, *BACKEND)
    assert code == 0 and any("lightness" in line for line in err), err
    with Image.open(tmp_path / "out" / "color.testbackend.1.png") as result:
        lab = srgb_to_lab(np.asarray(result.convert("RGB"), dtype=np.float32).reshape(-1, 3) / 255.0)
    (photo_lab,) = srgb_to_lab(np.array([[200, 30, 30]], np.float32) / 255.0)
    # The photo's lightness, everywhere; the test backend's flat color (seed 0, one sample: hue 0°, chroma 30,
    # so a* 30, b* 0) in place of the photo's red.
    assert np.abs(lab[:, 0] - photo_lab[0]).max() < 0.5
    assert np.abs(lab[:, 1:] - tinct_testbackend.sample_ab(0, 0, 1, 30.0)).max() < 1.0


def test_an_output_folder_that_cannot_be_written_is_one_line_exit_2(tmp_path, capsys):
    photo = gray_photo(tmp_path / "p.png")
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    code, err, _ = run_cli(capsys, "colorize", photo, "-o", blocker / "out", *BACKEND)
    assert code == 2
    assert len(err) == 1 and err[0].startswith(f"error: {blocker / 'out'}: cannot write to the output folder")


def test_usage_errors_exit_1(tmp_path, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["colorize", str(tmp_path)])  # no -o
    assert exited.value.code == 1
    with pytest.raises(SystemExit) as exited:
        main(["colorize", "x.png", "-o", str(tmp_path), "--samples", "0"])
    assert exited.value.code == 1


def test_an_unknown_backend_is_a_usage_error_said_in_one_line(tmp_path, capsys):
    code, err, _ = run_cli(capsys, "colorize", gray_photo(tmp_path / "p.png"), "-o", tmp_path / "out", "--backend", "nope")
    assert code == EXIT_USAGE and len(err) == 1 and err[0].startswith("error: no backend 'nope' is installed")
    assert not (tmp_path / "out").exists()  # nothing was done


@pytest.mark.parametrize("option, value, says", [("--size", "10", "must be between 32 and 2048"),
                                                 ("--size", "abc", "must be a whole number, not 'abc'"),
                                                 ("--samples", "many", "must be a whole number")])
def test_option_values_are_checked_by_the_parser_in_words(tmp_path, capsys, option, value, says):
    with pytest.raises(SystemExit) as stop:
        run_cli(capsys, "colorize", gray_photo(tmp_path / "p.png"), "-o", tmp_path / "out", option, value, *BACKEND)
    err = capsys.readouterr().err
    assert stop.value.code == EXIT_USAGE and says in err and "positive_int" not in err


def test_a_device_this_machine_lacks_is_a_usage_error(tmp_path, capsys, monkeypatch):
    from plugins.host import devices

    monkeypatch.setattr(devices, "available_devices", lambda: [devices.DeviceInfo("cpu", "CPU")])
    code, err, _ = run_cli(capsys, "colorize", gray_photo(tmp_path / "p.png"), "-o", tmp_path / "out", "--device", "cuda",
                           *BACKEND)
    assert code == EXIT_USAGE and err == ["error: device cuda is not available on this machine"]


def test_plugins_list_shows_the_installed_test_backend(capsys):
    code, _, out = run_cli(capsys, "plugins", "list", "--json")
    report = json.loads(out)
    [entry] = [b for b in report["backends"] if b["id"] == "testbackend"]
    assert entry["distribution"] == "tinct-testbackend"
    assert entry["weights"] == "none needed" and entry["max_samples"] == 8 and "cpu" in entry["devices"]
    assert entry["description"] == "Paints each sample one known flat color. For tests only."
    assert entry["options"] == [{"name": "chroma", "kind": "number", "default": 30.0, "minimum": 0.0, "maximum": 60.0,
                                 "choices": [], "help": "How colorful each sample is."}]
    ids = [b["id"] for b in report["backends"]]
    assert ids == sorted(ids) and {"regression", "cic", "testbackend"} <= set(ids)
    code, _, out = run_cli(capsys, "plugins", "list")
    assert code == 0 and "testbackend 1.0.0" in out and "from tinct-testbackend, license Apache-2.0" in out
    assert "testbackend 1.0.0  (Test backend (flat colors))\n    Paints each sample one known flat color." in out
    assert "    option chroma=30 (0..60): How colorful each sample is." in out
    listed = [line.split()[0] for line in out.splitlines() if line and not line.startswith(" ")]
    assert listed == sorted(listed)


def test_devices_lists_the_cpu(capsys):
    code, _, out = run_cli(capsys, "devices")
    assert code == 0 and "cpu" in out


def test_the_console_script_prints_no_traceback_and_is_quiet_when_piped(tmp_path):
    tinct = Path(sys.executable).with_name("tinct")
    photo = gray_photo(tmp_path / "p.png")
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff garbage")
    result = subprocess.run(
        [str(tinct), "colorize", str(photo), str(tmp_path / "broken.jpg"), "-o", str(tmp_path / "out"), *BACKEND],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [f"error: {tmp_path / 'broken.jpg'}: not an image file (or an unsupported format)"]
    assert "Traceback" not in result.stderr


def test_debug_is_taken_before_or_after_the_command():
    from desktop.cli import build_parser

    parser = build_parser()
    assert parser.parse_args(["colorize", "a.png", "-o", "out", "--debug"]).debug
    assert parser.parse_args(["--debug", "colorize", "a.png", "-o", "out"]).debug
    assert not parser.parse_args(["colorize", "a.png", "-o", "out"]).debug


def test_param_sets_a_backend_option_and_a_bad_one_is_refused(tmp_path, capsys):
    photo = gray_photo(tmp_path / "p.png")
    assert run_cli(capsys, "colorize", photo, "-o", tmp_path / "gray", "--param", "chroma=0", *BACKEND)[0] == 0
    assert run_cli(capsys, "colorize", photo, "-o", tmp_path / "vivid", "--param", "chroma=60", *BACKEND)[0] == 0
    with Image.open(tmp_path / "gray" / "p.testbackend.1.png") as gray, Image.open(tmp_path / "vivid" / "p.testbackend.1.png") as vivid:
        gray_rgb, vivid_rgb = np.asarray(gray, np.int16), np.asarray(vivid, np.int16)
    assert np.ptp(gray_rgb, axis=-1).max() <= 1 and np.ptp(vivid_rgb, axis=-1).max() > 20
    code, err, _ = run_cli(capsys, "colorize", photo, "-o", tmp_path / "x", "--param", "nope=1", *BACKEND)
    assert code == EXIT_USAGE and err == ["error: testbackend has no option 'nope'"]
    code, err, _ = run_cli(capsys, "colorize", photo, "-o", tmp_path / "x", "--param", "chroma=lots", *BACKEND)
    assert code == EXIT_USAGE and err == ["error: testbackend: option chroma is a number from 0 to 60, not 'lots'"]
    with pytest.raises(SystemExit) as stop:
        run_cli(capsys, "colorize", photo, "-o", tmp_path / "x", "--param", "chroma", *BACKEND)
    assert stop.value.code == EXIT_USAGE and "NAME=VALUE" in capsys.readouterr().err
