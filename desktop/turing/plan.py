"""The rounds of one Turing test and the person's answers (no Qt, no backend).

Each photo is shown in at most one round, against the colorization of one contender (a backend, or a
backend with options), so no photo is seen twice. Contenders get photos in turn, so their numbers of
rounds differ by one at most; which photo goes to which contender, the order of the rounds and the side
of the real photo are random.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

LEFT, RIGHT = "left", "right"
REAL, COLORIZED, SKIPPED = "real", "colorized", "skipped"
"""What the person picked: the real photo, the colorization, or neither (skipped)."""


@dataclass(frozen=True)
class Round:
    number: int
    """1, 2, … in the order the rounds are shown."""
    photo: Path
    contender: str
    """The label of the backend (and options) that colorized the photo: shown only at the end."""
    real_side: str
    """LEFT or RIGHT."""


@dataclass(frozen=True)
class Answer:
    round: Round
    picked: str
    """REAL, COLORIZED or SKIPPED."""
    seconds: float
    """From the pair appearing to the click."""
    shown_s: float
    """How long the pair was on screen at most (0: until the answer)."""

    @property
    def fooled(self) -> bool | None:
        """The colorization was taken for the real photo; None for a skipped round."""
        return None if self.picked == SKIPPED else self.picked == COLORIZED


def plan_rounds(photos: Sequence[Path], contenders: Sequence[str], rng: random.Random,
                limit: int | None = None) -> list[Round]:
    """Up to ``limit`` rounds (default: one per photo), each photo once, contenders in equal shares."""
    if not contenders:
        raise ValueError("a Turing test needs at least one contender")
    if len(set(contenders)) != len(contenders):
        raise ValueError("contender labels must differ")
    count = len(photos) if limit is None else min(limit, len(photos))
    chosen = rng.sample(list(photos), count)
    labels = [contenders[position % len(contenders)] for position in range(count)]
    rng.shuffle(labels)  # equal shares, in no order that could be learnt
    return [Round(number, photo, label, rng.choice((LEFT, RIGHT)))
            for number, (photo, label) in enumerate(zip(chosen, labels), start=1)]


@dataclass
class TuringTest:
    """The rounds to show and the answers so far. A test stopped early keeps the answers it has."""

    rounds: list[Round]
    shown_s: float = 1.6
    answers: list[Answer] = field(default_factory=list)
    stopped: bool = False

    @property
    def position(self) -> int:
        """The index of the round on screen (== the number of rounds answered or skipped)."""
        return len(self.answers)

    @property
    def finished(self) -> bool:
        return self.stopped or self.position >= len(self.rounds)

    def current(self) -> Round | None:
        return None if self.finished else self.rounds[self.position]

    def answer(self, side: str, seconds: float) -> Answer:
        """The person clicked the picture on ``side`` as the real one."""
        if side not in (LEFT, RIGHT):
            raise ValueError(f"side must be {LEFT} or {RIGHT}, not {side!r}")
        current = self._current_or_raise()
        return self._record(Answer(current, REAL if side == current.real_side else COLORIZED, seconds, self.shown_s))

    def skip(self, seconds: float) -> Answer:
        return self._record(Answer(self._current_or_raise(), SKIPPED, seconds, self.shown_s))

    def stop(self) -> None:
        self.stopped = True

    def _current_or_raise(self) -> Round:
        current = self.current()
        if current is None:
            raise RuntimeError("the test is over")
        return current

    def _record(self, answer: Answer) -> Answer:
        self.answers.append(answer)
        return answer


def ready_rounds(rounds: Sequence[Round], ready: set[int]) -> list[Round]:
    """The rounds whose pictures could be made (their ``number`` in ``ready``), numbered 1, 2, … again."""
    kept = [r for r in rounds if r.number in ready]
    return [Round(number, r.photo, r.contender, r.real_side) for number, r in enumerate(kept, start=1)]
