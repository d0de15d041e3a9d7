"""The desktop app's state, without any widget: combine mask, session, settings, notices, file names."""

from __future__ import annotations

import json

import numpy as np
import pytest

from desktop.exports import comparison_sheet, is_result_name, photos_in, result_name, unique_path
from desktop.state import ColorizeSettings, CombineMask, Notices, Session, SettingsStore, Stroke
from desktop.state.session import ColorSample
from gui_fixtures import no_leftover_workers  # noqa: F401


def left_stroke(source: int, softness: float = 0.5) -> Stroke:
    """A vertical stroke down the left edge, 0.2 of the long side wide on each side."""
    return Stroke(source, ((0.0, 0.0), (0.0, 1.0)), radius=0.2, softness=softness)


def test_a_stroke_gives_its_sample_full_weight_inside_fading_to_none_outside():
    mask = CombineMask((60, 100), base=0)
    mask.paint(left_stroke(2))
    painted, base = mask.weight(2), mask.weight(0)
    assert painted[:, :5].min() == pytest.approx(1.0)
    assert painted[:, 30:].max() == 0.0
    edge = painted[30, :25]
    assert np.all(np.diff(edge) <= 1e-6), "the feather falls off monotonically"
    assert 0.0 < edge[15] < 1.0
    np.testing.assert_allclose(painted + base, 1.0, atol=1e-6)


def test_a_hard_brush_has_no_feather():
    mask = CombineMask((60, 100), base=0)
    mask.paint(left_stroke(1, softness=0.0))
    assert set(np.unique(mask.weight(1))) <= {0.0, 1.0}


def test_undo_redo_and_clear_replay_the_strokes():
    mask = CombineMask((60, 100), base=0)
    mask.paint(left_stroke(1))
    after_first = mask.weight(1)
    mask.paint(Stroke(2, ((1.0, 0.5),), radius=0.3))
    assert mask.sources() == [0, 1, 2]
    assert mask.undo()
    np.testing.assert_array_equal(mask.weight(1), after_first)
    assert mask.sources() == [0, 1]
    assert mask.redo() and mask.sources() == [0, 1, 2]
    assert not mask.redo()
    mask.clear()
    assert mask.is_blank and mask.can_undo
    mask.undo()
    assert mask.sources() == [0, 1, 2]


def test_painting_the_base_sample_erases_and_a_new_base_replays():
    mask = CombineMask((60, 100), base=0)
    mask.paint(left_stroke(1, softness=0.0))
    mask.paint(left_stroke(0, softness=0.0))
    assert mask.is_blank
    mask.undo()
    mask.set_base(1)
    assert mask.weight(1).min() == pytest.approx(1.0)  # the stroke paints the base itself now


def test_blend_mixes_the_chroma_of_the_painted_samples():
    shape = (60, 100)
    lightness = np.full(shape, 60.0, np.float32)
    samples = {k: np.full((15, 25, 2), [10.0 * (k + 1), -5.0 * k], np.float32) for k in range(3)}
    mask = CombineMask(shape, base=0)
    mask.paint(left_stroke(2, softness=0.0))
    mixed = mask.blend(lightness, samples)
    assert mixed.shape == shape + (2,)
    np.testing.assert_allclose(mixed[30, 2], [30.0, -10.0], atol=1e-3)
    np.testing.assert_allclose(mixed[30, 90], [10.0, 0.0], atol=1e-3)


def test_a_copy_does_not_change_with_the_original():
    mask = CombineMask((20, 20), base=0)
    twin = mask.copy()
    mask.paint(left_stroke(1))
    assert twin.is_blank and twin.version < mask.version


def test_session_opens_each_photo_once_and_tracks_the_current_one(tmp_path):
    session = Session()
    first, second = tmp_path / "a.png", tmp_path / "b.png"
    docs = session.open([first, second])
    assert session.current is docs[0]
    again = session.open([second])
    assert again[0] is docs[1] and len(session.photos) == 2 and session.current is docs[1]
    session.step(1)
    assert session.current is docs[0]
    session.close(docs[0])
    assert session.current is docs[1]


def test_the_first_sample_is_viewed_and_choosing_moves_the_combine_base(tmp_path):
    session = Session()
    (doc,) = session.open([tmp_path / "a.png"])
    doc.preview_lightness = np.full((8, 8), 50.0, np.float32)
    run = session.add_run(doc, ColorizeSettings(backend_id="testbackend", samples=2), expected=2)
    for index in range(2):
        pixels = np.zeros((8, 8, 3), np.uint8)
        session.add_sample(doc, run, ColorSample(index, np.zeros((2, 2, 2), np.float32), pixels, pixels))
    assert run.viewed == 0 and run.base == 0
    session.paint(doc, run, left_stroke(1))
    assert run.has_strokes
    session.choose(doc, run, 1)
    assert run.chosen == 1 and run.combine.base == 1


def test_settings_round_trip_through_the_given_file(tmp_path):
    path = tmp_path / "gui.json"
    store = SettingsStore(path)
    store.set_colorize(ColorizeSettings(backend_id="testbackend", samples=3, seed=7, params={"chroma": 12.0}))
    store.add_recent(tmp_path / "one.jpg")
    store.save()
    again = SettingsStore(path)
    assert again.colorize.seed == 7 and again.colorize.params == {"chroma": 12.0}
    assert again.state.recent_files == [str((tmp_path / "one.jpg").resolve())]


def test_an_in_memory_store_writes_nothing_and_a_broken_file_gives_defaults(tmp_path):
    SettingsStore(None).save()
    broken = tmp_path / "gui.json"
    broken.write_text(json.dumps({"colorize": {"no_such_field": 1}}))
    assert SettingsStore(broken).colorize == ColorizeSettings()


@pytest.mark.parametrize("text", ["[]", "null", '"x"', "{", json.dumps({"colorize": [], "recent_files": "a"})])
def test_a_settings_file_that_is_not_an_object_gives_defaults(tmp_path, text):
    broken = tmp_path / "gui.json"
    broken.write_text(text)
    store = SettingsStore(broken)
    assert store.colorize == ColorizeSettings() and store.state.recent_files == []


def test_each_stored_field_of_the_wrong_type_falls_back_alone(tmp_path):
    stored = tmp_path / "gui.json"
    colorize = {"backend_id": "cic", "samples": "4", "seed": 3, "temperature": "hot", "params": [1], "device": True,
                "working_size": 3_000_000_000}  # more than a Qt spin box holds
    stored.write_text(json.dumps({"colorize": colorize, "output_format": 5, "recent_files": ["a.jpg", 7]}))
    store = SettingsStore(stored)
    assert store.colorize == ColorizeSettings(backend_id="cic", seed=3)
    assert store.state.output_format == "png" and store.state.recent_files == ["a.jpg"]


def test_recent_files_are_newest_first_without_duplicates(tmp_path):
    store = SettingsStore(None)
    for name in ["a", "b", "a"] + [f"x{i}" for i in range(12)]:
        store.add_recent(tmp_path / name)
    assert len(store.state.recent_files) == 10
    assert store.state.recent_files[0].endswith("x11")


def test_notices_stay_open_until_dismissed():
    notices = Notices()
    notice = notices.error("Broken", "details below", details="trace")
    assert notices.open == [notice]
    notices.dismiss(notice)
    assert notices.open == [] and notices.history == [notice]


def test_result_names_and_folder_listing_leave_out_earlier_results(tmp_path):
    photo = tmp_path / "barn.jpg"
    assert result_name(photo, "regression", 2, "png") == "barn.regression.2.png"
    assert result_name(photo, "regression", "combined", "tif") == "barn.regression.combined.tif"
    for name in ("barn.jpg", "barn.regression.1.png", "notes.txt"):
        (tmp_path / name).write_bytes(b"")
    assert is_result_name(tmp_path / "barn.regression.1.png", {"regression"})
    assert photos_in(tmp_path, ["regression"]) == [photo]
    assert unique_path(photo).name == "barn-2.jpg"


def test_comparison_sheet_lays_tiles_out_with_labels():
    tiles = [(f"Sample {k}", np.full((40, 60, 3), 40 * k, np.uint8)) for k in range(5)]
    sheet = comparison_sheet(tiles)
    assert sheet.ndim == 3 and sheet.shape[1] > 3 * 60 and sheet.shape[0] > 2 * 40
