"""The built-in restoration steps on synthetic photos, and --restore on the command line."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image

from desktop.cli import main as cli_main
from plugins.restore.degrade import add_noise, defect_layer, fade
from plugins.host import PluginHost
from plugins.host.restoration import Restoration
from plugins.restore import denoise, scratches
from plugins.restore.degrade import degrade
from plugins.restore.denoise import Denoise
from plugins.restore.measure import noise_sigma
from plugins.restore.scratches import Scratches, find_defects, inpaint
from plugins.restore.tone import Tone
from plugins.restore.tone_prior import load_prior


def textured_photo(seed: int = 0, size: int = 256) -> np.ndarray:
    """L* with a gradient, soft blobs and fine texture: not a flat field a detector finds easy."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size] / size
    blobs = cv2.GaussianBlur(rng.normal(0, 1, (size, size)).astype(np.float32), (0, 0), 8)
    texture = cv2.GaussianBlur(rng.normal(0, 1, (size, size)).astype(np.float32), (0, 0), 1.5)
    lightness = 25 + 45 * x + 10 * np.sin(12 * y) + 120 * blobs + 4 * texture / texture.std()
    return np.clip(lightness, 5, 95).astype(np.float32)


def test_tone_stretches_a_faded_photos_range_to_where_the_prior_puts_it_without_overshoot():
    clean = textured_photo()
    faded = fade(clean, np.random.default_rng(1))
    assert np.ptp(faded) < 0.75 * np.ptp(clean)
    assert Tone().assess(faded) is not None
    result = Tone().restore(faded, None)  # the default: levels alone
    levels = load_prior().levels(faded)
    assert levels.target_black < levels.black - 5 and levels.target_white > levels.white + 5
    lo, hi = np.percentile(result.lightness, (0.5, 99.5))
    assert lo == pytest.approx(levels.target_black, abs=0.5) and hi == pytest.approx(levels.target_white, abs=0.5)
    assert abs(np.corrcoef(result.lightness.ravel(), clean.ravel())[0, 1]) > 0.99
    assert np.abs(result.lightness - clean).mean() < 0.3 * np.abs(faded - clean).mean()
    truth_lo, truth_hi = np.percentile(clean, (0.5, 99.5))  # back about where the photo had them
    assert lo == pytest.approx(truth_lo, abs=3.0) and hi == pytest.approx(truth_hi, abs=3.0)
    lo, hi = np.percentile(clean, (0.5, 99.5))
    full_range = (2.0 + (clean - lo) * 95.0 / (hi - lo)).astype(np.float32)
    assert Tone().assess(full_range) is None  # a full-range photo is left alone


def test_tone_never_compresses_and_local_contrast_only_when_asked():
    wide = np.linspace(0, 100, 256 * 256, dtype=np.float32).reshape(256, 256)
    assert np.array_equal(Tone().restore(wide, None).lightness, wide)
    faded = fade(textured_photo(), np.random.default_rng(2))
    plain, local = Tone().restore(faded, None).lightness, Tone().restore(faded, 0.6).lightness
    assert np.abs(local - plain).mean() > 1.0


@pytest.mark.parametrize("nlm_pixels", [None, 4_000], ids=["full size", "two bands, as for a large photo"])
def test_denoise_lowers_the_noise_and_keeps_a_step_edge(monkeypatch, nlm_pixels):
    if nlm_pixels:
        monkeypatch.setattr(denoise, "NLM_PIXELS", nlm_pixels)  # a 128 px photo takes the large-photo path
    rng = np.random.default_rng(2)
    clean = np.full((128, 128), 30.0, np.float32)
    clean[:, 64:] = 70.0
    noisy = (clean + rng.normal(0, 4.0, clean.shape)).astype(np.float32)
    assert 3.0 < noise_sigma(noisy) < 5.0
    assert Denoise().assess(noisy) is not None
    result = Denoise().restore(noisy, None).lightness
    flat = result[8:-8, 8:56]
    assert flat.std() < 0.5 * noisy[8:-8, 8:56].std()
    edge = result[8:-8, 60:68].mean(axis=0)  # the step stays a step: no blur across it
    assert edge[3] < 35 and edge[4] > 65
    assert Denoise().assess(clean) is None


def damaged_photo(seed: int):
    rng = np.random.default_rng(seed)
    clean = textured_photo(seed)
    offset, opacity = defect_layer(clean.shape, rng)
    damaged = np.clip(add_noise(clean + offset * opacity, rng), 0, 100).astype(np.float32)
    return clean, damaged, opacity >= 0.5


def test_scratch_detection_finds_80_percent_at_under_2_percent_false_positives():
    recalls, false_positives = [], []
    for seed in range(4):
        _clean, damaged, truth = damaged_photo(seed)
        found = find_defects(damaged).mask
        recalls.append((found & truth).sum() / truth.sum())
        false_positives.append((found & ~truth).sum() / (~truth).sum())
    assert np.mean(recalls) >= 0.8, recalls
    assert np.mean(false_positives) < 0.02, false_positives


def test_inpainting_fills_defects_close_to_the_clean_values():
    clean, damaged, truth = damaged_photo(7)
    before = np.abs(damaged - clean)[truth].mean()
    assert np.abs(inpaint(damaged, truth) - clean)[truth].mean() < 0.2 * before  # the fill, on the true mask
    result = Scratches().restore(damaged, None)  # found, then filled
    assert result.mask is not None and result.mask.shape == clean.shape
    after = np.abs(result.lightness - clean)[truth].mean()
    assert after < 0.35 * before  # what is left: the photo's noise (σ ≈ 4) and the defects not found
    untouched = ~cv2.dilate(result.mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    assert np.array_equal(result.lightness[untouched], damaged[untouched])


def test_scratches_step_leaves_a_clean_photo_alone():
    clean = textured_photo(3)
    assert Scratches().assess(clean) is None


def test_a_large_photo_is_searched_and_filled_on_a_reduced_copy(monkeypatch):
    rng = np.random.default_rng(5)
    clean = textured_photo(5, size=512)
    offset, opacity = defect_layer(clean.shape, rng)
    damaged = np.clip(add_noise(clean + offset * opacity, rng), 0, 100).astype(np.float32)
    truth = opacity >= 0.5
    monkeypatch.setattr(scratches, "DETECT_SIDE", 256)
    monkeypatch.setattr(scratches, "FILL_PIXELS", 256 * 256)
    found = find_defects(damaged).mask
    assert found.shape == clean.shape
    assert (found & truth).sum() / truth.sum() > 0.75 and (found & ~truth).mean() < 0.02
    filled = inpaint(damaged, found)
    untouched = ~cv2.dilate(found.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    assert np.array_equal(filled[untouched], damaged[untouched])  # the reduced fill lands in the mask only
    found_right = found & truth
    assert np.abs(filled - clean)[found_right].mean() < 0.3 * np.abs(damaged - clean)[found_right].mean()


def _line(shape: tuple[int, int], p1: tuple[int, int], p2: tuple[int, int], width: int = 2) -> np.ndarray:
    mask = np.zeros(shape, np.uint8)
    cv2.line(mask, p1, p2, 1, width)
    return mask.astype(bool)


def test_a_line_along_the_photos_edge_is_its_frame_not_a_scratch():
    photo = textured_photo(0) * 0.6 + 20
    frame = np.zeros(photo.shape, bool)
    frame[1:3, :] = True  # a dark border line, as a print's frame or the scan's edge
    scratch = _line(photo.shape, (20, 230), (230, 60))
    photo[frame | scratch] -= 25
    photo += np.random.default_rng(0).normal(0, 1.0, photo.shape)
    found = find_defects(photo.astype(np.float32)).mask
    assert (found & scratch).sum() > 0.9 * scratch.sum()
    assert not (found & frame).any()


def test_a_thin_line_parting_two_regions_is_kept_and_a_scratch_across_them_is_found():
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:256, 0:256]
    photo = np.where(x + 0.3 * y < 150, 35.0, 70.0) + rng.normal(0, 1.0, (256, 256))
    rim = _line(photo.shape, (150, 0), (73, 255))  # a dark rim on the edge between the two, as a sign's
    photo[rim] = 18.0
    scratch = _line(photo.shape, (20, 40), (60, 250))
    photo[scratch] -= 25
    found = find_defects(photo.astype(np.float32)).mask
    assert (found & scratch).sum() > 0.9 * scratch.sum()
    assert (found & rim).sum() < 0.05 * rim.sum()


def _psnr(lightness: np.ndarray, clean: np.ndarray) -> float:
    return float(10 * np.log10(100.0**2 / np.mean((lightness.astype(np.float64) - clean) ** 2)))


def test_auto_brings_a_degraded_photo_closer_to_the_clean_one_and_leaves_a_clean_one_alone():
    auto = Restoration.for_host(PluginHost.discover(), "auto")
    clean = textured_photo(1)
    damage = degrade(clean, np.random.default_rng(1))
    restored = auto.run(damage.lightness)
    assert restored.applied == ("scratches", "denoise", "tone")  # dust first, the stretch last
    assert _psnr(restored.lightness, clean) > _psnr(damage.lightness, clean) + 3.0
    untouched = auto.run(clean)
    assert untouched.applied == () and np.array_equal(untouched.lightness, clean)


def _faded_photo_file(path):
    clean = textured_photo(4)
    codes = np.clip(fade(clean, np.random.default_rng(4)) * 2.55, 0, 255).astype(np.uint8)
    Image.fromarray(codes).save(path)


def test_restore_none_changes_nothing_and_tone_changes_the_result(tmp_path):
    photo = tmp_path / "faded.png"
    _faded_photo_file(photo)
    results = {}
    for mode in ("default", "none", "tone"):
        out = tmp_path / mode
        extra = [] if mode == "default" else ["--restore", mode]
        assert cli_main(["colorize", str(photo), "-o", str(out), "--backend", "testbackend", *extra]) == 0
        [saved] = out.iterdir()
        results[mode] = np.asarray(Image.open(saved).convert("L"), dtype=np.float32)
    assert np.array_equal(results["default"], results["none"])
    assert np.ptp(results["tone"]) > np.ptp(results["none"]) + 40  # the saved photo has the restored L


def test_restore_auto_and_a_bad_plan_on_the_command_line(tmp_path, capsys):
    photo = tmp_path / "faded.png"
    _faded_photo_file(photo)
    assert cli_main(["colorize", str(photo), "-o", str(tmp_path / "a"), "--backend", "testbackend", "--restore", "auto"]) == 0
    assert "tone: levels" in capsys.readouterr().err  # auto found the photo faded, and says what it did
    with pytest.raises(SystemExit) as usage:  # argparse's usage error: exit 1
        cli_main(["colorize", str(photo), "-o", str(tmp_path / "b"), "--restore", "denoise=3"])
    assert usage.value.code == 1
    assert cli_main(["colorize", str(photo), "-o", str(tmp_path / "c"), "--restore", "polish"]) == 1
    assert "no restorer 'polish'" in capsys.readouterr().err
