"""``python -m training SUBCOMMAND …``: a thin dispatcher, one module per subcommand.

Each subcommand module has ``add_arguments(parser)`` and ``main(args) -> int``.
Later subcommands (``prior``, ``eval``, ``export``) add themselves to SUBCOMMANDS.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

# Idle OpenMP threads sleep instead of spinning: on a small machine shared with
# other jobs, spinning threads slow everyone down many times over. Must precede torch.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

SUBCOMMANDS = {
    "train": ("training.train", "train a built-in backend's model, or the learned restoration step's"),
    "eval": ("training.evaluate", "score installed backends on a folder of color photos"),
    "export": ("training.export", "write a run's weights as fp16 safetensors with its model card"),
    "prior": ("training.prior", "compute the cic backend's color prior, or the palette backend's palette (--palette K)"),
    "figure": ("training.figure", "picture grids of installed backends: gray | backends or samples | truth"),
    "frontier": ("training.frontier", "a backend's saturation frontier (PSNR vs colorfulness as its chroma scales)"),
    "pack": ("training.pack", "shrink folders of photos into a compact training set (centre squares, WebP)"),
    "card": ("training.card", "rewrite model cards' Markdown from their JSON records"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        module = importlib.import_module(module_name)
        module.add_arguments(sub.add_parser(name, help=help_text, description=module.__doc__.splitlines()[0]))
        sub.choices[name].set_defaults(_module=module)
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # as typed, for the model card's record of runs
    return args._module.main(args)


if __name__ == "__main__":
    sys.exit(main())
