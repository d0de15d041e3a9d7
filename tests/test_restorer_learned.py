"""The ``learned`` restoration step: its network, its training data and loop, and the step itself."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from fakes import ship_restorer, synthetic_color_photo
from plugins.restore import degrade as degrade_module
from plugins.filters import guided_coefficients
from plugins.restore.learned import Learned
from plugins.restore.learned_model import RestorerConfig, RestorerNet
from training import checkpoint
from training import restorer as restorer_module
from training.__main__ import main as training_main
from training.data import PhotoFolder


@pytest.fixture(scope="module")
def photos(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("photos")
    rng = np.random.default_rng(0)
    for split, count in (("train", 6), ("val", 2)):
        (root / split).mkdir()
        for i in range(count):
            Image.fromarray(synthetic_color_photo(rng, 72, 72).astype(np.uint8)).save(root / split / f"p{i}.png")
    return root


def test_the_network_starts_as_the_identity_on_any_size():
    model = RestorerNet(RestorerConfig()).eval()
    lightness = torch.rand(2, 1, 37, 50) * 100
    with torch.no_grad():
        assert torch.allclose(model(lightness), lightness, atol=1e-4)


def test_validation_wears_each_photo_as_the_bench_does(photos):
    folder = PhotoFolder(photos / "val", 64, 64, train=False)
    worn, target = restorer_module.WornPhotos(folder)[1]
    clean = folder[1][0][0].numpy()
    seed = [restorer_module.VAL_SEED, 1]
    assert np.array_equal(worn[0].numpy(), degrade_module.degrade(clean, np.random.default_rng(seed)).lightness)
    faded = degrade_module.degrade(clean, np.random.default_rng(seed), noisy=False, damaged=False).lightness
    assert np.allclose(target[0].numpy(), faded)  # the target: faded as the worn photo, nothing else
    assert worn.shape == target.shape == (1, 64, 64) and not np.allclose(faded, clean, atol=1.0)


def test_training_wear_comes_from_the_bank_and_is_seeded(tmp_path, photos, monkeypatch):
    bank = restorer_module.defect_bank(tmp_path / "defects.npy", count=3, side=48)
    assert bank.shape == (3, 48, 48) and bank.dtype == np.float16 and np.abs(bank).max() > 20
    assert restorer_module.defect_bank(tmp_path / "defects.npy", count=3, side=48) is not bank  # read back
    assert np.array_equal(np.load(tmp_path / "defects.npy"), bank)
    folder = PhotoFolder(photos / "train", 64, 56, train=True)
    worn_photos = restorer_module.WornPhotos(folder, bank)
    a, clean = worn_photos[(2, 5)]
    b, _ = worn_photos[(2, 5)]
    c, _ = worn_photos[(2, 6)]
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert a.shape == clean.shape == (1, 56, 56)  # the 48 px layers tile a larger crop
    assert (a - clean).abs().mean() > 0.5  # dust or noise on top of the target
    monkeypatch.setattr(restorer_module, "PRESENT", 0.0)
    untouched, target = worn_photos[(2, 5)]
    assert torch.equal(untouched, target) and torch.allclose(target, folder[(2, 5)][0].clamp(0, 100))


def test_bank_crop_turns_and_crops_a_layer():
    bank = np.arange(2 * 8 * 8, dtype=np.float16).reshape(2, 8, 8)
    crop = restorer_module.bank_crop(bank, (5, 3), np.random.default_rng(0))
    assert crop.shape == (5, 3) and crop.dtype == np.float32
    assert set(crop.ravel()) <= set(bank.ravel().astype(np.float32))


def _train(photos: Path, out: Path, *extra: str) -> int:
    return training_main(["train", "restorer", "--data", str(photos / "train"), "--val", str(photos / "val"),
                          "--out", str(out), "--size", "64", "--crop", "48", "--batch-size", "3", "--steps", "4",
                          "--val-every", "2", "--log-every", "1", "--workers", "0", "--no-progress", "--seed", "1",
                          *extra])


@pytest.fixture(scope="module")
def trained(photos, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "restorer"
    with pytest.MonkeyPatch.context() as m:
        m.setattr(restorer_module, "BANK_LAYERS", 2)
        assert _train(photos, out) == 0
    return out


def test_training_logs_the_lightness_psnr_and_saves_a_network_that_changed(trained):
    header, *rows = (trained / "log.csv").read_text().splitlines()
    last = dict(zip(header.split(","), rows[-1].split(",")))
    assert 5.0 < float(last["val_psnr"]) < 99.0
    assert (trained / "samples_step0000004.png").exists() and (trained / "defects.npy").exists()
    ckpt = checkpoint.load(trained / "best.pt")
    assert ckpt["model_args"]["backend"] == "restorer"
    model = RestorerNet(RestorerConfig.from_dict(ckpt["model_args"]["config"]))
    model.load_state_dict(ckpt["model"])
    assert model.head.weight.abs().sum() > 0  # it learned something past the zero start


def test_resume_continues_the_run(photos, trained, tmp_path):
    import shutil

    out = tmp_path / "again"
    shutil.copytree(trained, out)
    assert _train(photos, out, "--resume", "--steps", "6") == 0
    assert checkpoint.load(out / "last.pt")["step"] == 6


def test_the_step_repairs_small_and_large_photos_alike(tmp_path, monkeypatch):
    model = RestorerNet(RestorerConfig(working_size=48))
    with torch.no_grad():
        model.head.bias.fill_(0.2)  # +10 L* everywhere
    ship_restorer(tmp_path, model, monkeypatch)
    rng = np.random.default_rng(0)
    for shape in ((40, 30), (150, 200)):  # the second is repaired at 48 px and carried back
        lightness = np.clip(40 + 10 * rng.standard_normal(shape), 0, 100).astype(np.float32)
        lightness.flags.writeable = False
        result = Learned().restore(lightness, None)
        assert result.lightness.shape == shape and result.lightness.dtype == np.float32
        assert abs(float(np.mean(result.lightness - lightness)) - 10.0) < 0.5
        assert "learned clean-up" in result.notes[0]
    half = Learned().restore(lightness, 0.5).lightness
    assert abs(float(np.mean(half - lightness)) - 5.0) < 0.5


def test_guided_coefficients_reproduce_a_global_affine_map():
    guide = np.random.default_rng(0).uniform(0, 100, (30, 30)).astype(np.float32)
    a, b = guided_coefficients(1.5 * guide + 3.0, guide, radius=2, eps=1e-6)
    assert np.allclose(a * guide + b, 1.5 * guide + 3.0, atol=0.05)


def test_missing_weights_fail_with_a_clear_message(tmp_path, monkeypatch):
    from plugins.errors import WeightsError

    monkeypatch.setenv("TINCT_MODELS_DIR", str(tmp_path))
    with pytest.raises(WeightsError, match="missing"):
        Learned().restore(np.zeros((8, 8), np.float32), None)


def test_export_ships_weights_the_step_loads(trained, tmp_path, monkeypatch):
    assert training_main(["export", str(trained), "--to", str(tmp_path / "restorer"), "--notes", "tiny"]) == 0
    card = (tmp_path / "restorer.md").read_text()
    assert "Encoder: none" in card and "training train restorer" in card
    monkeypatch.setenv("TINCT_MODELS_DIR", str(tmp_path))
    step = Learned()
    worn = np.random.default_rng(0).uniform(20, 80, (40, 50)).astype(np.float32)
    out = step.restore(worn, None).lightness
    ckpt = checkpoint.load(trained / "best.pt")
    model = RestorerNet(RestorerConfig.from_dict(ckpt["model_args"]["config"])).eval()
    model.load_state_dict({k: v.half().float() for k, v in ckpt["model"].items()})  # as shipped: fp16
    with torch.no_grad():
        expected = model(torch.from_numpy(worn)[None, None])[0, 0].clamp(0, 100).numpy()
    assert np.allclose(out, expected, atol=1e-3) and not np.allclose(out, worn, atol=0.01)
