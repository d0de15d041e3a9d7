"""Restoration before colorization: the chosen restoration steps applied to a photo's lightness.

photo L (full resolution) → step 1 → step 2 … → the backend, and the merge: the saved photo
has the restored lightness. Each step is a :class:`plugins.Restorer` from a plugin (Tinct's
``tone``, ``denoise`` and ``scratches`` are plugins too). A step that raises or returns
nonsense fails alone: its failure is reported and the photo goes on without it.

What to run is a :class:`RestorePlan`, written on the command line as ``none`` (the default),
``auto`` (each installed step that :meth:`plugins.Restorer.assess` finds needed, in
:data:`AUTO_ORDER`), or ids in the order to run them, each with an optional strength:
``tone,denoise=0.4,scratches``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from plugins.errors import TinctError
from plugins.host.discovery import PLUGIN_FAILURES, RestorerEntry, describe
from plugins.host.runner import read_only
from plugins.restore.base import Restorer
from plugins.types import RestoreResult

AUTO_ORDER = ("scratches", "denoise", "tone")
"""The order ``auto`` runs steps in; steps of other plugins that take part in ``auto`` follow.
Dust first, so that the noise is measured and the black and white points are found without it;
the tone stretch last, so that it does not amplify the noise the denoiser is measuring."""


@dataclass(frozen=True)
class RestoreStep:
    id: str
    strength: float | None = None
    """``0..1``, or ``None``: the step chooses from the photo."""


@dataclass(frozen=True)
class RestorePlan:
    steps: tuple[RestoreStep, ...] = ()
    auto: bool = False

    def __bool__(self) -> bool:
        return self.auto or bool(self.steps)


def parse_restore(text: str) -> RestorePlan:
    """``none``, ``auto`` or ``ID[=STRENGTH],…`` → a plan; TinctError for anything else."""
    text = text.strip().lower()
    if text in ("", "none"):
        return RestorePlan()
    if text == "auto":
        return RestorePlan(auto=True)
    steps = []
    for part in text.split(","):
        name, _, value = part.strip().partition("=")
        strength = None
        if value:
            try:
                strength = float(value)
            except ValueError:
                strength = math.nan
            if not 0.0 <= strength <= 1.0:
                raise TinctError(f"a restoration strength is a number from 0 to 1, as in denoise=0.4 ({part.strip()!r})")
        if not name.strip():
            raise TinctError("restoration is none, auto or step ids such as tone,denoise,scratches")
        steps.append(RestoreStep(name.strip(), strength))
    if len({step.id for step in steps}) < len(steps):
        raise TinctError("each restoration step may be named once")
    return RestorePlan(tuple(steps))


@dataclass(frozen=True, eq=False)
class Restored:
    """The outcome of a restoration, as the pipeline yields it before the backend runs."""

    lightness: np.ndarray
    """``float32 (H, W)``, L* 0..100: the restored lightness (the input itself when nothing ran)."""
    applied: tuple[str, ...] = ()
    """Ids of the steps that ran, in order."""
    mask: np.ndarray | None = None
    """``bool (H, W)``: every pixel a step marked (e.g. the dust and scratches filled); ``None`` if none did."""
    notes: tuple[str, ...] = ()
    """What each step measured and did."""
    failures: tuple[str, ...] = ()
    """One line per step that failed (and was left out)."""


class Restoration:
    """The steps of a plan, created once and applied to photo after photo."""

    def __init__(self, entries: Sequence[RestorerEntry], plan: RestorePlan):
        by_id = {entry.info.id: entry for entry in entries}
        self.plan = plan
        self._entries = by_id
        self._instances: dict[str, Restorer] = {}
        if plan.auto:
            builtin = [by_id[i] for i in AUTO_ORDER if i in by_id]
            self._order = builtin + [e for e in entries if e.info.id not in AUTO_ORDER]
        else:
            self._order = []
            for step in plan.steps:
                if step.id not in by_id:
                    known = ", ".join(sorted(by_id)) or "none"
                    raise TinctError(f"no restorer {step.id!r} is installed (installed: {known})")
                self._order.append(by_id[step.id])

    @classmethod
    def for_host(cls, host, plan: RestorePlan | str) -> Restoration:
        """The plan's steps among ``host.restorers``; TinctError for an id not installed (or broken)."""
        plan = parse_restore(plan) if isinstance(plan, str) else plan
        if not plan.auto:
            for step in plan.steps:
                broken = [f for f in host.failures if f.name == step.id and step.id not in host.restorer_ids()]
                if broken:
                    raise TinctError(f"restorer {step.id} is broken: {broken[0].message}")
        return cls(host.restorers, plan)

    def __bool__(self) -> bool:
        return bool(self.plan)

    def run(self, lightness: np.ndarray) -> Restored:
        """Apply every step to ``lightness`` (never changed): each on the previous one's result."""
        current = np.asarray(lightness, dtype=np.float32)
        strengths = {step.id: step.strength for step in self.plan.steps}
        applied, notes, failures = [], [], []
        mask = None
        for entry in self._order:
            step_id = entry.info.id
            try:
                instance = self._instance(entry)
                view = read_only(current)
                if self.plan.auto:
                    strength = instance.assess(view)
                    if strength is None:
                        continue
                    strength = float(min(max(strength, 0.0), 1.0))
                else:
                    strength = strengths.get(step_id)
                result = instance.restore(view, strength)
                restored, step_mask = check_result(step_id, result, current.shape)
            except TinctError as error:
                failures.append(f"restorer {step_id} failed: {error}; colorized without it")
                continue
            except PLUGIN_FAILURES as error:
                failures.append(f"restorer {step_id} failed: {describe(error)}; colorized without it")
                continue
            current = restored
            applied.append(step_id)
            notes.extend(result.notes)
            if step_mask is not None:
                mask = step_mask if mask is None else mask | step_mask
        return Restored(current, tuple(applied), mask, tuple(notes), tuple(failures))

    def _instance(self, entry: RestorerEntry) -> Restorer:
        if entry.info.id not in self._instances:
            self._instances[entry.info.id] = entry.cls()
        return self._instances[entry.info.id]


def check_result(step_id: str, result: object, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray | None]:
    """The result's lightness as float32 clipped to 0..100 and its mask (or None); TinctError if unusable."""
    if not isinstance(result, RestoreResult):
        raise TinctError(f"returned {type(result).__name__}, not a RestoreResult")
    lightness = result.lightness
    if not isinstance(lightness, np.ndarray) or lightness.shape != tuple(shape):
        raise TinctError(f"returned lightness of shape {getattr(lightness, 'shape', None)}; expected {tuple(shape)}")
    if not np.issubdtype(lightness.dtype, np.number):
        raise TinctError(f"returned lightness of type {lightness.dtype}")
    if not np.isfinite(lightness).all():
        raise TinctError("returned lightness with NaN or infinite values")
    mask = result.mask
    if mask is not None and (not isinstance(mask, np.ndarray) or mask.shape != tuple(shape)):
        raise TinctError(f"returned a mask of shape {getattr(mask, 'shape', None)}; expected {tuple(shape)}")
    return np.clip(lightness, 0.0, 100.0, dtype=np.float32), None if mask is None else mask.astype(bool)
