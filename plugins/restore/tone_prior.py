"""The tone prior: where a natural photo's black and white points lie, learned from the training photos.

A faded print keeps the shape of its lightness histogram but not its levels: fading is, to a
good approximation, ``L ↦ a·L + b`` with ``a < 1``, and from the faded photo alone ``a`` and
``b`` cannot be told apart from a photo that is dull by nature. What can be learned is what the
levels of a natural photo of that histogram shape *usually* are. The photo's lightness is
normalized by its own black and white points (the :data:`ENDS` percentiles), which removes any
fading, and its percentiles at :data:`SHAPE_LEVELS` in that frame (the shape) predict, linearly,
where its black and white points belong. The weights minimize the lightness error, pixel by
pixel, of the training photos normalized and mapped back this way, so fading a photo and then
applying the prior gives the same result for any fading: the prior never sees a faded photo.
The fit weights each photo so as to maximize the mean PSNR rather than to minimize the pooled
squared error (see :func:`fit_prior`).

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
RIDGE = 1e-3
"""Regularization of the fit, relative to the mean diagonal of its normal equations."""
REWEIGHT_ROUNDS = 5
"""Refits of :func:`fit_prior` with each photo weighted by its error (see there)."""


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
    """``(1 + len(SHAPE_LEVELS),)``: the black point's target, linear in ``(1, shape…)``."""
    white_weights: np.ndarray
    black_quartiles: tuple[float, float, float] = (0.0, 0.0, 0.0)
    """The training photos' black points (L*): lower quartile, median, upper quartile."""
    white_quartiles: tuple[float, float, float] = (100.0, 100.0, 100.0)

    def levels(self, lightness: np.ndarray) -> Levels:
        """``lightness``'s black and white points and the prior's targets for them (read off a
        strided copy of a large photo). The targets never lift the black point nor dull the white
        one: restoring a fade only spreads the levels apart."""
        black, white, shape = measure_shape(lightness)
        target_black, target_white = self.targets(shape)
        target_black = min(max(target_black, 0.0), black)
        return Levels(black, white, target_black, min(max(target_white, white, target_black), 100.0))

    def targets(self, shape: np.ndarray) -> tuple[float, float]:
        """Where a natural photo of this histogram ``shape`` (see :func:`measure_shape`) has its black and white points."""
        features = np.concatenate([[1.0], shape])
        return float(features @ self.black_weights), float(features @ self.white_weights)

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


@dataclass(frozen=True)
class PhotoSums:
    """What the fit needs of one photo: its shape features ``f`` and sums over its pixels of
    products of ``v = 1 - u``, ``u`` (the normalized lightness) and ``t`` (the lightness)."""

    black: float
    white: float
    features: np.ndarray
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
        return cls(black, white, np.concatenate([[1.0], shape]), float(v @ v), float(v @ u), float(u @ u), float(v @ t),
                   float(u @ t), float(t @ t), t.size)

    def mse(self, black_weights: np.ndarray, white_weights: np.ndarray) -> float:
        """The mean squared error of the photo mapped back with these weights (without clipping)."""
        b, w = float(self.features @ black_weights), float(self.features @ white_weights)
        total = b * b * self.vv + 2 * b * w * self.vu + w * w * self.uu - 2 * b * self.vt - 2 * w * self.ut + self.tt
        return max(total, 0.0) / self.pixels


def fit_prior(photos: Iterable[np.ndarray], rounds: int = REWEIGHT_ROUNDS) -> TonePrior:
    """The weights that map each of ``photos`` (clean L*, ``float32 (H, W)``), normalized by its
    own black and white points, back to itself with the least error.

    The mapped photo is ``(1 - u)·B + u·W`` with ``u`` the normalized lightness and ``B``, ``W``
    linear in the shape features, so the fit is a linear least-squares problem whose normal
    equations add up photo by photo. A plain fit would let the few photos that map back worst
    outweigh the rest; each of ``rounds`` refits weights every photo by ``1 / (its MSE + 1)``,
    which minimizes about the mean of ``log(MSE + 1)`` over the photos: the mean PSNR."""
    return fit_sums([PhotoSums.of(lightness) for lightness in photos], rounds)


def fit_sums(sums: list[PhotoSums], rounds: int = REWEIGHT_ROUNDS) -> TonePrior:
    """:func:`fit_prior` on the photos' sums."""
    if not sums:
        raise ValueError("no photos to fit the tone prior on")
    weights = np.ones(len(sums))
    for _ in range(rounds + 1):
        prior = _solve(sums, weights)
        weights = 1.0 / (np.array([s.mse(prior.black_weights, prior.white_weights) for s in sums]) + 1.0)
    return prior


def _solve(sums: list[PhotoSums], weights: np.ndarray) -> TonePrior:
    n = len(sums[0].features)
    gram, moment = np.zeros((2 * n, 2 * n)), np.zeros(2 * n)
    for s, weight in zip(sums, weights):
        ff = weight * np.outer(s.features, s.features)
        gram += np.block([[s.vv * ff, s.vu * ff], [s.vu * ff, s.uu * ff]])
        moment += weight * np.concatenate([s.vt * s.features, s.ut * s.features])
    gram += RIDGE * np.trace(gram) / len(gram) * np.eye(len(gram))
    solution = np.linalg.solve(gram, moment)
    blacks, whites = [s.black for s in sums], [s.white for s in sums]
    return TonePrior(solution[:n], solution[n:], quartiles(blacks), quartiles(whites))


def quartiles(values: list[float]) -> tuple[float, float, float]:
    return tuple(float(v) for v in np.percentile(values, (25, 50, 75)))


@functools.lru_cache(maxsize=1)
def load_prior() -> TonePrior:
    """The prior measured on the training photos (:mod:`plugins.restore.tone_prior_weights`)."""
    from plugins.restore import tone_prior_weights as stored

    if tuple(stored.ENDS) != ENDS or tuple(stored.SHAPE_LEVELS) != SHAPE_LEVELS:
        raise ValueError("the stored tone prior was measured at other percentiles; run python bench/tone_prior.py --write")
    return TonePrior(np.array(stored.BLACK_WEIGHTS, np.float64), np.array(stored.WHITE_WEIGHTS, np.float64),
                     tuple(stored.BLACK_QUARTILES), tuple(stored.WHITE_QUARTILES))
