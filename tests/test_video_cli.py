"""``tinct colorize`` with clips: names, exit codes, bad clips in a batch, --temporal, --sample, Ctrl-C."""

from __future__ import annotations

import numpy as np
import pytest
from fakes import backend_class, flat_samples, make_plugin
from PIL import Image
from video_clips import FlickeringColorizer, panning_frames, read_all, streams, write_clip

from desktop.cli import EXIT_USAGE, main
from plugins.color import srgb_to_lab
from plugins.host import PluginHost
from plugins.host.video.flicker import warping_error
from plugins.host.video.flow import lands_inside

BACKEND = ["--backend", "testbackend"]


def run_cli(capsys, *args) -> tuple[int, list[str]]:
    code = main([str(a) for a in args])
    return code, [line for line in capsys.readouterr().err.splitlines() if line]


@pytest.fixture
def only_backend(monkeypatch):
    """Make ``tinct`` find just the given backend class."""

    def install(cls):
        discover = PluginHost.discover.__func__
        monkeypatch.setattr(PluginHost, "discover",
                            classmethod(lambda host, *_, **__: discover(host, [make_plugin(cls.info.id, cls)],
                                                                        entry_points=False)))

    return install


def test_a_clip_becomes_stem_backend_mp4_with_its_frames_and_sound(tmp_path, capsys):
    clip = write_clip(tmp_path / "reel.mov", panning_frames(10, (64, 48)), fps="10", audio_seconds=1.0)
    code, err = run_cli(capsys, "colorize", clip, "-o", tmp_path / "out", *BACKEND)
    assert code == 0, err
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["reel.testbackend.mp4"]
    result = tmp_path / "out" / "reel.testbackend.mp4"
    frames = read_all(result)
    assert len(frames) == 10 and frames[0].shape == (48, 64, 3)
    assert any("Audio: aac" in line for line in streams(result))


def test_bad_clips_fail_one_line_each_and_the_batch_goes_on(tmp_path, capsys):
    good = write_clip(tmp_path / "good.mp4", panning_frames(6))
    whole = write_clip(tmp_path / "whole.mkv", panning_frames(40))
    (tmp_path / "truncated.mkv").write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    whole.unlink()
    (tmp_path / "notes.mp4").write_text("not a video at all\n" * 20)
    (tmp_path / "empty.webm").write_bytes(b"")
    unknown = write_clip(tmp_path / "unknown.avi", panning_frames(4))
    unknown.write_bytes(unknown.read_bytes().replace(b"MJPG", b"QQQQ").replace(b"mjpg", b"qqqq"))  # a codec no one knows
    Image.fromarray(panning_frames(1)[0]).save(tmp_path / "photo.png")
    out = tmp_path / "out"
    code, err = run_cli(capsys, "colorize", tmp_path, "-o", out, *BACKEND)
    assert code == 2
    assert sorted(p.name for p in out.iterdir()) == ["good.testbackend.mp4", "photo.testbackend.1.png"]
    assert len(read_all(out / "good.testbackend.mp4")) == 6
    assert len(err) == 4 and all(line.startswith("error: ") for line in err), err
    for name, reason in (("truncated.mkv", "truncated"), ("notes.mp4", "cannot be read"),
                         ("empty.webm", "cannot be read"), ("unknown.avi", "cannot be read")):
        assert any(name in line and reason in line for line in err), (name, err)
    assert good.exists()


def test_a_second_run_does_not_colorize_the_first_runs_clips(tmp_path, capsys):
    folder = tmp_path / "reels"
    folder.mkdir()
    write_clip(folder / "a.mp4", panning_frames(3))
    assert run_cli(capsys, "colorize", folder, "-o", folder, *BACKEND)[0] == 0
    code, err = run_cli(capsys, "colorize", folder, "-o", folder, "--overwrite", *BACKEND)
    assert code == 0, err
    assert sorted(p.name for p in folder.iterdir()) == ["a.mp4", "a.testbackend.mp4"]


def test_a_sample_the_backend_cannot_make_is_a_usage_error(tmp_path, capsys):
    clip = write_clip(tmp_path / "c.mp4", panning_frames(3))
    code, err = run_cli(capsys, "colorize", clip, "-o", tmp_path / "out", "--sample", 9, *BACKEND)
    assert code == EXIT_USAGE and "no sample 9" in err[-1]
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def flicker_of(path) -> float:
    abs_ = [srgb_to_lab(f / 255.0)[..., 1:] for f in read_all(path)]
    flow = np.zeros(abs_[0].shape[:2] + (2,), np.float32)
    flow[..., 0] = -2  # panning_frames' step
    return float(np.mean([warping_error(a, b, flow, lands_inside(flow)) for a, b in zip(abs_, abs_[1:])]))


def test_temporal_off_flickers_and_on_does_not(tmp_path, capsys, only_backend):
    only_backend(FlickeringColorizer)
    clip = write_clip(tmp_path / "pan.mkv", panning_frames(14, (96, 64)))
    figures = {}
    for mode in ("off", "on"):
        code, err = run_cli(capsys, "colorize", clip, "-o", tmp_path / mode, "--temporal", mode)
        assert code == 0, err
        figures[mode] = flicker_of(tmp_path / mode / "pan.flicker.mp4")
    assert figures["on"] < 0.5 * figures["off"]


def test_ctrl_c_stops_and_leaves_no_partial_file(tmp_path, capsys, only_backend):
    calls = []

    def colorize(self, lightness, options):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        yield from flat_samples()(self, lightness, options)

    only_backend(backend_class("interrupted", colorize))
    clip = write_clip(tmp_path / "long.mp4", panning_frames(12))
    code, err = run_cli(capsys, "colorize", clip, "-o", tmp_path / "out")
    assert code == 130 and err[-1] == "interrupted"
    assert list((tmp_path / "out").iterdir()) == []


def test_hints_are_left_out_of_clips_with_a_note(tmp_path, capsys):
    clip = write_clip(tmp_path / "c.mp4", panning_frames(3, (64, 48)))
    hints = tmp_path / "hints.json"
    hints.write_text('[{"x": 500, "y": 400, "color": "#b02a2a"}]')  # outside the clip: it would fail a photo
    code, err = run_cli(capsys, "colorize", clip, "-o", tmp_path / "out", "--hints", hints, *BACKEND)
    assert code == 0, err
    assert any("apply to photos only" in line for line in err)
    assert len(read_all(tmp_path / "out" / "c.testbackend.mp4")) == 3
