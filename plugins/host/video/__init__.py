"""Colorizing video: clips read frame by frame, colorized with steady colors, written as H.264 .mp4.

No Qt here: the command line and the app both call :func:`colorize_video`.

- :mod:`~plugins.host.video.reader`: OpenCV streams the frames; bad clips raise :class:`VideoError`;
- :mod:`~plugins.host.video.temporal`: DIS flow, the warped previous chroma and the blend;
- :mod:`~plugins.host.video.render`: one clip through one backend, with progress and cancel;
- :mod:`~plugins.host.video.writer`: ffmpeg (or OpenCV's fallback), the audio, the atomic rename;
- :mod:`~plugins.host.video.flicker`: the warping error that measures flicker.
"""

from plugins.host.video.errors import VideoError
from plugins.host.video.probe import VIDEO_SUFFIXES, ClipInfo, is_video_path
from plugins.host.video.reader import ClipReader
from plugins.host.video.render import (FrameColorizer, VideoNote, VideoProgress, check_sample, colorize_video,
                                       video_name)
from plugins.host.video.temporal import TemporalBlender, TemporalSettings

__all__ = [
    "VIDEO_SUFFIXES",
    "ClipInfo",
    "ClipReader",
    "FrameColorizer",
    "TemporalBlender",
    "TemporalSettings",
    "VideoError",
    "VideoNote",
    "VideoProgress",
    "check_sample",
    "colorize_video",
    "is_video_path",
    "video_name",
]
