"""``tinct gui [FILES]`` (and plain ``tinct``): the desktop window."""

from __future__ import annotations


import sys

from desktop.display_check import display_problem

EXIT_NO_DISPLAY = 2


def run_gui(files: list[str], colorize: bool = False) -> int:
    problem = display_problem()
    if problem:  # Qt would abort with a misleading message: say what is missing instead
        print(f"tinct: {problem}", file=sys.stderr)
        return EXIT_NO_DISPLAY
    from desktop.app import main

    return main(files, colorize=colorize)
