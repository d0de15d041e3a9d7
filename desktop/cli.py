"""The ``tinct`` command: argument parsing and dispatch to one module per subcommand."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Sequence

# Idle torch/OpenMP threads sleep instead of spinning. On a busy 2-core machine a spinning
# pool slowed inference ~40× (3 s instead of 0.07 s). Must be set before torch is imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from plugins.host.devices import DEVICE_CHOICES
from plugins.errors import TinctError
from plugins.host.runner import check_seed, check_temperature, check_working_size, parse_param
from plugins.imageio import OUTPUT_FORMATS

EXIT_OK, EXIT_USAGE, EXIT_FAILED = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse exits with 2 on a usage error; Tinct keeps 2 for inputs that failed."""

    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="tinct", description="Bring color back to black-and-white photos.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)

    gui = commands.add_parser("gui", help="open the desktop app (the default)")
    gui.add_argument("files", nargs="*", help="photos to open")
    gui.add_argument("--colorize", action="store_true", help="colorize the photos as soon as they are open")

    colorize = commands.add_parser("colorize", help="colorize photos from the command line")
    colorize.add_argument("inputs", nargs="+", metavar="INPUT",
                          help="photos, videos (.mp4 .avi .mov .mkv .webm) or folders of them")
    colorize.add_argument("-o", "--output", required=True, metavar="OUTDIR", help="folder for the results")
    colorize.add_argument("-r", "--recursive", action="store_true", help="look into sub-folders too")
    colorize.add_argument("--backend", metavar="ID", help="backend id (default: the best installed)")
    colorize.add_argument("--samples", type=positive_int, default=1, metavar="N", help="colorizations per photo")
    colorize.add_argument("--seed", type=_checked(whole_number, check_seed), default=0, metavar="S", help="the same seed gives the same samples")
    colorize.add_argument("--device", choices=DEVICE_CHOICES, default="auto")
    colorize.add_argument("--size", type=_checked(whole_number, check_working_size), metavar="PX",
                          help="working size, short side in px")
    colorize.add_argument("--temperature", type=_checked(float, check_temperature), metavar="T", help="sampling temperature, for backends that have one")
    colorize.add_argument("--param", action="append", default=[], type=_checked(str, parse_param), metavar="NAME=VALUE",
                          help="one of the backend's own options (see `tinct plugins list`), e.g. smoothing=0.5; repeatable")
    colorize.add_argument("--hints", metavar="HINTS.json",
                          help='color hints: a JSON list of {"x": px, "y": px, "color": "#rrggbb", "radius": px}, '
                               "in the photo's full-resolution pixels")
    colorize.add_argument("--reference", metavar="REF", help="a color photo whose colors to take")
    colorize.add_argument("--restore", type=_checked(str, _restore_plan), default="none", metavar="STEPS",
                          help="repair the scan before colorizing: none (the default), auto (the steps the photo needs), "
                               "or steps in order, e.g. tone,denoise,scratches (each optionally =STRENGTH, 0-1)")
    colorize.add_argument("--format", choices=sorted(OUTPUT_FORMATS), default="png", dest="fmt")
    colorize.add_argument("--quality", type=_quality, default=95, metavar="Q", help="JPEG quality, 1-100")
    colorize.add_argument("--upsampler", choices=("guided", "bilinear"), help="how chroma is brought to full resolution")
    colorize.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,  # also after the command
                          help="show tracebacks for errors")
    colorize.add_argument("--max-pixels", type=positive_int, metavar="N", help="refuse photos larger than this")
    colorize.add_argument("--overwrite", action="store_true", help="replace existing results")
    colorize.add_argument("--temporal", choices=("on", "off"), default="on",
                          help="videos: carry colors from frame to frame along the motion (on, the default), "
                               "or colorize each frame on its own (off)")
    colorize.add_argument("--sample", type=positive_int, default=1, metavar="K",
                          help="videos: which of the seed's samples colors the whole clip (default 1)")

    plugin_commands = commands.add_parser("plugins", help="installed backends").add_subparsers(
        dest="plugins_command", required=True, parser_class=_Parser
    )
    listing = plugin_commands.add_parser("list", help="list backends and broken plugins")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    installing = plugin_commands.add_parser("install", help="install a plugin into the user plugin folder")
    installing.add_argument("path", metavar="PATH", help="a wheel, an sdist or a project folder")
    removing = plugin_commands.add_parser("remove", help="remove a plugin from the user plugin folder")
    removing.add_argument("name", metavar="NAME", help="its distribution name or a backend id")

    model_commands = commands.add_parser("models", help="model files plugins need").add_subparsers(
        dest="models_command", required=True, parser_class=_Parser
    )
    adding = model_commands.add_parser("add", help="check a weights file a plugin declares and copy it in place")
    adding.add_argument("file", metavar="FILE")

    commands.add_parser("devices", help="list the compute devices torch can use")

    turing_commands = commands.add_parser("turing", help="results of the app's Colorization Turing Test").add_subparsers(
        dest="turing_command", required=True, parser_class=_Parser
    )
    turing_report = turing_commands.add_parser("report", help="print the fool rates of a saved results file")
    turing_report.add_argument("results", metavar="RESULTS.csv", help="a tinct-turing-….csv the app wrote")
    turing_report.add_argument("--json", action="store_true", help="machine-readable output")
    return parser


def whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, not {text!r}") from None


def positive_int(text: str) -> int:
    value = whole_number(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _checked(convert, check):
    """An argparse type: ``convert`` the text, then the host's own ``check`` (one rule, a usage error here)."""

    def parse(text: str):
        try:
            return check(convert(text))
        except TinctError as error:
            raise argparse.ArgumentTypeError(f"{error}, not {text}") from error

    return parse


def _restore_plan(text: str) -> str:
    from plugins.host.restoration import parse_restore

    parse_restore(text)  # TinctError for a malformed plan; the ids are checked once plugins are found
    return text


def _quality(text: str) -> int:
    value = whole_number(text)
    if not 1 <= value <= 100:
        raise argparse.ArgumentTypeError(f"must be between 1 and 100, not {value}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "colorize":
            from desktop.commands.colorize import run_colorize

            return run_colorize(args)
        if args.command == "plugins":
            from desktop.commands.plugins import run_plugins

            return run_plugins(args)
        if args.command == "models":
            from desktop.commands.models import run_models

            return run_models(args)
        if args.command == "devices":
            from desktop.commands.devices import run_devices

            return run_devices(args)
        if args.command == "turing":
            from desktop.commands.turing import run_turing

            return run_turing(args)
        from desktop.commands.gui import run_gui

        return run_gui(getattr(args, "files", []), getattr(args, "colorize", False))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as error:
        if args.debug:
            raise
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED
