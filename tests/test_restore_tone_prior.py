"""The tone prior: learned levels, read off the histogram's shape and how far the print faded, and auto's test for a faded print."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from plugins.restore.tone import Tone
from plugins.restore.tone_prior import FEATURES, Levels, TonePrior, fit_prior, load_prior, measure_shape


def scene(seed: int, size: int = 128) -> np.ndarray:
    """Soft blobs of random contrast and brightness: histograms of many shapes, in 0..1."""
    rng = np.random.default_rng(seed)
    blobs = cv2.GaussianBlur(rng.normal(0, 1, (size, size)).astype(np.float32), (0, 0), rng.uniform(3, 12))
    blobs = blobs ** rng.choice([1, 2, 3]) if rng.random() < 0.5 else blobs
    lo, hi = np.percentile(blobs, (0.5, 99.5))
    return np.clip((blobs - lo) / (hi - lo), 0, 1).astype(np.float32)


def leveled(unit: np.ndarray, black: float, white: float) -> np.ndarray:
    return (black + unit * (white - black)).astype(np.float32)


def test_a_prior_fitted_on_photos_with_known_levels_puts_a_faded_ones_back_there():
    prior = fit_prior(leveled(scene(seed), 6.0, 88.0) for seed in range(40))
    photo = leveled(scene(100), 6.0, 88.0)
    faded = (52.0 + (photo - 50.0) * 0.55).astype(np.float32)
    levels = prior.levels(faded)
    assert levels.target_black == pytest.approx(6.0, abs=1.0) and levels.target_white == pytest.approx(88.0, abs=1.0)
    assert np.abs(levels.apply(faded) - photo).mean() < 1.0
    assert prior.black_quartiles[1] == pytest.approx(6.0, abs=0.5) and prior.white_quartiles[1] == pytest.approx(88.0, abs=0.5)


def test_the_prior_learns_levels_that_follow_the_histograms_shape():
    # Here the darker-heavy a photo (the lower its median between black and white), the lower its
    # white point: fixed levels cannot tell them apart, the learned prior can.
    def photo(seed: int) -> np.ndarray:
        unit = scene(seed)
        return leveled(unit, 4.0, 50.0 + 60.0 * min(float(np.median(unit)), 0.75))

    prior = fit_prior(photo(seed) for seed in range(60))
    truths = [photo(seed) for seed in range(200, 220)]
    expected = np.array([np.percentile(truth, 99.5) for truth in truths])
    assert np.ptp(expected) > 20
    found = np.array([prior.levels((50.0 + (truth - 50.0) * 0.6).astype(np.float32)).target_white for truth in truths])
    assert np.abs(found - expected).max() < 2.0


def test_tone_reads_how_far_a_photo_faded_from_its_levels():
    photo = leveled(scene(7, 256), 3.0, 95.0) * 0.9 + 5.0
    gains = []
    for contrast, center in ((0.5, 55.0), (0.6, 50.0), (0.75, 47.0)):
        faded = (center + (photo - 50.0) * contrast).astype(np.float32)
        assert Tone().assess(faded) is not None
        levels = load_prior().levels(faded)
        gains.append(levels.gain)
        assert np.abs(levels.apply(faded) - photo).mean() < 0.5 * np.abs(faded - photo).mean()
    # the more faded the print, the more its levels are spread apart
    assert gains[0] > gains[1] > gains[2] > 1.2
    assert gains[0] * 0.5 == pytest.approx(1.0, abs=0.25) and gains[2] * 0.75 == pytest.approx(1.0, abs=0.25)


@pytest.mark.parametrize("contrast", [0.15, 0.3])
def test_a_print_faded_harder_than_the_restorers_training_is_still_stretched_well(contrast):
    photo = leveled(scene(9, 256), 3.0, 95.0)
    faded = (53.0 + (photo - 50.0) * contrast).astype(np.float32)
    levels = load_prior().levels(faded)
    assert levels.gain * contrast == pytest.approx(1.0, abs=0.3)
    assert np.abs(levels.apply(faded) - photo).mean() < 0.25 * np.abs(faded - photo).mean()


def test_tone_leaves_a_photo_that_did_not_fade_about_as_it_is():
    photo = leveled(scene(8, 256), 2.0, 97.0)
    assert np.abs(load_prior().levels(photo).apply(photo) - photo).mean() < 1.5


def test_auto_leaves_a_photo_alone_when_only_one_end_is_pulled_in():
    unit = scene(3, 256)
    night = leveled(unit, 1.0, 60.0)  # true blacks, no bright light: a night shot
    mist = leveled(unit, 35.0, 98.0)  # bright whites, lifted blacks: mist, or a high-key portrait
    faded = leveled(unit, 25.0, 80.0)  # both
    assert Tone().assess(night) is None and Tone().assess(mist) is None
    assert Tone().assess(faded) is not None


def test_levels_never_lift_the_blacks_nor_dull_the_whites():
    wants_gray = TonePrior(np.r_[40.0, np.zeros(FEATURES - 1)], np.r_[60.0, np.zeros(FEATURES - 1)])
    photo = leveled(scene(5), 20.0, 80.0)
    levels = wants_gray.levels(photo)
    assert levels.target_black == pytest.approx(levels.black) and levels.target_white == pytest.approx(levels.white)
    assert levels.gain == pytest.approx(1.0)


def test_the_stored_prior_loads_and_is_a_natural_photos():
    prior = load_prior()
    assert len(prior.black_weights) == len(prior.white_weights) == FEATURES
    assert 0 < prior.black_quartiles[1] < 10 and 90 < prior.white_quartiles[1] <= 100
    # a typical histogram (uniform between black and white) goes to typical levels
    black, white, shape = measure_shape(np.linspace(30, 70, 10_000, dtype=np.float32).reshape(100, 100))
    target_black, target_white = prior.targets(black, white, shape)
    assert 0 <= target_black < 10 and 88 < target_white <= 100
    assert Levels(black, white, target_black, target_white).gain > 2.0


def test_the_levels_are_the_pictures_not_its_dust_and_scratches():
    from plugins.restore.degrade import defect_layer

    photo = leveled(scene(13, 256), 3.0, 95.0)
    faded = (52.0 + (photo - 50.0) * 0.6).astype(np.float32)
    offset, opacity = defect_layer(faded.shape, np.random.default_rng(13))
    scratched = np.clip(faded + offset * opacity, 0, 100).astype(np.float32)
    # the specks and scratches alone would set both the black and the white point
    assert np.percentile(scratched, 0.5) < np.percentile(faded, 0.5) - 5
    assert np.percentile(scratched, 99.5) > np.percentile(faded, 99.5) + 5
    prior = load_prior()
    plain, dusty = prior.levels(faded), prior.levels(scratched)
    assert dusty.black == pytest.approx(plain.black, abs=1.5) and dusty.white == pytest.approx(plain.white, abs=1.5)
    assert np.abs(Tone().restore(scratched, None).lightness - plain.apply(scratched)).mean() < 1.0
