"""The samples panel: a layout that settles at every size (no scrollbar/column loop burning CPU while idle)."""

from __future__ import annotations

import numpy as np
import pytest

from desktop.sample_grid import SampleGrid
from desktop.state.session import ColorSample, Run
from desktop.state.settings import ColorizeSettings


def run_with_samples(count: int, aspect: float = 0.75) -> Run:
    run = Run(ColorizeSettings(backend_id="testbackend", samples=count), expected=count)
    h, w = int(120 * aspect), 120
    for index in range(count):
        image = np.full((h, w, 3), 40 * index % 255, np.uint8)
        run.samples[index] = ColorSample(index, np.zeros((h, w, 2), np.float32), image, image)
    return run


@pytest.mark.parametrize("count", [4, 8])
def test_the_layout_settles_at_every_size(qtbot, count):
    grid = SampleGrid()
    qtbot.addWidget(grid)
    grid.show()
    grid.show_run(run_with_samples(count), aspect=0.75)
    fits = []
    original = grid._fit_tiles

    def counting_fit():
        fits.append(grid.gridSize())
        original()

    grid._fit_tiles = counting_fit
    unstable = []
    for width in range(200, 480, 19):
        for height in (300, 560, 700):
            grid.resize(width, height)
            qtbot.wait(5)
            fits.clear()
            for _ in range(4):  # let any scrollbar toggling play out
                qtbot.wait(10)
            if len(fits) > 0:
                unstable.append((width, height, len(fits)))
    assert unstable == []
