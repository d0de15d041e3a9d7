"""``tinct gui``: the desktop window."""

from __future__ import annotations

import sys


def run_gui(files: list[str]) -> int:
    print(
        "The Tinct window is not part of this version yet; use 'tinct colorize PHOTO -o OUTDIR'.",
        file=sys.stderr,
    )
    return 1
