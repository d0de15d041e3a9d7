"""One clip through one backend: read frame by frame, colorize, keep the colors steady, write.

Per frame: its L* → the backend at working size (:func:`plugins.host.pipeline.colorize_samples`,
so a reference photo applies as for a photo) → the chosen sample's ab → the temporal blend
(:mod:`plugins.host.video.temporal`, unless turned off) → merged onto the frame's full-resolution
L* (:class:`plugins.host.merge.Merger`) → the encoder. Only the current frame is in memory.
"""

from __future__ import annotations

import collections
import os
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterator

import numpy as np

from plugins.errors import TinctError
from plugins.host.merge import DEFAULT_UPSAMPLER, Merger
from plugins.host.pipeline import colorize_samples
from plugins.host.runner import LoadedBackend
from plugins.host.video.errors import VideoError
from plugins.host.video.ffmpeg import find_ffmpeg
from plugins.host.video.frames import frame_lightness
from plugins.host.video.reader import ClipReader
from plugins.host.video.temporal import TemporalBlender, TemporalSettings
from plugins.host.video.writer import ClipWriter
from plugins.types import ColorizeOptions, Sample

_RATE_WINDOW = 30  # frames the speed is measured over: recent enough to follow a busy machine


@dataclass(frozen=True)
class VideoProgress:
    """After each frame: how far the clip is, and how fast it goes."""

    frames_done: int
    frame_count: int
    """The clip's frame count from its header (an estimate for some containers: never below ``frames_done``)."""
    fps: float
    """Frames per second over the last few seconds; 0 until two frames are done."""
    frame: np.ndarray | None = field(default=None, repr=False, compare=False)
    """The frame just written, ``uint8 (H, W, 3)`` RGB (for a preview; do not change it)."""

    @property
    def eta_s(self) -> float | None:
        """Seconds left at the current speed; ``None`` before the speed is known."""
        return (self.frame_count - self.frames_done) / self.fps if self.fps > 0 else None


@dataclass(frozen=True)
class VideoNote:
    """A one-line remark for the user: where the result differs from what was asked."""

    message: str


def check_sample(backend: LoadedBackend, sample: int) -> int:
    """``sample`` (counting from 0), or TinctError unless the backend makes that many samples."""
    if not 0 <= sample < backend.info.max_samples:
        raise TinctError(f"{backend.info.id} makes {backend.info.max_samples} sample(s); "
                         f"there is no sample {sample + 1}")
    return sample


def video_name(stem: str, backend_id: str) -> str:
    """``<stem>.<backend>.mp4``: whatever the input's container, the result is an .mp4."""
    return f"{stem}.{backend_id}.mp4"


class FrameColorizer:
    """Colorizes one clip's frames in order with one backend, sample and seed.

    ``temporal`` off colorizes each frame on its own (frame by frame, for comparison).
    """

    def __init__(self, backend: LoadedBackend, options: ColorizeOptions, sample: int = 0,
                 temporal: bool = True, upsampler: str = DEFAULT_UPSAMPLER,
                 settings: TemporalSettings = TemporalSettings()) -> None:
        self.backend = backend
        self.sample = check_sample(backend, sample)
        # Sample k of a seed is the k-th of that seed's samples: ask for k + 1 and keep the last.
        self.options = replace(options, samples=sample + 1)
        self.upsampler = upsampler
        self.blender = TemporalBlender(settings) if temporal else None

    def chroma(self, lightness: np.ndarray) -> np.ndarray:
        """The frame's ab at working size: the backend's, blended with the previous frames'."""
        ab = self.fresh_chroma(lightness)
        return self.blender.blend(lightness, ab).ab if self.blender is not None else ab

    def fresh_chroma(self, lightness: np.ndarray) -> np.ndarray:
        """The backend's ab for this frame alone."""
        events = colorize_samples(self.backend, lightness, self.options)
        try:
            for event in events:
                if isinstance(event, Sample) and event.index == self.sample:
                    return event.ab
        finally:
            events.close()
        raise VideoError(f"{self.backend.info.id} made no sample {self.sample + 1}")

    def colorize(self, rgb: np.ndarray) -> np.ndarray:
        """The next frame, ``uint8 (H, W, 3)`` RGB (its colors are ignored: only its lightness is kept), colorized."""
        lightness = frame_lightness(rgb)
        return Merger(lightness, self.upsampler).merge_uint8(self.chroma(lightness))


def colorize_video(
    backend: LoadedBackend,
    source: str | os.PathLike[str],
    target: str | os.PathLike[str],
    options: ColorizeOptions,
    *,
    sample: int = 0,
    temporal: bool = True,
    overwrite: bool = False,
    upsampler: str = DEFAULT_UPSAMPLER,
    settings: TemporalSettings = TemporalSettings(),
) -> Iterator[VideoProgress | VideoNote | Path]:
    """Colorize the clip ``source`` into ``target`` (an .mp4 of the same size, frame rate and frame count,
    with the source's audio); yields notes, a :class:`VideoProgress` after each frame and, last, the
    path written.

    Raises :class:`VideoError` (a clip that cannot be read, a result that cannot be written) or the
    backend's TinctError. Closing the generator cancels: nothing is left under ``target``'s name, no
    part file either. ffmpeg is the one :func:`find_ffmpeg` finds.
    """
    ffmpeg = find_ffmpeg()
    frames = FrameColorizer(backend, options, sample, temporal, upsampler, settings)
    with ClipReader(source, ffmpeg) as reader, ClipWriter(target, reader.info, ffmpeg, overwrite) as writer:
        for note in writer.notes:
            yield VideoNote(note)
        finished = collections.deque(maxlen=_RATE_WINDOW)
        for done, rgb in enumerate(reader.frames(), start=1):
            colorized = frames.colorize(rgb)
            writer.write(colorized)
            finished.append(time.perf_counter())
            rate = (len(finished) - 1) / (finished[-1] - finished[0]) if len(finished) > 1 else 0.0
            yield VideoProgress(done, max(done, reader.info.frame_count), rate, colorized)
        noted = len(writer.notes)
        written = writer.finish()
        for note in writer.notes[noted:]:
            yield VideoNote(note)
        yield written
