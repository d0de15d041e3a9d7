"""Write model cards' Markdown from their JSON records (``--check``: only say which differ).

The JSON beside a weights file is the record that ``training export`` writes; the Markdown is
always made from it by :func:`training.export.card_markdown`, never by hand. This command
rebuilds it, for instance after the card's format changed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from training.export import card_markdown


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("cards", type=Path, nargs="+", metavar="CARD.json")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a Markdown card is not its JSON's")


def main(args: argparse.Namespace) -> int:
    stale = []
    for path in args.cards:
        try:
            card = json.loads(path.read_text())
            text = card_markdown(card)
        except (OSError, ValueError, KeyError) as error:
            raise SystemExit(f"error: {path}: not a model card ({error})") from error
        markdown = path.with_suffix(".md")
        if markdown.is_file() and markdown.read_text() == text:
            continue
        stale.append(markdown)
        if not args.check:
            markdown.write_text(text)
    for markdown in stale:
        print(f"{'differs from its JSON' if args.check else 'rewrote'}: {markdown}", file=sys.stderr if args.check else sys.stdout)
    return 1 if args.check and stale else 0
