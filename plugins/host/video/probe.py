"""What a clip holds before it is read: size, frame rate, frame count and its audio track."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from plugins.host.video.ffmpeg import Ffmpeg

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm")
MP4_AUDIO_CODECS = ("aac", "mp3")
"""Audio an .mp4 carries as it is and every ordinary player plays; anything else is re-encoded to AAC."""
_AUDIO_STREAM = re.compile(r"Stream #\d+:\d+\S*: Audio: (\w+)")
_PROBE_TIMEOUT_S = 60


@dataclass(frozen=True)
class ClipInfo:
    """A clip's video track as OpenCV reads it, and the codec of its first audio track."""

    path: Path
    width: int
    height: int
    fps: Fraction
    frame_count: int
    """From the container's header: exact for .mp4 and .mov, an estimate from the duration for some others."""
    audio_codec: str | None = None
    """e.g. ``"aac"``; ``None`` when the clip has no audio, or there is no ffmpeg to ask."""

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)``."""
        return self.width, self.height


def is_video_path(path: Path) -> bool:
    return path.suffix.lower() in VIDEO_SUFFIXES


def frame_rate(fps: float) -> Fraction:
    """OpenCV's float frame rate as the fraction it stands for (29.97002997… → 30000/1001)."""
    return Fraction(fps).limit_denominator(1001)


def audio_codec(ffmpeg: Ffmpeg | None, path: Path) -> str | None:
    """The codec name of ``path``'s first audio track, ``None`` if it has none or ffmpeg cannot tell."""
    if ffmpeg is None:
        return None
    try:
        # With no output file ffmpeg exits 1 after describing its input on stderr.
        described = subprocess.run([ffmpeg.exe, "-hide_banner", "-i", str(path)], capture_output=True,
                                   text=True, errors="replace", timeout=_PROBE_TIMEOUT_S).stderr
    except (OSError, subprocess.SubprocessError):
        return None
    found = _AUDIO_STREAM.search(described)
    return found.group(1) if found else None
