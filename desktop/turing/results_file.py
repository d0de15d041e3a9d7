"""A Turing test's answers as CSV, one row per round, in a file of its own next to the photos.

Each test writes a new ``tinct-turing-YYYYMMDD-HHMMSS.csv``, so the results of other sessions are kept
apart and never changed; writing is atomic (a temporary file, then a rename).
"""

from __future__ import annotations

import csv
import io
import math
import os
import secrets
from datetime import datetime
from pathlib import Path
from typing import Iterable

from desktop.turing.plan import COLORIZED, LEFT, REAL, RIGHT, SKIPPED, Answer, Round
from plugins.errors import TinctError

FILE_PREFIX = "tinct-turing-"
COLUMNS = ("test", "round", "photo", "backend", "real_side", "answer", "fooled", "seconds", "shown_s")


class ResultsFileError(TinctError):
    """A results file that cannot be read: the message names it and says what is wrong, on one line."""


def results_path(folder: Path, started: datetime) -> Path:
    """Where a test started at ``started`` keeps its results: a new file in ``folder``."""
    from desktop.exports import unique_path

    return unique_path(Path(folder) / f"{FILE_PREFIX}{started:%Y%m%d-%H%M%S}.csv")


def results_text(answers: Iterable[Answer], started: datetime) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    test = started.isoformat(timespec="seconds")
    for answer in answers:
        fooled = "" if answer.fooled is None else int(answer.fooled)
        r = answer.round
        writer.writerow((test, r.number, r.photo.name, r.contender, r.real_side, answer.picked, fooled,
                         f"{answer.seconds:.3f}", f"{answer.shown_s:g}"))
    return out.getvalue()


def write_results(target: Path, answers: Iterable[Answer], started: datetime) -> Path:
    """Write the answers to ``target`` atomically; raises ResultsFileError (one line) if it cannot."""
    target = Path(target)
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        with open(temporary, "w", encoding="utf-8", newline="") as file:
            file.write(results_text(answers, started))
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise ResultsFileError(f"cannot write {target.name}: {error.strerror or error}") from error
    return target


def read_results(path: Path) -> list[Answer]:
    """The answers in a results file; raises ResultsFileError for a file that is missing or not one."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ResultsFileError(f"cannot read {path}: no such file") from None
    except IsADirectoryError:
        raise ResultsFileError(f"cannot read {path}: it is a folder") from None
    except UnicodeDecodeError:
        raise ResultsFileError(f"{path.name} is not a Turing test results file (not text)") from None
    except OSError as error:
        raise ResultsFileError(f"cannot read {path}: {error.strerror or error}") from error
    try:
        rows = list(csv.DictReader(io.StringIO(text)))
        header = csv.DictReader(io.StringIO(text)).fieldnames or []
    except csv.Error as error:
        raise ResultsFileError(f"{path.name} is not a Turing test results file ({error})") from error
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise ResultsFileError(f"{path.name} is not a Turing test results file (no column {', '.join(missing)})")
    return [_answer(row, path.name, line) for line, row in enumerate(rows, start=2)]


def _answer(row: dict, name: str, line: int) -> Answer:
    def bad(what: str) -> ResultsFileError:
        return ResultsFileError(f"{name} line {line}: {what}")

    if None in row or any(row[c] is None for c in COLUMNS):
        raise bad(f"expected {len(COLUMNS)} fields")
    picked, side, fooled = row["answer"], row["real_side"], row["fooled"]
    if picked not in (REAL, COLORIZED, SKIPPED):
        raise bad(f"answer must be {REAL}, {COLORIZED} or {SKIPPED}, not {picked!r}")
    if side not in (LEFT, RIGHT):
        raise bad(f"real_side must be {LEFT} or {RIGHT}, not {side!r}")
    expected = {REAL: "0", COLORIZED: "1", SKIPPED: ""}[picked]
    if fooled != expected:
        raise bad(f"fooled must be {expected or 'empty'} for answer {picked}, not {fooled!r}")
    if not row["backend"]:
        raise bad("no backend")
    try:
        number = int(row["round"])
        seconds, shown_s = float(row["seconds"]), float(row["shown_s"])
    except ValueError:
        raise bad("round, seconds and shown_s must be numbers") from None
    if number < 1 or not all(math.isfinite(v) and v >= 0 for v in (seconds, shown_s)):
        raise bad("round must be 1 or more, seconds and shown_s 0 or more")
    return Answer(Round(number, Path(row["photo"]), row["backend"], side), picked, seconds, shown_s)
