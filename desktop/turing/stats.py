"""Fool rates per contender, with 95 % Wilson score intervals, and the rounds that stood out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from desktop.turing.plan import Answer

CONFIDENCE = 0.95


def wilson_interval(successes: int, trials: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The Wilson score interval (no continuity correction) of a binomial proportion.

    (0, 1) when there are no trials: nothing is known yet."""
    if not 0 <= successes <= trials:
        raise ValueError(f"need 0 <= successes <= trials, not {successes} of {trials}")
    if trials == 0:
        return 0.0, 1.0
    from scipy.stats import binomtest  # only the report needs scipy

    interval = binomtest(successes, trials).proportion_ci(confidence_level=confidence, method="wilson")
    return float(interval.low), float(interval.high)


@dataclass(frozen=True)
class Score:
    """How one contender did: the person took its colorization for real ``fooled`` times in ``rounds``."""

    contender: str
    rounds: int
    """Rounds answered (skipped ones not counted)."""
    fooled: int
    skipped: int
    low: float
    high: float

    @property
    def rate(self) -> float | None:
        return self.fooled / self.rounds if self.rounds else None


def scores(answers: Iterable[Answer], contenders: Sequence[str] = ()) -> list[Score]:
    """One score per contender, best fooler first; ``contenders`` are listed even with no rounds answered."""
    tally: dict[str, list[int]] = {name: [0, 0, 0] for name in contenders}
    for answer in answers:
        counts = tally.setdefault(answer.round.contender, [0, 0, 0])
        if answer.fooled is None:
            counts[2] += 1
        else:
            counts[0] += 1
            counts[1] += answer.fooled
    table = [Score(name, rounds, fooled, skipped, *wilson_interval(fooled, rounds))
             for name, (rounds, fooled, skipped) in tally.items()]
    return sorted(table, key=lambda s: (1.0 if s.rate is None else -s.rate, -s.rounds, s.contender))


def standouts(answers: Iterable[Answer], count: int = 3) -> tuple[list[Answer], list[Answer]]:
    """``(fooled best, fooled worst)``: the colorizations taken for real the fastest, and those told apart
    the fastest (a quick, sure answer says more than a slow one)."""
    answered = [a for a in answers if a.fooled is not None]
    best = sorted((a for a in answered if a.fooled), key=lambda a: a.seconds)[:count]
    worst = sorted((a for a in answered if not a.fooled), key=lambda a: a.seconds)[:count]
    return best, worst


def percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f} %"


def interval_text(score: Score) -> str:
    return "–" if not score.rounds else f"{100 * score.low:.0f}–{100 * score.high:.0f} %"
