"""The edge-aware brush: a stroke painted inside an object stops at the object's outline, replays alike."""

from __future__ import annotations

import numpy as np
import pytest

from desktop.state import saved_session
from desktop.state.combine import CombineMask, Stroke, size_to_radius
from desktop.state.saved_session import SavedPhoto, SavedRun, SavedSession
from desktop.state.settings import ColorizeSettings

SHAPE = (120, 160)
EDGE = 80  # the object (dark) is left of this column, the background (light) right of it


def photo(step: float = 40.0, seed: int = 0) -> np.ndarray:
    """L*: a dark object on the left, a light background on the right, both with grain."""
    rng = np.random.default_rng(seed)
    lightness = np.full(SHAPE, 30.0, np.float32)
    lightness[:, EDGE:] += step
    return lightness + rng.normal(0, 1.5, SHAPE).astype(np.float32)


def stroke_near_edge(edge_aware: bool, radius: float = 0.1) -> Stroke:
    """Down the object, half a radius inside its outline: the brush's disc crosses it."""
    x = (EDGE - 0.5 * radius * max(SHAPE)) / SHAPE[1]
    return Stroke(1, ((x, 0.1), (x, 0.9)), radius, 0.6, edge_aware=edge_aware)


def leak(weight: np.ndarray) -> float:
    return float(weight[:, EDGE:].sum() / weight.sum())


def test_the_brush_leaks_less_across_a_strong_edge_with_edge_aware_on():
    lightness = photo()
    feathered = CombineMask(SHAPE, base=0, guide=lightness)
    feathered.paint(stroke_near_edge(edge_aware=False))
    aware = CombineMask(SHAPE, base=0, guide=lightness)
    aware.paint(stroke_near_edge(edge_aware=True))
    assert leak(feathered.weight(1)) > 0.15  # the disc does cross the outline
    assert leak(aware.weight(1)) < 0.2 * leak(feathered.weight(1))
    core = aware.weight(1)[20:100, int(EDGE - 14):int(EDGE - 6)]
    assert core.mean() > 0.95, "inside the object the paint stays solid"
    np.testing.assert_allclose(aware.weight(0) + aware.weight(1), 1.0, atol=1e-6)


def test_a_weak_step_within_the_grain_is_painted_over_like_any_texture():
    lightness = photo(step=2.0)
    aware = CombineMask(SHAPE, base=0, guide=lightness)
    aware.paint(stroke_near_edge(edge_aware=True))
    plain = CombineMask(SHAPE, base=0)
    plain.paint(stroke_near_edge(edge_aware=False))
    assert leak(aware.weight(1)) > 0.7 * leak(plain.weight(1))


def test_without_a_guide_or_with_snapping_off_a_stroke_is_the_feathered_one():
    plain = CombineMask(SHAPE, base=0)
    plain.paint(stroke_near_edge(edge_aware=True))  # no guide: nothing to follow
    off = CombineMask(SHAPE, base=0, guide=photo())
    off.paint(stroke_near_edge(edge_aware=False))
    np.testing.assert_array_equal(plain.weight(1), off.weight(1))


def test_a_guide_given_later_replays_the_strokes_along_the_edges():
    mask = CombineMask(SHAPE, base=0)
    mask.paint(stroke_near_edge(edge_aware=True))
    before, version = leak(mask.weight(1)), mask.version
    mask.set_guide(photo())
    assert mask.has_guide and mask.version > version
    assert leak(mask.weight(1)) < 0.2 * before


def test_undo_redo_and_a_history_kept_in_the_session_file_replay_alike(tmp_path):
    lightness = photo()
    mask = CombineMask(SHAPE, base=0, guide=lightness)
    mask.paint(stroke_near_edge(edge_aware=True))
    mask.paint(Stroke(2, ((0.8, 0.5),), 0.15))
    mask.paint(Stroke(1, ((0.3, 0.3), (0.5, 0.6)), size_to_radius(54)))
    painted = [mask.weight(k) for k in range(3)]
    assert mask.undo() and mask.undo()
    assert mask.redo() and mask.redo()
    assert all(np.array_equal(mask.weight(k), painted[k]) for k in range(3))

    run = SavedRun(ColorizeSettings(backend_id="testbackend"), strokes=mask.history())
    path = tmp_path / "session.json"
    saved_session.write(path, SavedSession((SavedPhoto(tmp_path / "p.png", (run,)),)))
    kept = saved_session.read(path).photos[0].runs[0].strokes
    twin = CombineMask(SHAPE, base=0, guide=lightness)
    twin.restore_history(kept)
    assert all(np.allclose(twin.weight(k), painted[k], atol=1e-6) for k in range(3))


@pytest.mark.parametrize("size, radius", [(1, 0.005), (100, 0.25)])
def test_the_brush_size_scale_runs_from_the_smallest_to_the_largest_radius(size, radius):
    assert size_to_radius(size) == pytest.approx(radius)


def test_the_default_brush_is_a_few_percent_of_the_photo_not_a_thin_line():
    from desktop.state.combine import DEFAULT_SIZE

    assert 0.03 <= size_to_radius(DEFAULT_SIZE) <= 0.06
