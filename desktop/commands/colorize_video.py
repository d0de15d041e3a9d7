"""``tinct colorize clip.mp4``: one clip of a batch through :func:`plugins.host.video.colorize_video`,
with a progress bar of frames, frames per second and time left."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from tqdm import tqdm

from plugins.errors import TinctError
from plugins.host.merge import DEFAULT_UPSAMPLER
from plugins.host.video import VideoNote, VideoProgress, colorize_video, is_video_path, video_name
from plugins.types import ColorizerInfo


def is_input_video(path: Path, backend_ids=()) -> bool:
    """A clip to colorize: a video by its suffix, and not one of Tinct's own results (``<stem>.<backend>.mp4``)
    or a hidden file (a result still being written)."""
    if not (path.is_file() and is_video_path(path)) or path.name.startswith("."):
        return False
    parts = path.name.split(".")
    return not (len(parts) >= 3 and parts[-1].lower() == "mp4" and parts[-2] in set(backend_ids))


def check_video_options(args: argparse.Namespace, info: ColorizerInfo) -> None:
    """TinctError (a usage error) for a ``--sample`` the backend cannot make."""
    if args.sample > info.max_samples:
        raise TinctError(f"{info.id} makes {info.max_samples} sample(s); there is no sample {args.sample}")


def colorize_clip(job, backend, options, args: argparse.Namespace, reporter) -> None:
    """Colorize ``job.source`` into ``job.out_dir/<stem>.<backend>.mp4``; raises TinctError when it cannot.

    Ctrl-C (or any error) stops the clip and removes what was written of it.
    """
    if args.hints or getattr(args, "restore", "none") != "none":
        reporter.note(job.source, "hints and restoration apply to photos only; this clip is colorized without them")
        options = replace(options, hints=())  # a hint's place in the first frame is not its place in the others
    job.out_dir.mkdir(parents=True, exist_ok=True)
    target = job.out_dir / video_name(job.stem, backend.info.id)
    events = colorize_video(backend, job.source, target, options, sample=args.sample - 1,
                            temporal=args.temporal == "on", overwrite=args.overwrite,
                            upsampler=args.upsampler or DEFAULT_UPSAMPLER)
    bar = tqdm(unit="frame", desc=job.source.name, disable=not sys.stderr.isatty(), file=sys.stderr)
    try:
        for event in events:
            if isinstance(event, VideoProgress):
                bar.total = event.frame_count
                bar.update(event.frames_done - bar.n)
            elif isinstance(event, VideoNote):
                reporter.note(job.source, event.message)
    finally:
        events.close()
        bar.close()
