"""``tinct colorize``: a batch of photos through one backend, one bad photo never stopping the rest."""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from desktop.cli import EXIT_FAILED, EXIT_USAGE
from desktop.commands.colorize_video import check_video_options, colorize_clip, is_input_video
from desktop.exports import is_input_photo, result_stems
from plugins.errors import TinctError
from plugins.host import PluginHost, build_options
from plugins.host.devices import resolve_device
from plugins.host.merge import DEFAULT_UPSAMPLER
from plugins.host.pipeline import colorize_to_files, output_name
from plugins.host.reference import read_reference
from plugins.host.restoration import Restoration, Restored
from plugins.host.video import is_video_path
from plugins.imageio import read_photo

EXTENSIONS = {"png": "png", "jpg": "jpg", "tif": "tif"}


@dataclass(frozen=True)
class Job:
    source: Path
    out_dir: Path
    stem: str
    """What the result names start with (see desktop.exports.result_stems)."""


def collect_jobs(inputs: list[str], out_dir: Path, recursive: bool,
                 backend_ids=()) -> tuple[list[Job], list[tuple[str, str]]]:
    """Expand folders into photos; results of a folder's sub-folders go into matching sub-folders.

    A folder's own results (Tinct's names for ``backend_ids``, or anything under an ``out_dir``
    inside it) are left out, so running the command twice does not colorize the first run's output.
    """
    found_photos: list[tuple[Path, Path]] = []  # (photo, its output folder)
    problems = []
    out_abs = Path(os.path.abspath(out_dir))

    def is_photo(p: Path, folder: Path) -> bool:
        if not (is_input_photo(p, backend_ids) or is_input_video(p, backend_ids)):
            return False
        # Results written into a sub-folder of the input folder are not inputs of the next run.
        return not (folder in out_abs.parents and out_abs in Path(os.path.abspath(p)).parents)

    for text in inputs:
        path = Path(text)
        if path.is_dir():
            pattern = "**/*" if recursive else "*"
            found = sorted(p for p in path.glob(pattern) if is_photo(p, Path(os.path.abspath(path))))
            if not found:
                problems.append((text, "folder holds no photos" + ("" if recursive else " (use -r for sub-folders)")))
            found_photos += [(p, out_dir / p.parent.relative_to(path)) for p in found]
        elif path.exists() or path.is_symlink():
            found_photos.append((path, out_dir))
        else:
            problems.append((text, "no such file or folder"))
    stems = result_stems([photo for photo, _ in found_photos], [folder for _, folder in found_photos])
    return [Job(photo, folder, stem) for (photo, folder), stem in zip(found_photos, stems)], problems


class Reporter:
    """Prints errors and notes as single lines, around a progress bar shown only on a terminal."""

    def __init__(self, total: int, debug: bool):
        self.debug = debug
        self.failed = 0
        self.bar = tqdm(total=total, unit="sample", disable=not sys.stderr.isatty(), file=sys.stderr)

    def error(self, where: object, message: str) -> None:
        self.failed += 1
        tqdm.write(f"error: {where}: {message}", file=sys.stderr)

    def note(self, where: object, message: str) -> None:
        tqdm.write(f"note: {where}: {message}", file=sys.stderr)

    def unexpected(self, where: object, error: BaseException) -> None:
        if self.debug:
            traceback.print_exception(error, file=sys.stderr)
        self.error(where, f"internal error: {type(error).__name__}: {error} (run with --debug for details)")


def usage_error(message: str) -> int:
    """A command line that cannot be carried out as asked: said before any photo is read, exit 1."""
    print(f"error: {message}", file=sys.stderr)
    return EXIT_USAGE


def run_colorize(args: argparse.Namespace) -> int:
    """Exit 0 when every photo was colorized, 1 for a usage error (an unknown backend or option, a
    device this machine or backend lacks: found before any photo is read), 2 when anything failed
    (a hints file that cannot be read or parsed, also said before any photo is read; a photo, a
    hint outside it, the reference photo)."""
    out_dir = Path(args.output)
    host = PluginHost.discover()
    failed_ids = {failure.name for failure in host.failures}
    if args.backend and args.backend not in host.ids() and args.backend not in failed_ids:
        return usage_error(f"no backend {args.backend!r} is installed (installed: {', '.join(sorted(host.ids())) or 'none'})")
    try:
        entry = host.get(args.backend) if args.backend else host.default_backend()
    except TinctError as error:  # broken, or none installed: the command failed, the usage was fine
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED
    backend_id = entry.info.id
    try:
        resolve_device(args.device, entry.info.devices)
        checked, _ = build_options(entry.info, device="cpu", samples=args.samples, seed=args.seed,
                                   working_size=args.size, temperature=args.temperature, params=dict(args.param))
        check_video_options(args, entry.info)
    except TinctError as error:
        return usage_error(str(error))
    try:
        restoration = Restoration.for_host(host, getattr(args, "restore", "none"))
    except TinctError as error:
        return usage_error(str(error))
    hints = ()
    if args.hints:  # after the usage checks, before any photo or the output folder
        from plugins.host.hints import read_hints_file  # scipy: only for hints

        try:
            hints = read_hints_file(args.hints)
        except TinctError as error:  # an input that failed, as an unreadable reference photo is (issue 14: exit 2)
            print(f"error: {args.hints}: {error}", file=sys.stderr)
            return EXIT_FAILED
    jobs, problems = collect_jobs(args.inputs, out_dir, args.recursive, host.ids())
    reporter = Reporter(0, args.debug)
    for where, message in problems:
        reporter.error(where, message)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        probe = out_dir / ".tinct-write-test"
        probe.touch()
        probe.unlink()
    except OSError as error:
        reporter.error(out_dir, f"cannot write to the output folder: {error.strerror or error}")
        return 2
    reference = None
    if args.reference:
        try:
            reference = read_reference(args.reference, checked.working_size, args.max_pixels)
        except TinctError as error:  # an input that failed, like a photo: nothing can be colorized as asked
            reporter.error(f"{args.reference} (reference photo)", str(error))
            return EXIT_FAILED
    backend = host.loaded(backend_id, args.device)
    options, notes = build_options(
        entry.info,
        device=backend.device,
        samples=args.samples,
        seed=args.seed,
        working_size=args.size,
        temperature=args.temperature,
        params=dict(args.param),
        hints=hints,
        reference=reference,
    )
    for note in notes:
        reporter.note(backend_id, note)
    reporter.bar.total = sum(not is_video_path(job.source) for job in jobs) * options.samples
    extension = EXTENSIONS[args.fmt]
    for number, job in enumerate(jobs, start=1):
        reporter.bar.set_description(f"photo {number} of {len(jobs)}", refresh=False)
        try:
            if is_video_path(job.source):
                colorize_clip(job, backend, options, args, reporter)
            else:
                _colorize_one(job, backend, options, args, extension, reporter, restoration)
        except TinctError as error:
            if args.debug:
                traceback.print_exception(error, file=sys.stderr)
            reporter.error(job.source, str(error))
        except Exception as error:  # a bug, not bad input: still one line, and the batch goes on
            reporter.unexpected(job.source, error)
    reporter.bar.close()
    host.unload_all()
    return 2 if reporter.failed else 0


def _colorize_one(job: Job, backend, options, args, extension: str, reporter: Reporter,
                  restoration: Restoration | None = None) -> None:
    targets = [
        job.out_dir / output_name(job.stem, backend.info.id, k, extension)
        for k in range(1, options.samples + 1)
    ]
    if not args.overwrite:
        for target in targets:
            if target.exists():
                raise TinctError(f"{target} already exists (use --overwrite to replace it)")
    photo = read_photo(job.source, **({"max_pixels": args.max_pixels} if args.max_pixels else {}))
    for note in photo.notes:
        reporter.note(job.source, note)
    job.out_dir.mkdir(parents=True, exist_ok=True)
    upsampler = args.upsampler or DEFAULT_UPSAMPLER
    saved = colorize_to_files(backend, photo, options, targets, args.fmt, args.quality, args.overwrite, upsampler,
                              restoration)
    for event in saved:
        if isinstance(event, Path):
            reporter.bar.update(1)
        elif isinstance(event, Restored):
            for line in event.notes + event.failures:  # a failed step is left out; the photo is still colorized
                reporter.note(job.source, line)
