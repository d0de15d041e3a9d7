"""plugins.host.pipeline: samples merged onto the photo and saved, the save overlapping the next merge."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import tinct_testbackend
from PIL import Image

from plugins import Progress
from plugins.errors import ImageError
from plugins.host import PluginHost, build_options
from plugins.host.pipeline import MergedSample, colorize_lightness, colorize_to_files
from plugins.imageio import read_photo, save_photo


@pytest.fixture
def backend():
    host = PluginHost.discover([tinct_testbackend], entry_points=False)
    return host.loaded("testbackend", "cpu")


def gray_photo(path: Path) -> Path:
    ramp = np.tile(np.linspace(0, 255, 90, dtype=np.uint8), (70, 1))
    Image.fromarray(ramp, "L").save(path)
    return path


def options_for(backend, samples: int):
    return build_options(backend.info, device="cpu", samples=samples, seed=3)[0]


def test_every_sample_is_saved_and_reported_in_order(tmp_path, backend):
    photo = read_photo(gray_photo(tmp_path / "gray.png"))
    targets = [tmp_path / f"out.{k}.png" for k in range(3)]
    events = list(colorize_to_files(backend, photo, options_for(backend, 3), targets, "png"))
    assert [e for e in events if isinstance(e, Path)] == targets
    assert any(isinstance(e, Progress) for e in events)
    floats = colorize_lightness(backend, photo.lightness, options_for(backend, 3))
    for target, sample in zip(targets, [e for e in floats if isinstance(e, MergedSample)]):
        reference = save_photo(sample.rgb, photo, tmp_path / f"float.{sample.index}.png")
        difference = np.abs(cv2.imread(str(target)).astype(int) - cv2.imread(str(reference)))
        assert difference.max() <= 1  # 8-bit codes straight from the merge: rare rounding ties only


def test_uint8_samples_only_when_asked(tmp_path, backend):
    lightness = read_photo(gray_photo(tmp_path / "gray.png")).lightness
    for as_uint8, dtype in ((False, np.float32), (True, np.uint8)):
        events = colorize_lightness(backend, lightness, options_for(backend, 1), as_uint8=as_uint8)
        assert [e.rgb.dtype for e in events if isinstance(e, MergedSample)] == [dtype]


def test_a_failed_save_raises(tmp_path, backend):
    photo = read_photo(gray_photo(tmp_path / "gray.png"))
    targets = [tmp_path / "out.1.png", tmp_path / "missing" / "out.2.png"]
    with pytest.raises(ImageError, match="no such folder"):
        list(colorize_to_files(backend, photo, options_for(backend, 2), targets, "png"))
    assert (tmp_path / "out.1.png").exists()


def test_stopping_early_still_finishes_the_save_in_flight(tmp_path, backend):
    photo = read_photo(gray_photo(tmp_path / "gray.png"))
    targets = [tmp_path / f"out.{k}.jpg" for k in range(3)]
    events = colorize_to_files(backend, photo, options_for(backend, 3), targets, "jpg")
    progress = [event for event, _ in zip(events, range(2))]  # sample 1's save starts before the 2nd report
    events.close()
    assert all(isinstance(e, Progress) for e in progress)
    assert targets[0].exists() and not targets[2].exists()
