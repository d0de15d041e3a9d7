"""Semantic plausibility in `training eval --semantic`: the classifier's top-1 class on the result vs the truth."""

from __future__ import annotations

import numpy as np

from training.evaluate import Report, SampleScores, markdown_table
from training.semantic import TopOneClassifier, top1_agreement


def test_agreement_is_the_share_of_equal_top1_classes():
    assert top1_agreement(np.array([3, 5, 7, 9]), np.array([3, 5, 1, 2])) == 0.5


def test_the_classifier_labels_photos_and_the_table_shows_the_column():
    rng = np.random.default_rng(0)
    photos = [rng.integers(0, 255, (64, 64, 3), dtype=np.uint8) for _ in range(3)]
    classify = TopOneClassifier(batch_size=2)
    labels = classify(photos)
    assert labels.shape == (3,) and labels.dtype == np.int64 and ((0 <= labels) & (labels < 1000)).all()
    assert np.array_equal(classify(photos[::-1]), labels[::-1])
    report = Report("x", 3, [SampleScores(22.0, 0.9, 20.0, 10.0, top1_agreement=0.75)])
    table = markdown_table([report])
    assert table.splitlines()[0].endswith("| top-1 agreement |") and "| 0.750 |" in table
    assert "top-1" not in markdown_table([Report("x", 3, [SampleScores(22.0, 0.9, 20.0, 10.0)])])
