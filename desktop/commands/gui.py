"""``tinct gui [FILES]`` (and plain ``tinct``): the desktop window."""

from __future__ import annotations


def run_gui(files: list[str], colorize: bool = False) -> int:
    from desktop.app import main

    return main(files, colorize=colorize)
