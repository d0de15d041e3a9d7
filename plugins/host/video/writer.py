"""Writing a colorized clip: H.264 through ffmpeg, the source's audio muxed over, the file renamed into place.

Frames go through a pipe to ffmpeg (the binary in the ``imageio-ffmpeg`` wheel), which encodes
them with x264 as yuv420p in an .mp4: what ordinary players and browsers play. Where there is no
ffmpeg with an H.264 encoder, OpenCV's own MPEG-4 Part 2 encoder (``mp4v``) writes the .mp4
instead: larger files that fewer players take, and without audio unless an ffmpeg is there to
mux it. Everything is written to hidden ``….part`` files in the target's folder; only the
finished file is renamed to the target's name, so a cancelled or failed clip leaves nothing
under it (and no part files either).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import tempfile
from pathlib import Path

import cv2
import numpy as np

from plugins.host.video.errors import VideoError
from plugins.host.video.ffmpeg import Ffmpeg
from plugins.host.video.probe import MP4_AUDIO_CODECS, ClipInfo

X264_SETTINGS = ("-preset", "veryfast", "-crf", "18")
"""Visually lossless for most footage; ``veryfast`` keeps the encoder to about 5 ms of CPU a 640×360 frame."""
AAC_BITRATE = "192k"
# Tagged BT.601 so a player decodes with the matrix it was encoded with (untagged HD is assumed BT.709).
_YUV_OUTPUT = ("-pix_fmt", "yuv420p", "-colorspace", "smpte170m", "-color_range", "tv")
_FINISH_TIMEOUT_S = 600


class _FfmpegEncoder:
    """Raw RGB frames through a pipe into ``ffmpeg … -c:v <h264>``, writing ``path`` (an .mp4)."""

    def __init__(self, ffmpeg: Ffmpeg, path: Path, info: ClipInfo, faststart: bool) -> None:
        width, height = info.size
        filters = ["scale=out_color_matrix=bt601:out_range=tv"]
        if width % 2 or height % 2:  # 4:2:0 chroma needs even sides
            filters.append("pad=ceil(iw/2)*2:ceil(ih/2)*2")
        settings = X264_SETTINGS if ffmpeg.h264_encoder == "libx264" else ("-b:v", str(_bitrate(info)))
        command = [
            ffmpeg.exe, "-hide_banner", "-loglevel", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-framerate", str(info.fps),
            "-i", "pipe:0", "-an", "-vf", ",".join(filters), "-c:v", ffmpeg.h264_encoder, *settings, *_YUV_OUTPUT,
            *(("-movflags", "+faststart") if faststart else ()), "-f", "mp4", str(path),
        ]  # fmt: skip
        self._log = tempfile.TemporaryFile()
        try:
            self._process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                             stderr=self._log)
        except OSError as error:
            self._log.close()
            raise VideoError(f"cannot start ffmpeg: {error.strerror or error}") from error

    def write(self, rgb: np.ndarray) -> None:
        try:
            self._process.stdin.write(np.ascontiguousarray(rgb).data)
        except (BrokenPipeError, OSError) as error:
            raise VideoError(f"the encoder stopped: {self._last_message() or error}") from None

    def finish(self) -> None:
        try:
            self._process.stdin.close()
            code = self._process.wait(timeout=_FINISH_TIMEOUT_S)
        except (BrokenPipeError, OSError, subprocess.TimeoutExpired):
            code = None
        if code != 0:
            message = self._last_message()
            self.abort()
            raise VideoError(f"the encoder failed: {message or 'ffmpeg exited with ' + str(code)}")
        self._log.close()

    def abort(self) -> None:
        with contextlib.suppress(OSError):
            self._process.kill()
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            self._process.stdin.close()
            self._process.wait(timeout=10)
        self._log.close()

    def _last_message(self) -> str:
        with contextlib.suppress(OSError, ValueError):
            self._log.seek(0)
            lines = self._log.read().decode("utf-8", "replace").strip().splitlines()
            return lines[-1].strip() if lines else ""
        return ""


class _OpenCvEncoder:
    """The fallback without ffmpeg: OpenCV's MPEG-4 Part 2 (``mp4v``) encoder."""

    def __init__(self, path: Path, info: ClipInfo) -> None:
        self._writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), float(info.fps), info.size)
        if not self._writer.isOpened():
            raise VideoError("cannot write the clip: no ffmpeg, and OpenCV's own MPEG-4 encoder is not available")

    def write(self, rgb: np.ndarray) -> None:
        self._writer.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))

    def finish(self) -> None:
        self._writer.release()

    def abort(self) -> None:
        self._writer.release()


def _bitrate(info: ClipInfo) -> int:
    """Bits per second for an encoder without a constant-quality mode: 0.2 bit per pixel."""
    return int(0.2 * info.width * info.height * float(info.fps))


class ClipWriter:
    """Writes one colorized clip to ``target`` atomically: :meth:`write` each frame, then :meth:`finish`.

    :meth:`abort` (or leaving a ``with`` block by an exception) removes everything written so far.
    ``notes`` says, one line each, where the result differs from what was asked (a fallback encoder,
    audio left out or re-encoded, an odd size padded).
    """

    def __init__(self, target: str | os.PathLike[str], info: ClipInfo, ffmpeg: Ffmpeg | None,
                 overwrite: bool = False) -> None:
        self.target = Path(target)
        self.info = info
        self._ffmpeg = ffmpeg
        _check_target(self.target, info.path, overwrite)
        self.notes: list[str] = []
        self._parts: list[Path] = []
        self._carry_audio = info.audio_codec is not None and ffmpeg is not None
        if ffmpeg is not None and ffmpeg.h264_encoder:
            self._video = self._part(".part")
            self._encoder = _FfmpegEncoder(ffmpeg, self._video, info, faststart=not self._carry_audio)
            if info.width % 2 or info.height % 2:
                self.notes.append(f"odd size {info.width}×{info.height}: padded by one pixel to "
                                  f"{info.width + info.width % 2}×{info.height + info.height % 2} for H.264")
        else:
            self.notes.append("no ffmpeg with an H.264 encoder: written as MPEG-4 Part 2 with OpenCV")
            self._video = self._part(".part.mp4")  # OpenCV picks the container by the name
            self._encoder = _OpenCvEncoder(self._video, info)
        if ffmpeg is None:  # which also means there was none to tell whether the clip has sound
            self.notes.append("written without sound: there is no ffmpeg to carry an audio track over")
        elif self._carry_audio and info.audio_codec not in MP4_AUDIO_CODECS:
            self.notes.append(f"the {info.audio_codec} audio track is re-encoded as AAC for .mp4")

    def write(self, rgb: np.ndarray) -> None:
        """Append one frame, ``uint8 (H, W, 3)`` RGB at the clip's size."""
        if rgb.shape != (self.info.height, self.info.width, 3) or rgb.dtype != np.uint8:
            raise ValueError(f"a frame must be uint8 {(self.info.height, self.info.width, 3)}, not {rgb.dtype} {rgb.shape}")
        self._encoder.write(rgb)

    def finish(self) -> Path:
        """Close the encoder, mux the audio and rename the result into place; returns the target.

        Where the audio cannot be muxed the clip is kept without it, and a note says so."""
        try:
            self._encoder.finish()
            result = self._video
            if self._carry_audio:
                muxed = self._part(".part")
                try:
                    self._mux_audio(muxed)
                    result = muxed
                except VideoError as error:  # the frames are worth keeping: a long render is not lost for it
                    self.notes.append(f"written without sound: {error}")
            _sync(result)
            os.replace(result, self.target)
        except BaseException:
            self.abort()
            raise
        self._remove_parts()
        return self.target

    def abort(self) -> None:
        """Stop the encoder and remove every part file."""
        self._encoder.abort()
        self._remove_parts()

    def __enter__(self) -> ClipWriter:
        return self

    def __exit__(self, kind, error, trace) -> None:
        if kind is not None:
            self.abort()

    def _part(self, suffix: str) -> Path:
        part = self.target.with_name(f".{self.target.name}.{secrets.token_hex(4)}{suffix}")
        self._parts.append(part)
        return part

    def _remove_parts(self) -> None:
        for part in self._parts:
            with contextlib.suppress(FileNotFoundError):
                part.unlink()

    def _mux_audio(self, result: Path) -> None:
        audio = ("copy",) if self.info.audio_codec in MP4_AUDIO_CODECS else ("aac", "-b:a", AAC_BITRATE)
        command = [
            self._ffmpeg.exe, "-hide_banner", "-loglevel", "error", "-y", "-i", str(self._video),
            "-i", str(self.info.path), "-map", "0:v:0", "-map", "1:a:0", "-c:v", "copy", "-c:a", *audio,
            "-movflags", "+faststart", "-f", "mp4", str(result),
        ]  # fmt: skip
        try:
            done = subprocess.run(command, capture_output=True, text=True, errors="replace", timeout=_FINISH_TIMEOUT_S)
        except (OSError, subprocess.SubprocessError) as error:
            raise VideoError(f"cannot carry the audio over: {error}") from error
        if done.returncode != 0:
            lines = done.stderr.strip().splitlines()
            raise VideoError(f"cannot carry the audio over: {lines[-1] if lines else 'ffmpeg failed'}")


def _check_target(target: Path, source: Path, overwrite: bool) -> None:
    if target.is_dir():
        raise VideoError(f"{target} is a folder")
    with contextlib.suppress(OSError):
        if target.exists() and os.path.samefile(target, source):
            raise VideoError("would overwrite the input clip; choose another folder")
    if (target.exists() or target.is_symlink()) and not overwrite:
        raise VideoError(f"{target} already exists (use --overwrite to replace it)")
    if not target.parent.is_dir():
        raise VideoError(f"cannot write to folder {target.parent}: no such folder")


def _sync(path: Path) -> None:
    with open(path, "rb+") as file:
        os.fsync(file.fileno())
