"""Tiny clips for the video tests, made with the ffmpeg in the imageio-ffmpeg wheel (no ../shared)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import cv2
import imageio_ffmpeg
import numpy as np

from plugins import ColorizeOptions, Colorizer, ColorizerInfo, Sample
from plugins.color import fit_working_size

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
CODECS = {  # suffix → (video codec and options, audio codec)
    ".mp4": (["-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "10"], "aac"),
    ".mov": (["-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "10"], "aac"),
    ".mkv": (["-c:v", "ffv1"], "flac"),
    ".webm": (["-c:v", "libvpx-vp9", "-lossless", "1"], "libopus"),
    ".avi": (["-c:v", "mjpeg", "-q:v", "2"], "pcm_s16le"),
}


def texture(height: int, width: int, seed: int = 0) -> np.ndarray:
    """A smooth random gray texture in 20..235, ``uint8 (height, width)``: something flow can follow."""
    rng = np.random.default_rng(seed)
    noise = cv2.resize(rng.random((height // 6 + 2, width // 6 + 2)).astype(np.float32), (width, height),
                       interpolation=cv2.INTER_CUBIC)
    return (20 + 215 * cv2.normalize(noise, None, 0, 1, cv2.NORM_MINMAX)).astype(np.uint8)


def panning_frames(count: int, size: tuple[int, int] = (96, 64), step: int = 2, seed: int = 0) -> list[np.ndarray]:
    """Gray RGB frames ``(h, w, 3)`` of a texture sliding left by ``step`` px a frame (the flow from
    frame t to t+1 is ``(-step, 0)``)."""
    width, height = size
    wide = texture(height, width + step * count, seed)
    return [np.repeat(wide[:, t * step : t * step + width, None], 3, axis=2) for t in range(count)]


def write_clip(path: Path, frames: list[np.ndarray], fps: str = "12", audio_seconds: float | None = None) -> Path:
    """``frames`` (RGB uint8) as a clip in the container ``path``'s suffix names, with a 440 Hz tone
    of ``audio_seconds`` when given."""
    height, width = frames[0].shape[:2]
    video, audio = CODECS[path.suffix]
    command = [FFMPEG, "-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
               "-s", f"{width}x{height}", "-framerate", fps, "-i", "pipe:0"]
    if audio_seconds:
        command += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={audio_seconds}", "-c:a", audio]
    command += [*video, str(path)]
    subprocess.run(command, input=b"".join(np.ascontiguousarray(f).tobytes() for f in frames), check=True,
                   capture_output=True)
    return path


def streams(path: Path) -> list[str]:
    """The stream lines ffmpeg prints for ``path``, e.g. ``"Audio: aac (LC) …"``."""
    described = subprocess.run([FFMPEG, "-hide_banner", "-i", str(path)], capture_output=True, text=True).stderr
    return re.findall(r"Stream #\d+:\d+\S*: (.*)", described)


def read_all(path: Path) -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    capture.release()
    return frames


class FlickeringColorizer(Colorizer):
    """Chroma that follows the lightness (a* = L* − 50) plus a smooth random field drawn anew on every
    call: the flicker of a backend that colors each frame on its own."""

    info = ColorizerInfo(id="flicker", name="flicker", version="1.0", license="MIT", default_working_size=48)

    def __init__(self) -> None:
        self.calls = 0

    def colorize(self, lightness: np.ndarray, options: ColorizeOptions):
        small = fit_working_size(lightness, options.working_size)
        rng = np.random.default_rng(self.calls)
        self.calls += 1
        h, w = small.shape
        wobble = cv2.resize(rng.normal(0, 6, (3, 4, 2)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
        ab = np.dstack([small - 50, np.full_like(small, 10)]).astype(np.float32) + wobble
        yield Sample(0, ab)
