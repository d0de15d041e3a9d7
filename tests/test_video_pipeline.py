"""plugins.host.video: clips in, H.264 .mp4 out with the same size, rate, frame count and audio; atomic."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import tinct_testbackend
from fakes import backend_class, flat_samples, make_plugin
from video_clips import panning_frames, read_all, streams, write_clip

from plugins.color import srgb_to_lab
from plugins.errors import PluginError
from plugins.host import PluginHost, build_options
from plugins.host.video import ClipReader, VideoError, VideoNote, VideoProgress, colorize_video
from plugins.host.video.ffmpeg import FFMPEG_ENV
from plugins.host.video.writer import ClipWriter


@pytest.fixture
def backend():
    return PluginHost.discover([tinct_testbackend], entry_points=False).loaded("testbackend", "cpu")


def options_for(backend, **kwargs):
    return build_options(backend.info, device="cpu", **kwargs)[0]


def run(backend, source, target, **kwargs) -> list:
    return list(colorize_video(backend, source, target, options_for(backend), **kwargs))


@pytest.mark.parametrize("suffix, fps", [(".mp4", "12"), (".mov", "30000/1001"), (".mkv", "25"), (".webm", "24"),
                                         (".avi", "15")])
def test_size_frame_rate_and_frame_count_are_kept(tmp_path, backend, suffix, fps):
    source = write_clip(tmp_path / f"clip{suffix}", panning_frames(9, (80, 48)), fps=fps)
    events = run(backend, source, tmp_path / "out.mp4")
    assert events[-1] == tmp_path / "out.mp4"
    assert [e.frames_done for e in events if isinstance(e, VideoProgress)] == list(range(1, 10))
    with ClipReader(tmp_path / "out.mp4") as result:
        assert result.info.size == (80, 48)
        assert result.info.fps == Fraction(fps)
        frames = list(result.frames())
    assert len(frames) == 9
    assert "Video: h264" in streams(tmp_path / "out.mp4")[0] and "yuv420p" in streams(tmp_path / "out.mp4")[0]


def test_frames_take_the_backends_colors_and_keep_the_lightness(tmp_path, backend):
    frames = panning_frames(4, (64, 48))
    source = write_clip(tmp_path / "clip.mkv", frames)  # lossless in
    run(backend, source, tmp_path / "out.mp4")
    colored = read_all(tmp_path / "out.mp4")
    saturation = [np.ptp(f.astype(int), axis=2).mean() for f in colored]
    assert min(saturation) > 10  # gray in, color out
    gray_in = frames[2][..., 0].astype(float)
    gray_out = colored[2].astype(float) @ [0.299, 0.587, 0.114]
    assert np.corrcoef(gray_in.ravel(), gray_out.ravel())[0, 1] > 0.95


@pytest.mark.parametrize("suffix, codec", [(".mp4", "aac"), (".webm", "opus"), (".avi", "pcm_s16le")])
def test_the_audio_track_is_carried_over(tmp_path, backend, suffix, codec):
    source = write_clip(tmp_path / f"tone{suffix}", panning_frames(12), fps="12", audio_seconds=1.0)
    assert any(f"Audio: {codec}" in line for line in streams(source))
    events = run(backend, source, tmp_path / "out.mp4")
    audio = [line for line in streams(tmp_path / "out.mp4") if "Audio:" in line]
    assert len(audio) == 1 and "Audio: aac" in audio[0]
    notes = [e.message for e in events if isinstance(e, VideoNote)]
    assert any("re-encoded as AAC" in note for note in notes) == (codec != "aac")


def test_a_clip_without_audio_gets_none(tmp_path, backend):
    run(backend, write_clip(tmp_path / "mute.mp4", panning_frames(5)), tmp_path / "out.mp4")
    assert [line for line in streams(tmp_path / "out.mp4") if "Audio:" in line] == []


def test_without_ffmpeg_opencv_writes_mpeg4_and_says_there_is_no_sound(tmp_path, backend, monkeypatch):
    source = write_clip(tmp_path / "tone.mp4", panning_frames(8, (64, 48)), audio_seconds=0.7)
    monkeypatch.setenv(FFMPEG_ENV, "none")
    events = run(backend, source, tmp_path / "out.mp4")
    notes = " / ".join(e.message for e in events if isinstance(e, VideoNote))
    assert "MPEG-4 Part 2" in notes and "without sound" in notes
    monkeypatch.delenv(FFMPEG_ENV)
    assert "Video: mpeg4" in streams(tmp_path / "out.mp4")[0]
    assert len(read_all(tmp_path / "out.mp4")) == 8


def test_an_odd_size_is_padded_for_h264_with_a_note(tmp_path, backend):
    frames = [np.pad(f, ((0, 1), (0, 1), (0, 0)), mode="edge") for f in panning_frames(3, (64, 48))]  # 65×49
    source = write_clip(tmp_path / "odd.mkv", frames)
    events = run(backend, source, tmp_path / "out.mp4")
    assert any("padded" in e.message for e in events if isinstance(e, VideoNote))
    assert read_all(tmp_path / "out.mp4")[0].shape == (50, 66, 3)


def leftovers(folder, *keep):
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


def test_cancelling_leaves_nothing_behind(tmp_path, backend):
    source = write_clip(tmp_path / "clip.mp4", panning_frames(20))
    events = colorize_video(backend, source, tmp_path / "out.mp4", options_for(backend))
    progress = [e for _, e in zip(range(4), (e for e in events if isinstance(e, VideoProgress)))]
    assert len(progress) == 4 and not (tmp_path / "out.mp4").exists()  # under way, not under its name
    events.close()
    assert leftovers(tmp_path, "clip.mp4") == []


def test_a_backend_failing_mid_clip_leaves_nothing_behind(tmp_path):
    calls = []

    def colorize(self, lightness, options):
        calls.append(1)
        if len(calls) == 4:
            raise RuntimeError("out of memory")
        yield from flat_samples()(self, lightness, options)

    host = PluginHost.discover([make_plugin("failing", backend_class("failing", colorize))], entry_points=False)
    backend = host.loaded("failing", "cpu")
    source = write_clip(tmp_path / "clip.mp4", panning_frames(8))
    with pytest.raises(PluginError, match="out of memory"):
        run(backend, source, tmp_path / "out.mp4")
    assert leftovers(tmp_path, "clip.mp4") == []


def test_a_truncated_clip_fails_and_leaves_nothing_behind(tmp_path, backend):
    whole = write_clip(tmp_path / "whole.mkv", panning_frames(40))
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(VideoError, match="truncated"):
        run(backend, cut, tmp_path / "out.mp4")
    assert leftovers(tmp_path, "whole.mkv", "cut.mkv") == []


def test_an_existing_result_is_kept_unless_overwrite(tmp_path, backend):
    source = write_clip(tmp_path / "clip.mp4", panning_frames(4))
    (tmp_path / "out.mp4").write_bytes(b"earlier")
    with pytest.raises(VideoError, match="already exists"):
        run(backend, source, tmp_path / "out.mp4")
    assert (tmp_path / "out.mp4").read_bytes() == b"earlier"
    run(backend, source, tmp_path / "out.mp4", overwrite=True)
    assert len(read_all(tmp_path / "out.mp4")) == 4


@pytest.mark.parametrize("content, reason", [(b"", "cannot be read"), (b"plain text, not a video\n" * 40, "cannot be read")])
def test_files_that_are_not_videos_are_refused(tmp_path, backend, content, reason):
    (tmp_path / "bad.mp4").write_bytes(content)
    with pytest.raises(VideoError, match=reason):
        run(backend, tmp_path / "bad.mp4", tmp_path / "out.mp4")


def test_the_chosen_sample_holds_for_the_whole_clip(tmp_path, backend):
    source = write_clip(tmp_path / "clip.mkv", panning_frames(5, (64, 48)))
    firsts = []
    for sample in (0, 2):
        target = tmp_path / f"s{sample}.mp4"
        list(colorize_video(backend, source, target, options_for(backend, seed=4), sample=sample))
        chroma = np.array([np.median(srgb_to_lab(f / 255.0)[..., 1:].reshape(-1, 2), axis=0) for f in read_all(target)])
        assert np.ptp(chroma, axis=0).max() <= 3  # one flat color throughout
        firsts.append(chroma[0])
    assert np.abs(firsts[0] - firsts[1]).max() > 20  # another sample, another color


def test_audio_that_cannot_be_muxed_leaves_the_frames_without_sound_and_a_note(tmp_path, backend, monkeypatch):
    def failing_mux(self, result):
        raise VideoError("cannot carry the audio over: invalid data")

    monkeypatch.setattr(ClipWriter, "_mux_audio", failing_mux)
    source = write_clip(tmp_path / "tone.mp4", panning_frames(6), audio_seconds=0.5)
    events = run(backend, source, tmp_path / "out.mp4")
    assert events[-1] == tmp_path / "out.mp4"
    assert any(isinstance(e, VideoNote) and "without sound" in e.message for e in events)
    assert len(read_all(tmp_path / "out.mp4")) == 6
    assert not any("Audio:" in line for line in streams(tmp_path / "out.mp4"))
    assert leftovers(tmp_path, "tone.mp4", "out.mp4") == []
