"""Finding a usable ffmpeg: the one in the ``imageio-ffmpeg`` wheel, unless ``TINCT_FFMPEG`` names another.

``TINCT_FFMPEG=none`` turns ffmpeg off: clips are then written with OpenCV's own MPEG-4
Part 2 encoder (see :mod:`plugins.host.video.writer`) and carry no audio.
"""

from __future__ import annotations

import functools
import os
import subprocess
from dataclasses import dataclass

FFMPEG_ENV = "TINCT_FFMPEG"
H264_ENCODERS = ("libx264", "libopenh264")
"""In order of preference: x264 makes smaller files at the same quality."""
_PROBE_TIMEOUT_S = 20


@dataclass(frozen=True)
class Ffmpeg:
    """An ffmpeg binary that runs, and the H.264 encoder it has (``None`` when it has none)."""

    exe: str
    h264_encoder: str | None


def find_ffmpeg() -> Ffmpeg | None:
    """The ffmpeg to use, or ``None`` when there is none that runs (looked up once per value of ``TINCT_FFMPEG``)."""
    return _find(os.environ.get(FFMPEG_ENV, ""))


@functools.lru_cache(maxsize=4)
def _find(chosen: str) -> Ffmpeg | None:
    if chosen.lower() == "none":
        return None
    exe = chosen or _bundled()
    if not exe:
        return None
    try:
        listing = subprocess.run([exe, "-hide_banner", "-encoders"], capture_output=True, text=True,
                                 timeout=_PROBE_TIMEOUT_S, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    names = {line.split()[1] for line in listing.splitlines() if len(line.split()) > 1}
    return Ffmpeg(exe, next((name for name in H264_ENCODERS if name in names), None))


def _bundled() -> str | None:
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError):
        return None
