"""The tone prior: where a faded photo's black and white points belong, learned from the training photos.

Fading is, to a good approximation, ``L ↦ a·L + b`` with ``a < 1``: it keeps the shape of the
lightness histogram and moves its levels. Two things say where the levels were:
- the shape: the photo's lightness normalized by its own black and white points (the
  :data:`ENDS` percentiles), read at :data:`SHAPE_LEVELS` (a dark-heavy photo has its white point
  lower than a misty one, whatever the fading);
- the measured levels themselves: a print whose blacks and whites lie 30 L* apart has faded
  more than one whose lie 70 apart, given how far prints fade.
The targets are linear in the products of the two (:func:`features`). The weights minimize the
lightness error, pixel by pixel, of the training photos, each faded at random as the learned
restorer's training fades them (:data:`plugins.restore.degrade.WORN_CONTRAST`, :data:`WORN_LIFT
<plugins.restore.degrade.WORN_LIFT>`, and a share left unfaded) or, now and then, harder
(:data:`HARD_FADING`), normalized and mapped back.
Fading changes only the measured levels, not the normalized photo, so each photo's sums are
taken once and faded many times at no cost. The fit weights each photo so as to maximize the
mean PSNR rather than to minimize the pooled squared error (see :func:`fit_prior`).

:mod:`plugins.restore.tone_prior_weights` holds the weights; ``python bench/tone_prior.py --write``
measures them (on ``../shared/data/train`` and ``train-extra``) and says how well they do.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Iterable

import numpy as np

from plugins.restore.measure import stride_for

ENDS = (0.5, 99.5)
"""The percentiles taken as the photo's own black and white points."""
SHAPE_LEVELS = (1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 75.0, 90.0, 95.0, 98.0, 99.0)
"""The percentiles that describe the histogram's shape, between its black and white points."""
MIN_PICTURE = 0.5
"""Should the dust and scratches cover more than half the photo, the levels are taken over all of it."""
RIDGE = 1e-4
"""Regularization of the fit, relative to the mean diagonal of its normal equations."""
REWEIGHT_ROUNDS = 5
"""Refits of :func:`fit_prior` with each photo weighted by its error (see there)."""
FADINGS = 4
"""Random fadings of each training photo in the fit."""
HARD_FADING = (0.1, 0.45)
HARD_SHARE = 0.1
"""One faded copy in ten fades to a contrast in :data:`HARD_FADING`, harder than the restorer's
training ever does: fitted on the restorer's fadings alone, the prior took a print faded to 15 %
for one faded to 45 % and left it dull (19 dB of lightness instead of 33 on val-extra photos),
at the cost of 0.3 dB on the bench's fadings."""


@dataclass(frozen=True)
class Levels:
    """A photo's black and white points as measured, and where the prior puts them (L*)."""

    black: float
    white: float
    target_black: float
    target_white: float

    @property
    def gain(self) -> float:
        return (self.target_white - self.target_black) / max(self.white - self.black, 1.0)

    def apply(self, lightness: np.ndarray) -> np.ndarray:
        out = (np.asarray(lightness, dtype=np.float32) - np.float32(self.black)) * np.float32(self.gain)
        out += np.float32(self.target_black)
        return np.clip(out, 0.0, 100.0, out=out)


@dataclass(frozen=True)
class TonePrior:
    black_weights: np.ndarray
    """``(FEATURES,)``: the black point's target, linear in :func:`features`."""
    white_weights: np.ndarray
    black_quartiles: tuple[float, float, float] = (0.0, 0.0, 0.0)
    """The training photos' black points (L*): lower quartile, median, upper quartile."""
    white_quartiles: tuple[float, float, float] = (100.0, 100.0, 100.0)

    def levels(self, lightness: np.ndarray) -> Levels:
        """``lightness``'s black and white points and the prior's targets for them (read off a
        strided copy of a large photo). The targets never lift the black point nor dull the white
        one: restoring a fade only spreads the levels apart."""
        black, white, shape = measure_shape(lightness)
        target_black, target_white = self.targets(black, white, shape)
        target_black = min(max(target_black, 0.0), black)
        return Levels(black, white, target_black, min(max(target_white, white, target_black), 100.0))

    def targets(self, black: float, white: float, shape: np.ndarray) -> tuple[float, float]:
        """Where the black and white points of a photo measured at ``black`` and ``white`` with this
        histogram ``shape`` (see :func:`measure_shape`) most likely were before it faded."""
        row = features(np.array([black]), np.array([white]), np.asarray(shape)[None])[0]
        return float(row @ self.black_weights), float(row @ self.white_weights)

    def faded(self, levels: Levels) -> bool:
        """Whether both ends have moved in as fading moves them: the black point lighter and the
        white point darker than three quarters of the training photos' (one alone is common in
        a natural photo: a misty scene, a night shot)."""
        return levels.black > self.black_quartiles[2] and levels.white < self.white_quartiles[0]


def measure_shape(lightness: np.ndarray) -> tuple[float, float, np.ndarray]:
    """``(black, white, shape)``: the :data:`ENDS` percentiles of ``lightness`` and its
    :data:`SHAPE_LEVELS` percentiles as shares of the way from black to white.

    They are the picture's, not its dust's: the pixels that the dust and scratch search
    (:func:`plugins.restore.scratches.find_defects`) flags, grown by a pixel, are left out, so
    that a step run on a scratched scan, or on what the scratches step missed, is not set by
    the specks. Measured on a strided copy of a large photo."""
    import cv2

    from plugins.restore.scratches import find_defects

    step = stride_for(lightness.shape)
    small = np.ascontiguousarray(lightness[::step, ::step], dtype=np.float32)
    dust = cv2.dilate(find_defects(small).mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    picture = small[~dust] if (~dust).sum() >= MIN_PICTURE * small.size else small.ravel()
    values = np.percentile(picture, (ENDS[0], *SHAPE_LEVELS, ENDS[1]))
    black, white = float(values[0]), float(values[-1])
    return black, white, (values[1:-1] - black) / max(white - black, 1.0)


def features(black: np.ndarray, white: np.ndarray, shape: np.ndarray) -> np.ndarray:
    """``(N, FEATURES)``: each of N photos' ``(1, shape…)`` times seven terms of its
    measured ``black`` and ``white`` points (``(N,)`` each; ``shape``: ``(N, len(SHAPE_LEVELS))``).

    With ``r`` the measured range, the targets ``50 + (black - 50)·R/r`` that undo a fading about
    mid-gray are linear in ``(black - 50)/r`` and ``(white - 50)/r`` once the true range ``R`` is
    linear in the shape; ``r`` and ``1/r`` say how far the print is likely to have faded."""
    black, white = np.asarray(black, np.float64), np.asarray(white, np.float64)
    spread = np.maximum(white - black, 1.0)
    terms = np.stack([np.ones_like(black), black / 50, white / 50, (black - 50) / spread, (white - 50) / spread,
                      spread / 100, 30 / spread], axis=1)
    base = np.concatenate([np.ones((len(black), 1)), np.asarray(shape, np.float64)], axis=1)
    return (base[:, :, None] * terms[:, None, :]).reshape(len(black), -1)


FEATURES = features(np.zeros(1), np.ones(1), np.zeros((1, len(SHAPE_LEVELS)))).shape[1]


@dataclass(frozen=True)
class PhotoSums:
    """What the fit needs of one photo: its levels and shape (see :func:`measure_shape`) and sums
    over its pixels of products of ``v = 1 - u``, ``u`` (the normalized lightness) and ``t`` (the
    lightness)."""

    black: float
    white: float
    shape: np.ndarray
    vv: float
    vu: float
    uu: float
    vt: float
    ut: float
    tt: float
    pixels: int

    @classmethod
    def of(cls, lightness: np.ndarray) -> PhotoSums:
        black, white, shape = measure_shape(lightness)
        t = np.asarray(lightness, np.float64).ravel()
        u = (t - black) / max(white - black, 1.0)
        v = 1.0 - u
        return cls(black, white, shape, float(v @ v), float(v @ u), float(u @ u), float(v @ t), float(u @ t),
                   float(t @ t), t.size)


def fit_prior(photos: Iterable[np.ndarray], rounds: int = REWEIGHT_ROUNDS, seed: int = 0) -> TonePrior:
    """The weights that map each of ``photos`` (clean L*, ``float32 (H, W)``), faded at random
    (:data:`FADINGS` times, seeded by ``seed``), normalized by its own black and white points,
    back to itself with the least error.

    The mapped photo is ``(1 - u)·B + u·W`` with ``u`` the normalized lightness and ``B``, ``W``
    linear in :func:`features`, so the fit is a linear least-squares problem whose normal
    equations add up photo by photo. A plain fit would let the few photos that map back worst
    outweigh the rest; each of ``rounds`` refits weights every faded copy by ``1 / (its MSE + 1)``,
    which minimizes about the mean of ``log(MSE + 1)`` over them: the mean PSNR."""
    return fit_sums([PhotoSums.of(lightness) for lightness in photos], rounds, seed)


def fit_sums(sums: list[PhotoSums], rounds: int = REWEIGHT_ROUNDS, seed: int = 0) -> TonePrior:
    """:func:`fit_prior` on the photos' sums."""
    if not sums:
        raise ValueError("no photos to fit the tone prior on")
    column = {name: np.tile([getattr(s, name) for s in sums], FADINGS)
              for name in ("black", "white", "vv", "vu", "uu", "vt", "ut", "tt", "pixels")}
    black, white = random_fadings(column["black"], column["white"], np.random.default_rng(seed))
    rows = features(black, white, np.tile(np.stack([s.shape for s in sums]), (FADINGS, 1)))
    weights = np.ones(len(rows))
    for _ in range(rounds + 1):
        black_weights, white_weights = _solve(rows, column, weights)
        b, w = rows @ black_weights, rows @ white_weights
        total = b * b * column["vv"] + 2 * b * w * column["vu"] + w * w * column["uu"]
        total += column["tt"] - 2 * b * column["vt"] - 2 * w * column["ut"]
        weights = 1.0 / (np.maximum(total, 0.0) / column["pixels"] + 1.0)
    blacks, whites = [s.black for s in sums], [s.white for s in sums]
    return TonePrior(black_weights, white_weights, quartiles(blacks), quartiles(whites))


def random_fadings(black: np.ndarray, white: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The black and white points ``(N,)`` of N photos each faded at random (or not) as the fit fades them."""
    from plugins.restore.degrade import WORN_CONTRAST, WORN_LIFT, WORN_SHARE

    faded = rng.random(black.shape) < WORN_SHARE
    hard = rng.random(black.shape) < HARD_SHARE
    contrast = np.where(hard, rng.uniform(*HARD_FADING, black.shape), rng.uniform(*WORN_CONTRAST, black.shape))
    contrast = np.where(faded, contrast, 1.0)
    center = np.where(faded, 50.0 + rng.uniform(*WORN_LIFT, black.shape), 50.0)
    return center + (black - 50.0) * contrast, center + (white - 50.0) * contrast


def _solve(rows: np.ndarray, column: dict[str, np.ndarray], weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    def gram(name: str) -> np.ndarray:
        return (rows * (weights * column[name])[:, None]).T @ rows

    vu = gram("vu")
    normal = np.block([[gram("vv"), vu], [vu.T, gram("uu")]])
    moment = np.concatenate([rows.T @ (weights * column["vt"]), rows.T @ (weights * column["ut"])])
    normal += RIDGE * np.trace(normal) / len(normal) * np.eye(len(normal))
    solution = np.linalg.solve(normal, moment)
    return solution[: rows.shape[1]], solution[rows.shape[1] :]


def quartiles(values: list[float]) -> tuple[float, float, float]:
    return tuple(float(v) for v in np.percentile(values, (25, 50, 75)))


@functools.lru_cache(maxsize=1)
def load_prior() -> TonePrior:
    """The prior measured on the training photos (:mod:`plugins.restore.tone_prior_weights`)."""
    from plugins.restore import tone_prior_weights as stored

    if tuple(stored.ENDS) != ENDS or tuple(stored.SHAPE_LEVELS) != SHAPE_LEVELS or len(stored.BLACK_WEIGHTS) != FEATURES:
        raise ValueError("the stored tone prior was measured with other features; run python bench/tone_prior.py --write")
    return TonePrior(np.array(stored.BLACK_WEIGHTS, np.float64), np.array(stored.WHITE_WEIGHTS, np.float64),
                     tuple(stored.BLACK_QUARTILES), tuple(stored.WHITE_QUARTILES))
