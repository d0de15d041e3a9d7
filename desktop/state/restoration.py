"""A photo's restoration as the user sets it in the Restore panel: which steps, how strong, and the
dust-and-scratches mask as the user edited it; and running it on the photo's lightness.

The steps are the built-in restorers of ``plugins/restore``: the learned clean-up first, then
tone, denoise, dust and scratches in the host's order (``plugins.host.restoration.AUTO_ORDER``),
each on the previous one's result. The
scratches step is run in two halves here, detection and inpainting, so that the user's brush
strokes can add to the detected mask or erase from it in between. A stroke is kept, not the mask
itself: the mask is detected again from the photo and the strokes replayed on it, at any
resolution. No Qt here; the model code it calls is ``plugins.restore``'s.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Callable, Generator, Hashable

import numpy as np

from plugins.errors import TinctError
from plugins.host.discovery import describe
from plugins.host.restoration import AUTO_ORDER
from plugins.restore import scratches as scratches_step
from plugins.restore import tone as tone_step

STEP_NAMES = {"learned": "learned clean-up", "tone": "tone", "denoise": "denoise", "scratches": "dust and scratches"}
ORDER = ("learned", *AUTO_ORDER)
"""The order the steps run in: the learned clean-up (which stands in for denoise and dust and
scratches, but may be combined with them) first, then the host's."""
MAX_STROKE_POINTS = 4096


@dataclass(frozen=True)
class MaskStroke:
    """A brush stroke on the dust-and-scratches mask: it adds the pixels it covers, or erases them.

    ``points`` are full-resolution photo pixels ``(x, y)`` (0 at the center of the top-left pixel, as
    color hints count), ``radius`` is in full-resolution pixels.
    """

    points: tuple[tuple[float, float], ...]
    radius: float
    erase: bool = False

    def to_json(self) -> dict:
        return {"points": [list(p) for p in self.points], "radius": self.radius, "erase": self.erase}


def mask_stroke_from_json(raw: object) -> MaskStroke | None:
    """A stroke from its JSON; None for anything damaged (it is dropped alone)."""
    if not isinstance(raw, dict) or not _finite(raw.get("radius")) or raw["radius"] <= 0:
        return None
    points, erase = raw.get("points"), raw.get("erase", False)
    if not isinstance(points, list) or not points or len(points) > MAX_STROKE_POINTS or not isinstance(erase, bool):
        return None
    if not all(isinstance(p, list) and len(p) == 2 and all(map(_finite, p)) for p in points):
        return None
    return MaskStroke(tuple((float(x), float(y)) for x, y in points), float(raw["radius"]), erase)


@dataclass(frozen=True)
class RestoreSettings:
    """Which restoration steps run on a photo before colorizing it, and how.

    Strengths are 0..1 as the restorers take them. ``denoise_strength`` None: the strength the
    photo's measured noise calls for. ``scratches_strength`` is how readily a line or speck is taken
    for a defect; ``strokes`` are the user's edits of the detected mask, in order. ``learned``: the
    learned clean-up of grain, dust and scratches (:mod:`plugins.restore.learned`), run first, at
    ``learned_strength``.
    """

    tone: bool = False
    tone_strength: float = tone_step.DEFAULT_STRENGTH
    denoise: bool = False
    denoise_strength: float | None = None
    scratches: bool = False
    scratches_strength: float = scratches_step.DEFAULT_STRENGTH
    strokes: tuple[MaskStroke, ...] = field(default=())
    learned: bool = False
    learned_strength: float = 1.0

    @property
    def active(self) -> bool:
        """Some step is on: colorizing restores the photo first."""
        return self.tone or self.denoise or self.scratches or self.learned

    def steps(self) -> tuple[str, ...]:
        """The ids of the steps that are on, in the order they run."""
        return tuple(step for step in ORDER if getattr(self, step, False))

    def summary(self) -> str:
        """``tone, denoise`` …: the steps on, in words; "" when none is."""
        return ", ".join(STEP_NAMES[step] for step in self.steps())

    def with_changes(self, **changes) -> RestoreSettings:
        return replace(self, **changes)

    def to_json(self) -> dict:
        return {"tone": self.tone, "tone_strength": self.tone_strength, "denoise": self.denoise,
                "denoise_strength": self.denoise_strength, "scratches": self.scratches,
                "scratches_strength": self.scratches_strength, "learned": self.learned,
                "learned_strength": self.learned_strength, "strokes": [s.to_json() for s in self.strokes]}


def restore_settings_from(raw: object) -> RestoreSettings:
    """Settings from their JSON, forgiving: a damaged value takes its default, a damaged stroke is dropped."""
    if not isinstance(raw, dict):
        return RestoreSettings()
    default = RestoreSettings()

    def flag(name: str) -> bool:
        return raw.get(name) if isinstance(raw.get(name), bool) else getattr(default, name)

    def strength(name: str, allow_none: bool = False):
        value = raw.get(name)
        if value is None and allow_none:
            return None
        return float(value) if _finite(value) and 0.0 <= value <= 1.0 else getattr(default, name)

    strokes = tuple(s for s in map(mask_stroke_from_json, raw.get("strokes") or []) if s is not None) \
        if isinstance(raw.get("strokes"), list) else ()
    return RestoreSettings(tone=flag("tone"), tone_strength=strength("tone_strength"), learned=flag("learned"),
                           learned_strength=strength("learned_strength"), denoise=flag("denoise"),
                           denoise_strength=strength("denoise_strength", True), scratches=flag("scratches"),
                           scratches_strength=strength("scratches_strength"), strokes=strokes)


# -- the mask -------------------------------------------------------------------------------------


def apply_strokes(mask: np.ndarray, strokes, scale: float = 1.0) -> np.ndarray:
    """``mask`` (bool) with ``strokes`` replayed in order, their coordinates times ``scale`` (a mask
    smaller than the photo: its size over the photo's). A new array."""
    out = np.array(mask, dtype=bool)
    if not strokes:
        return out
    layer = np.zeros(out.shape, np.uint8)
    for stroke in strokes:
        layer[:] = 0
        _draw(layer, stroke, scale)
        covered = layer.astype(bool)
        if stroke.erase:
            out &= ~covered
        else:
            out |= covered
    return out


def _draw(layer: np.ndarray, stroke: MaskStroke, scale: float) -> None:
    import cv2

    radius = max(0.5, stroke.radius * scale)
    shift = 4  # sub-pixel coordinates: 1/16 px
    points = [(int(round((x + 0.5) * scale * 16 - 8)), int(round((y + 0.5) * scale * 16 - 8))) for x, y in stroke.points]
    for start, end in zip(points, points[1:]):
        cv2.line(layer, start, end, 1, max(1, int(round(2 * radius))), cv2.LINE_8, shift)
    for point in points:
        cv2.circle(layer, point, int(round(radius * 16)), 1, -1, cv2.LINE_8, shift)


def shrink_mask(mask: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """``mask`` at ``shape`` (smaller), where a pixel is set when any of the pixels it covers is: a
    1-px scratch stays visible in a preview."""
    import cv2

    if mask.shape == tuple(shape):
        return np.array(mask, dtype=bool)
    return cv2.resize(mask.astype(np.float32), (shape[1], shape[0]), interpolation=cv2.INTER_AREA) > 0


# -- running it -------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class RestoredLightness:
    """What restoring a photo's lightness made."""

    lightness: np.ndarray
    """``float32 (H, W)``, L* 0..100: the restored lightness (the input when no step is on)."""
    before_fill: np.ndarray
    """The lightness the dust-and-scratches step got (the result when that step is off)."""
    detected: np.ndarray | None
    """``bool (H, W)``: the dust and scratches found; None without that step."""
    mask: np.ndarray | None
    """The detected mask with the user's strokes: the pixels filled."""
    notes: tuple[str, ...] = ()
    failures: tuple[str, ...] = ()
    """One line per step that failed (and was left out)."""
    noise_sigma: float | None = None
    """The noise of the lightness the denoise step gets, L* (measured when asked for)."""


class StageCache:
    """The last result of each step for one photo, so that an edit redoes only the steps after it
    (a brush stroke only the filling). Used from one thread at a time."""

    def __init__(self) -> None:
        self._results: dict[str, tuple[Hashable, object]] = {}

    def get(self, stage: str, key: Hashable, make: Callable[[], object]) -> object:
        kept = self._results.get(stage)
        if kept is not None and kept[0] == key:
            return kept[1]
        value = make()
        self._results[stage] = (key, value)
        return value

    def clear(self) -> None:
        self._results.clear()


@dataclass(frozen=True, eq=False)
class _Step:
    lightness: np.ndarray
    notes: tuple[str, ...] = ()
    failure: str = ""


def restoring(lightness: np.ndarray, settings: RestoreSettings, cache: StageCache | None = None,
              measure_noise: bool = False) -> Generator[str, None, RestoredLightness]:
    """Restore ``lightness`` (``float32 (H, W)``, never changed) as ``settings`` say.

    A generator: it yields the name of each step before running it (a cancel point for a worker
    job) and returns a :class:`RestoredLightness`. A step that fails is left out and said in
    ``failures``, as the host does. ``measure_noise``: also measure the noise the denoise step
    would get (for the panel's estimate), even with that step off.
    """
    cache = cache if cache is not None else StageCache()
    source = np.asarray(lightness, dtype=np.float32)
    current, key = source, (id(lightness), source.shape)
    notes: list[str] = []
    failures: list[str] = []
    before_fill, detected, mask, sigma = None, None, None, None
    for step_id in ORDER:  # each step gets the previous one's result
        if step_id == "denoise" and measure_noise:
            from plugins.restore.measure import noise_sigma

            sigma = cache.get("noise", key, lambda c=current: noise_sigma(c))
        if not getattr(settings, step_id, False):
            continue
        yield step_id
        if step_id in ONE_PASS_STEPS:
            strength = getattr(settings, f"{step_id}_strength")
            key = (key, step_id, strength)
            run = ONE_PASS_STEPS[step_id]
            done = cache.get(step_id, key, lambda c=current: _run(step_id, lambda: run(c, strength), c))
            current = _take(done, notes, failures)
        elif step_id == "scratches":
            before_fill = current
            key = (key, "detect", settings.scratches_strength)
            found = cache.get("detect", key,
                              lambda c=current: _run("scratches", lambda: _detect(c, settings.scratches_strength), c))
            if found.failure:
                failures.append(found.failure)
                continue
            detected = found.lightness
            notes.extend(found.notes)
            key = (key, "fill", settings.strokes)
            mask = cache.get("mask", key, lambda: apply_strokes(detected, settings.strokes))
            filled = cache.get("fill", key, lambda c=current: _run("scratches", lambda: _fill(c, mask), c))
            current = _take(filled, [], failures)
            if filled.failure:
                mask = None
    before_fill = current if before_fill is None else before_fill
    return RestoredLightness(current, before_fill, detected, mask, tuple(notes), tuple(failures), sigma)


def restore_lightness(lightness: np.ndarray, settings: RestoreSettings, cache: StageCache | None = None) -> RestoredLightness:
    """:func:`restoring` run to its end."""
    steps = restoring(lightness, settings, cache)
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value


def estimated_denoise_strength(sigma: float) -> float:
    """The strength the denoise step chooses itself for noise ``sigma`` (L*)."""
    from plugins.restore.denoise import strength_for_sigma

    return strength_for_sigma(sigma)


def _run(step_id: str, work: Callable[[], _Step], fallback: np.ndarray) -> _Step:
    try:
        return work()
    except TinctError as error:
        return _Step(fallback, failure=f"{STEP_NAMES[step_id]} failed: {error}; left out")
    except Exception as error:  # noqa: BLE001 - one failing step is left out, as the host does
        return _Step(fallback, failure=f"{STEP_NAMES[step_id]} failed: {describe(error)}; left out")


def _take(step: _Step, notes: list[str], failures: list[str]) -> np.ndarray:
    if step.failure:
        failures.append(step.failure)
    notes.extend(step.notes)
    return step.lightness


def _tone(lightness: np.ndarray, strength: float) -> _Step:
    result = tone_step.Tone().restore(lightness, strength)
    return _Step(np.clip(result.lightness, 0.0, 100.0).astype(np.float32), tuple(result.notes))


def _learned(lightness: np.ndarray, strength: float) -> _Step:
    from plugins.restore.learned import Learned

    result = Learned().restore(lightness, strength)  # the network is loaded once and shared
    return _Step(np.clip(result.lightness, 0.0, 100.0).astype(np.float32), tuple(result.notes))


def _denoise(lightness: np.ndarray, strength: float | None) -> _Step:
    from plugins.restore.denoise import Denoise

    result = Denoise().restore(lightness, strength)
    return _Step(np.clip(result.lightness, 0.0, 100.0).astype(np.float32), tuple(result.notes))


ONE_PASS_STEPS: dict[str, Callable[[np.ndarray, float | None], _Step]] = {
    "learned": _learned, "tone": _tone, "denoise": _denoise}
"""The steps that run in one go, by id (dust and scratches runs in two halves, around the brush strokes)."""


def _detect(lightness: np.ndarray, strength: float) -> _Step:
    """Detection's mask travels as the step's ``lightness`` (a bool array)."""
    defects = scratches_step.find_defects(lightness, strength)
    note = (f"dust and scratches: {defects.scratches} scratch(es) and {defects.specks} speck(s) found, "
            f"{100 * defects.mask.mean():.2f} % of the photo")
    return _Step(np.asarray(defects.mask, dtype=bool), (note,))


def _fill(lightness: np.ndarray, mask: np.ndarray) -> _Step:
    if not mask.any():
        return _Step(lightness)
    return _Step(scratches_step.inpaint(lightness, mask))


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
