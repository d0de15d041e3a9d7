"""Reading a clip frame by frame with OpenCV: one frame in memory at a time, however long the clip."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import numpy as np

# OpenCV's FFmpeg backend logs every decoding hiccup to stderr; Tinct reports a bad clip in one line instead.
# Read when OpenCV opens its first clip, so set before that.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

import cv2  # noqa: E402

from plugins.host.video.errors import VideoError  # noqa: E402
from plugins.host.video.ffmpeg import Ffmpeg  # noqa: E402
from plugins.host.video.probe import ClipInfo, audio_codec, frame_rate  # noqa: E402

MAX_FRAME_RATE = 1000  # beyond it the header holds a time base, not a frame rate


def truncated_below(frame_count: int) -> int:
    """Fewer frames than this means the clip was cut short: a header's count may be an estimate,
    so 2 % (at least 2 frames) may go missing without a complaint."""
    return frame_count - max(2, frame_count // 50)


def _quiet_capture(path: Path) -> cv2.VideoCapture:
    """``cv2.VideoCapture`` of ``path`` through FFmpeg, without OpenCV's warning when it cannot open it."""
    level = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    try:
        return cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    finally:
        cv2.utils.logging.setLogLevel(level)


class ClipReader:
    """An open clip: :attr:`info` and :meth:`frames`. Raises :class:`VideoError` with a one-line reason
    for a file that is not a video, a codec OpenCV cannot decode or a clip without frames."""

    def __init__(self, path: str | os.PathLike[str], ffmpeg: Ffmpeg | None = None) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise VideoError("no such file" if not self.path.exists() else "not a file")
        self._capture = _quiet_capture(self.path)
        if not self._capture.isOpened():
            raise VideoError("cannot be read: not a video, a codec this build cannot decode, or no frames")
        ok, first = self._capture.read()
        if not ok or first is None:
            self.close()
            raise VideoError("holds no frames that can be decoded")
        fps = self._capture.get(cv2.CAP_PROP_FPS)
        if not 0 < fps <= MAX_FRAME_RATE:
            self.close()
            raise VideoError("has no usable frame rate")
        height, width = first.shape[:2]
        count = max(1, int(round(self._capture.get(cv2.CAP_PROP_FRAME_COUNT))))
        self.info = ClipInfo(self.path, width, height, frame_rate(fps), count, audio_codec(ffmpeg, self.path))
        self._first: np.ndarray | None = first
        self.frames_read = 0

    def frames(self) -> Iterator[np.ndarray]:
        """Each frame as RGB ``uint8 (H, W, 3)``, decoded as it is asked for. Raises VideoError at the end
        when the clip stops well short of the frame count in its header (a truncated file)."""
        frame = self._first
        self._first = None
        while frame is not None:
            if frame.shape[:2] != (self.info.height, self.info.width):
                raise VideoError(f"frame {self.frames_read + 1} has another size than the first")
            self.frames_read += 1
            yield cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
            ok, frame = self._capture.read()
            if not ok:
                frame = None
        if self.frames_read < truncated_below(self.info.frame_count):
            raise VideoError(f"ends after {self.frames_read} of its {self.info.frame_count} frames: "
                             "the file is truncated or damaged")

    def frame_at(self, index: int) -> np.ndarray:
        """Frame ``index`` (from 0) as RGB ``uint8 (H, W, 3)``, by seeking: for looking around a clip,
        not while :meth:`frames` is under way. Raises VideoError where the frame cannot be decoded."""
        if not 0 <= index < self.info.frame_count:
            raise VideoError(f"there is no frame {index + 1}: the clip has {self.info.frame_count}")
        self._first = None
        self._capture.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, frame = self._capture.read()
        if not ok or frame is None:
            raise VideoError(f"frame {index + 1} cannot be decoded")
        return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)

    def close(self) -> None:
        self._capture.release()

    def __enter__(self) -> ClipReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
