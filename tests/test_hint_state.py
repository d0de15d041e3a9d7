"""A photo's color hints as the app keeps them, without Qt: edits and their history, the suggested colors,
the kept session and settings, and what the GUI's quick re-render computes (the host's own guidance)."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from desktop.exports import fit_long_side
from desktop.guidance import GuideRequest, guide_job
from desktop.state import saved_session
from desktop.state.hints import Hint, HintEdits, clamp_point, hint_from_json, suggested_colors, with_recent
from desktop.state.saved_session import SavedPhoto, SavedSession
from desktop.state.settings import SettingsStore
from plugins.color import srgb_to_lab
from plugins.host.pipeline import Guidance
from plugins.host.reference import fit_reference


def ab_of(color: str) -> np.ndarray:
    rgb = np.array([int(color[i:i + 2], 16) / 255 for i in (1, 3, 5)], np.float32)
    return srgb_to_lab(rgb[None, None])[0, 0, 1:]


RED, BLUE = Hint(10, 20, "#C03020", 4), Hint(50, 5, "#2040c0", 2)


def test_each_edit_undoes_and_redoes_and_a_drag_is_one_edit():
    edits = HintEdits()
    edits.add(RED)
    edits.add(BLUE)
    edits.move(1, 60, 6)
    edits.move(1, 70, 7, record=False)  # the rest of the same drag
    edits.recolor(0, "#00ff00")
    edits.remove(0)
    assert edits.hints == (Hint(70, 7, "#2040c0", 2),)
    assert edits.undo() and edits.hints[0].color == "#00ff00"
    assert edits.undo() and edits.hints[0].color == "#c03020"
    assert edits.undo() and edits.hints[1] == BLUE, "the whole drag is undone at once"
    assert edits.undo() and edits.hints == (RED,)
    assert edits.redo() and edits.redo() and edits.hints[1] == Hint(70, 7, "#2040c0", 2)
    version = edits.version
    edits.resize(0, 9)
    assert edits.version > version and not edits.can_redo, "a new edit drops what was undone"


def test_a_hint_reads_back_as_the_plugin_api_and_json_take_it():
    assert RED.color == "#c03020"
    hint = RED.color_hint()
    assert (hint.x, hint.y, hint.radius) == (10, 20, 4) and np.allclose(hint.ab, ab_of("#c03020"), atol=0.01)
    assert hint_from_json(RED.to_json()) == RED
    for broken in ({"x": 1, "y": 2}, {"x": "a", "y": 2, "color": "#000000"}, {"x": 1, "y": 2, "color": "red"}, [1]):
        assert hint_from_json(broken) is None
    with pytest.raises(ValueError):
        Hint(1, 2, "#12345", 1)
    assert clamp_point(-3, 500, (100, 80)) == (0.0, 79.0)


def test_suggested_colors_are_each_samples_color_at_the_hint_once():
    lightness = np.full((60, 80), 55.0, np.float32)
    red, green = np.empty((30, 40, 2), np.float32), np.empty((30, 40, 2), np.float32)
    red[:], green[:] = (50.0, 30.0), (-40.0, 35.0)
    green[:, 20:] = (50.0, 30.0)  # green on the left half only
    left = Hint(20, 30, "#000000", 3)  # full resolution 160 × 120
    colors = suggested_colors([red, green, red + 1], lightness, left, (160, 120))
    assert len(colors) == 2, "a near-duplicate is one suggestion"
    assert np.allclose(ab_of(colors[0]), (50, 30), atol=2.5) and np.allclose(ab_of(colors[1]), (-40, 35), atol=2.5)
    right = Hint(140, 30, "#000000", 3)
    assert len(suggested_colors([red, green], lightness, right, (160, 120))) == 1
    assert with_recent(["#aaaaaa", "#bbbbbb"], "#BBBBBB") == ["#bbbbbb", "#aaaaaa"]


def test_the_kept_session_keeps_hints_and_the_reference(tmp_path):
    kept = SavedSession((SavedPhoto(tmp_path / "a.png", hints=(RED, BLUE), reference=tmp_path / "ref é.jpg"),
                         SavedPhoto(tmp_path / "b.png")), 0)
    path = tmp_path / "session.json"
    saved_session.write(path, kept)
    assert saved_session.read(path) == kept
    raw = json.loads(path.read_text(encoding="utf-8"))
    raw["photos"][0]["hints"].insert(1, {"x": "broken"})
    raw["photos"][1]["reference"] = 7
    path.write_text(json.dumps(raw), encoding="utf-8")
    back = saved_session.read(path)
    assert back.photos[0].hints == (RED, BLUE), "a damaged hint is dropped alone"
    assert back.photos[1].reference is None


def test_recent_colors_are_kept_in_the_settings(tmp_path):
    store = SettingsStore(tmp_path / "gui.json")
    store.state.recent_colors = ["#112233", "#aabbcc"]
    store.save()
    assert SettingsStore(tmp_path / "gui.json").state.recent_colors == ["#112233", "#aabbcc"]
    raw = json.loads((tmp_path / "gui.json").read_text())
    raw["recent_colors"] = ["#112233", "nope", 3, "#112233", "#ABCDEF"]
    (tmp_path / "gui.json").write_text(json.dumps(raw))
    assert SettingsStore(tmp_path / "gui.json").state.recent_colors == ["#112233", "#abcdef"]


def test_the_quick_rerender_is_what_the_host_does_for_a_run_with_hints():
    """guide_job (the GUI's, from the preview's lightness) gives about the chroma the host's Guidance gives
    from the full photo's (each shrunk to the working size its own way: within a fraction of a JND on average)."""
    rng = np.random.default_rng(3)
    walk = np.clip(np.cumsum(rng.normal(0, 1.5, (240, 320)), axis=1) + 50, 0, 100).astype(np.float32)
    full = cv2.GaussianBlur(walk, (0, 0), 3)
    preview = fit_long_side(full, 160)
    own = rng.normal(0, 8, (48, 64, 2)).astype(np.float32)
    hints = (Hint(100, 60, "#c03020", 6), Hint(250, 200, "#2060c0", 3))
    reference = np.dstack([rng.uniform(20, 80, (50, 70)), rng.normal(20, 10, (50, 70)), rng.normal(-5, 10, (50, 70))])
    request = GuideRequest(preview, (320, 240), tuple(h.color_hint() for h in hints), reference.astype(np.float32),
                           ((0, own),))
    (guided,) = guide_job(request)
    expected = Guidance(full, tuple(h.color_hint() for h in hints), fit_reference(reference, 48)).apply(own)
    assert guided.index == 0 and guided.preview.shape == (120, 160, 3) and guided.preview.dtype == np.uint8
    assert np.abs(guided.ab - expected).mean() < 1.0
    assert np.abs(guided.ab - own).mean() > 5.0, "the hints and the reference did change it"
    assert np.allclose(guided.ab[12, 20], ab_of("#c03020"), atol=0.5), "inside a hint's disc (working px 19.6, 11.6): its color"
