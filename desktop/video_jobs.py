"""The video window's work, run off the GUI thread by :class:`desktop.worker.GeneratorWorker`:
opening a clip, reading the frame scrubbed to, colorizing it to choose a sample, rendering the clip.
No Qt here."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from desktop.exports import fit_long_side
from desktop.state.settings import ColorizeSettings
from plugins.host import PluginHost, build_options
from plugins.host.merge import Merger
from plugins.host.pipeline import colorize_samples
from plugins.host.video import ClipInfo, ClipReader, VideoProgress, colorize_video
from plugins.host.video.frames import frame_lightness
from plugins.types import Sample

DISPLAY_LONG_SIDE = 960
PREVIEW_INTERVAL_S = 0.25  # how often a render sends the frame it has just written


@dataclass(frozen=True, eq=False)
class ClipOpened:
    info: ClipInfo
    first: np.ndarray
    """The first frame at display size, RGB ``uint8``."""


@dataclass(frozen=True, eq=False)
class FrameRead:
    index: int
    rgb: np.ndarray
    """At display size, RGB ``uint8``."""


@dataclass(frozen=True, eq=False)
class FrameSample:
    """Sample ``sample`` (from 0) of frame ``frame``, at display size."""

    frame: int
    sample: int
    rgb: np.ndarray


def open_clip_job(path: Path) -> ClipOpened:
    with ClipReader(path) as reader:
        return ClipOpened(reader.info, fit_long_side(next(iter(reader.frames())), DISPLAY_LONG_SIDE))


def read_frame_job(path: Path, index: int) -> FrameRead:
    with ClipReader(path) as reader:
        return FrameRead(index, fit_long_side(reader.frame_at(index), DISPLAY_LONG_SIDE))


def options_for(host: PluginHost, settings: ColorizeSettings):
    """The settings' backend, loaded, and its options."""
    backend = host.loaded(settings.backend_id, settings.device)
    options, _notes = build_options(backend.info, device=backend.device, samples=settings.samples, seed=settings.seed,
                                    working_size=settings.working_size or None, temperature=settings.temperature,
                                    params=settings.params)
    return backend, options


def colorize_frame_job(host: PluginHost, path: Path, index: int, settings: ColorizeSettings):
    """Yield each of the settings' samples of frame ``index`` as it arrives, merged at display size."""
    with ClipReader(path) as reader:
        frame = reader.frame_at(index)
    backend, options = options_for(host, settings)
    display = frame_lightness(fit_long_side(frame, DISPLAY_LONG_SIDE))
    merger = Merger(display)
    events = colorize_samples(backend, frame_lightness(frame), options)
    try:
        for event in events:
            yield FrameSample(index, event.index, merger.merge_uint8(event.ab)) if isinstance(event, Sample) else None
    finally:
        events.close()


def render_job(host: PluginHost, source: Path, target: Path, settings: ColorizeSettings, sample: int,
               temporal: bool):
    """The whole clip into ``target`` (replaced if it exists: the save dialog asked). Yields
    :class:`~plugins.host.video.VideoProgress` (with a frame to show a few times a second) and
    :class:`~plugins.host.video.VideoNote`; returns the path."""
    backend, options = options_for(host, settings)  # colorize_video asks for as many samples as ``sample`` needs
    written, last_preview = None, 0.0
    events = colorize_video(backend, source, target, options, sample=sample, temporal=temporal, overwrite=True)
    try:
        for event in events:
            if isinstance(event, Path):
                written = event
            elif isinstance(event, VideoProgress) and time.monotonic() - last_preview < PREVIEW_INTERVAL_S:
                yield replace(event, frame=None)  # the GUI needs no flood of full-size frames
            else:
                last_preview = time.monotonic()
                yield event
    finally:
        events.close()
    return written

