"""``tinct turing report RESULTS.csv``: the table of a Turing test the app saved (``--json`` for scripts)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from desktop.turing.plan import Answer
from desktop.turing.results_file import read_results
from desktop.turing.stats import CONFIDENCE, Score, interval_text, percent, scores

HEADERS = ("backend", "fooled", "rounds", "fool rate", f"{CONFIDENCE:.0%} interval", "skipped")


def report(answers: list[Answer]) -> list[Score]:
    return scores(answers, list(dict.fromkeys(a.round.contender for a in answers)))


def report_json(path: Path, answers: list[Answer]) -> dict:
    return {
        "file": str(path),
        "confidence": CONFIDENCE,
        "backends": [
            {"backend": s.contender, "fooled": s.fooled, "rounds": s.rounds, "skipped": s.skipped,
             "fool_rate": s.rate, "interval": [s.low, s.high]}
            for s in report(answers)
        ],
    }


def report_table(answers: list[Answer]) -> str:
    rows = [HEADERS] + [(s.contender, str(s.fooled), str(s.rounds), percent(s.rate), interval_text(s), str(s.skipped))
                        for s in report(answers)]
    widths = [max(len(row[column]) for row in rows) for column in range(len(HEADERS))]
    lines = ["  ".join(cell.ljust(width) if column == 0 else cell.rjust(width)
                       for column, (cell, width) in enumerate(zip(row, widths))).rstrip() for row in rows]
    return "\n".join(lines)


def run_turing(args: argparse.Namespace) -> int:
    path = Path(args.results)
    answers = read_results(path)  # ResultsFileError: one line, exit 2 (desktop.cli)
    if args.json:
        print(json.dumps(report_json(path, answers), indent=2))
    elif not answers:
        print(f"{path.name} holds no rounds")
    else:
        print(report_table(answers))
    return 0
