"""The gan backend: the generator starts as the regression model, its noise makes seeded samples,
the critic and generator train in turn (NoGAN), export ships the generator alone, and the plugin runs.

Training runs use a few tiny synthetic photos written to tmp_path, so the file stays fast.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from fakes import write_train_and_val  # noqa: E402
from safetensors.torch import load_file, save_file  # noqa: E402

from plugins import Sample  # noqa: E402
from plugins.backends.common.shipped import ShippedModel  # noqa: E402
from plugins.backends.gan import backend as gan_backend  # noqa: E402
from plugins.backends.gan.model import GANConfig, GANGenerator, sample_noise  # noqa: E402
from plugins.backends.regression.model import RegressionConfig, RegressionModel  # noqa: E402
from plugins.host import PluginHost, build_options  # noqa: E402
from plugins.types import WeightsFile  # noqa: E402
from training import checkpoint  # noqa: E402
from training.__main__ import main as training_main  # noqa: E402
from training.gan import PatchCritic, lab_to_srgb  # noqa: E402


@pytest.fixture(scope="module")
def photos(tmp_path_factory) -> Path:
    return write_train_and_val(tmp_path_factory.mktemp("gan_photos"), seed=4)


def regression_weights(path: Path) -> Path:
    torch.manual_seed(0)
    model = RegressionModel(RegressionConfig())
    with torch.no_grad():
        model.trunk.decoder.head.weight.normal_(0, 0.3)
    save_file({k: v.half().contiguous() for k, v in model.state_dict().items()}, str(path))
    return path


def test_with_zero_noise_the_generator_is_the_regression_model_it_starts_from(tmp_path):
    state = {k: v.float() for k, v in load_file(str(regression_weights(tmp_path / "r.safetensors"))).items()}
    regression = RegressionModel(RegressionConfig()).eval()
    regression.load_state_dict(state)
    generator = GANGenerator(GANConfig()).eval()
    missing, unexpected = generator.load_state_dict(state, strict=False)
    assert not unexpected and missing and all(k.startswith("noise.") for k in missing)
    lightness = torch.rand(1, 1, 64, 96) * 100
    with torch.no_grad():
        expected = regression(lightness)
        assert torch.allclose(generator(lightness), expected, atol=1e-5)
        noisy = generator(lightness, torch.randn(generator.noise_shape(lightness)) * 1000)
    assert not torch.allclose(noisy, expected, atol=1e-3)  # the noise does reach the output


def test_noise_is_zero_for_sample_zero_and_seeded_per_sample():
    shape = (1, 8, 2, 3)
    assert not sample_noise(shape, 5, 0).any()
    assert torch.equal(sample_noise(shape, 5, 3), sample_noise(shape, 5, 3))
    assert not torch.equal(sample_noise(shape, 5, 3), sample_noise(shape, 6, 3))
    assert not torch.equal(sample_noise(shape, 5, 3), sample_noise(shape, 5, 4))
    assert torch.allclose(sample_noise(shape, 5, 3, scale=0.5), sample_noise(shape, 5, 3) * 0.5)


def test_critic_scores_patches_at_a_sixteenth_of_the_size():
    critic = PatchCritic()
    scores = critic(torch.rand(2, 1, 64, 96) * 100, torch.randn(2, 2, 64, 96) * 20)
    assert scores.shape == (2, 1, 4, 6)


def test_torch_lab_to_srgb_matches_the_numpy_conversion():
    from plugins.color import lab_to_srgb as numpy_lab_to_srgb

    rng = np.random.default_rng(0)
    lab = np.stack([rng.uniform(0, 100, (8, 8)), rng.uniform(-40, 40, (8, 8)), rng.uniform(-40, 40, (8, 8))], -1)
    expected = np.clip(numpy_lab_to_srgb(lab.astype(np.float32)), 0, 1)
    t = torch.from_numpy(lab.astype(np.float32)).permute(2, 0, 1)[None]
    got = lab_to_srgb(t[:, :1], t[:, 1:])[0].permute(1, 2, 0).numpy()
    assert np.abs(got - expected).max() < 2e-3


def _gan_args(photos: Path, out: Path, init: Path, *extra: str) -> list[str]:
    return ["train", "gan", "--data", str(photos / "train"), "--val", str(photos / "val"), "--out", str(out),
            "--size", "64", "--crop", "48", "--batch-size", "2", "--val-every", "2", "--log-every", "1",
            "--workers", "0", "--no-pretrained", "--no-progress", "--init-from", str(init), *extra]


def test_nogan_trains_the_critic_first_then_both_and_export_ships_the_generator(photos, tmp_path):
    init = regression_weights(tmp_path / "regression.safetensors")
    run = tmp_path / "run"
    assert training_main(_gan_args(photos, run, init, "--steps", "4", "--critic-steps", "2", "--keep-checkpoints",
                                   "--lr", "1e-3")) == 0
    rows = (run / "log.csv").read_text().splitlines()
    header = rows[0].split(",")
    parts = [dict(zip(header, r.split(","))).get("loss_parts", "") for r in rows[1:]]
    assert all("critic=" in p and "recon=" not in p for p in parts[:2])  # critic pretraining
    assert all("critic=" in p and "recon=" in p and "adv=" in p and "spread=" in p for p in parts[2:])
    assert (run / "step0000002.pt").exists() and (run / "step0000004.pt").exists()

    # The generator moved only in steps 3 and 4; the critic in all four.
    start = {k: v.float() for k, v in load_file(str(init)).items()}
    after_2 = checkpoint.load(run / "step0000002.pt")["model"]
    after_4 = checkpoint.load(run / "step0000004.pt")["model"]
    head = "generator.trunk.decoder.head.weight"
    assert torch.allclose(after_2[head], start["trunk.decoder.head.weight"], atol=1e-3)
    assert not torch.allclose(after_4[head], after_2[head])
    critic = next(k for k in after_2 if k.startswith("critic.") and k.endswith("original"))
    assert not torch.equal(after_2[critic], after_4[critic])

    target = tmp_path / "models" / "gan"
    assert training_main(["export", str(run), "--to", str(target), "--checkpoint", "step0000004"]) == 0
    shipped = load_file(str(target.with_suffix(".safetensors")))
    assert shipped and all(k.startswith(("trunk.", "noise.")) for k in shipped)
    generator = GANGenerator(GANConfig.from_dict(json.loads(target.with_suffix(".json").read_text())["config"]))
    generator.load_state_dict({k: v.float() for k, v in shipped.items()})  # strict
    card = target.with_suffix(".md").read_text()
    assert "--critic-steps 2" in card and "regression.safetensors" in card
    assert generator.config.chroma_gain == 1.0

    calibrated = tmp_path / "calibrated" / "gan"
    assert training_main(["export", str(run), "--to", str(calibrated), "--checkpoint", "step0000004",
                          "--chroma-gain", "0.9"]) == 0
    config = json.loads(calibrated.with_suffix(".json").read_text())["config"]
    assert config == {**json.loads(target.with_suffix(".json").read_text())["config"], "chroma_gain": 0.9}
    assert load_file(str(calibrated.with_suffix(".safetensors"))).keys() == shipped.keys()


def test_the_plugin_makes_seeded_samples_whose_first_is_the_zero_noise_answer(tmp_path, monkeypatch):
    config = GANConfig()
    torch.manual_seed(1)
    generator = GANGenerator(config)
    with torch.no_grad():
        generator.trunk.decoder.head.weight.normal_(0, 0.3)
        for conv in generator.noise:
            conv.weight.normal_(0, 1.0)
    path = tmp_path / "gan.safetensors"
    save_file({k: v.half().contiguous() for k, v in generator.state_dict().items()}, str(path))
    shipped = ShippedModel(WeightsFile(path, hashlib.sha256(path.read_bytes()).hexdigest()), {"config": config.to_dict()})
    monkeypatch.setattr(gan_backend, "SHIPPED", shipped)
    monkeypatch.setattr(gan_backend.GANColorizer, "info", replace(gan_backend.GANColorizer.info, weights=(shipped.weights,)))

    host = PluginHost.discover([gan_backend], entry_points=False)
    backend = host.loaded("gan", "cpu")
    lightness = np.random.default_rng(0).uniform(0, 100, (80, 100)).astype(np.float32)

    def run(samples: int, seed: int = 3) -> list[np.ndarray]:
        options, _ = build_options(backend.info, device="cpu", samples=samples, seed=seed, working_size=64)
        return [e.ab for e in backend.colorize(lightness, options) if isinstance(e, Sample)]

    four, two, other_seed = run(4), run(2), run(2, seed=4)
    assert len(four) == 4 and all(ab.shape == (64, 80, 2) and ab.dtype == np.float32 for ab in four)
    assert all(np.array_equal(a, b) for a, b in zip(four, two))  # sample k does not depend on N
    assert np.array_equal(four[0], other_seed[0]) and not np.array_equal(four[1], other_seed[1])
    assert min(np.abs(four[i] - four[j]).mean() for i in range(4) for j in range(i + 1, 4)) > 0.1
    host.unload_all()


def test_the_critics_phase_leaves_the_generator_exactly_as_it_was():
    from training.gan import GANTrainingModel
    from training.losses import photo_loss

    torch.manual_seed(0)
    model = GANTrainingModel(GANConfig(), recon_loss=photo_loss("l1"), pretrained_teacher=False).train()
    before = {k: v.clone() for k, v in model.generator.state_dict().items()}
    model(torch.rand(2, 1, 64, 64) * 100, torch.randn(2, 2, 64, 64) * 20, "critic")
    model(torch.rand(2, 1, 64, 64) * 100, torch.randn(2, 2, 64, 64) * 20, "generator")
    after = model.generator.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # no BatchNorm statistics moved either


def test_stopping_after_the_first_sample_leaves_autograd_on():
    # A generator that yields inside torch.no_grad() leaves autograd off in its caller until it is
    # collected: later training in the same process then fails with "does not require grad".
    from plugins.backends.gan.model import GANConfig, GANGenerator, predict_samples

    samples = predict_samples(GANGenerator(GANConfig()), np.full((64, 64), 50.0, np.float32), range(4), 0, 1.0)
    index, ab = next(samples)
    assert index == 0 and ab.shape == (64, 64, 2)
    assert torch.is_grad_enabled()


def test_mirror_averaging_averages_the_photo_and_its_mirror_image_and_keeps_the_samples_apart():
    from plugins.backends.gan.model import GANConfig, GANGenerator, predict_samples

    torch.manual_seed(0)
    model = GANGenerator(GANConfig())
    torch.nn.init.normal_(model.trunk.decoder.head.weight, std=0.1)  # zero at first: an untrained model says gray
    lightness = (np.random.default_rng(0).random((64, 96)) * 100).astype(np.float32)
    one_size = {"view_scales": (1.0,)}
    averaged = dict(predict_samples(model, lightness, range(2), 0, 1.0, **one_size))
    unaveraged = dict(predict_samples(model, lightness, range(2), 0, 1.0, mirror_average=False, **one_size))
    plain = unaveraged[0]
    mirror_image = np.ascontiguousarray(lightness[:, ::-1])
    mirrored = dict(predict_samples(model, mirror_image, range(1), 0, 1.0, mirror_average=False, **one_size))[0]
    np.testing.assert_allclose(averaged[0], (plain + mirrored[:, ::-1]) / 2, atol=1e-4)
    assert not np.allclose(averaged[0], plain, atol=1e-3)
    # the mirror image gets the mirrored noise, so the two answers agree on what the noise changes
    assert np.abs(averaged[1] - averaged[0]).mean() > 0.7 * np.abs(unaveraged[1] - unaveraged[0]).mean() > 0


def test_the_chroma_gain_scales_every_sample_and_nothing_else():
    from plugins.backends.gan.model import GANConfig, GANGenerator, predict_samples

    torch.manual_seed(0)
    model = GANGenerator(GANConfig())
    torch.nn.init.normal_(model.trunk.decoder.head.weight, std=0.3)
    for conv in model.noise:
        torch.nn.init.normal_(conv.weight, std=1.0)
    lightness = (np.random.default_rng(2).random((64, 96)) * 100).astype(np.float32)
    plain = dict(predict_samples(model, lightness, range(3), 5, 1.0))
    model.config.chroma_gain = 0.8
    damped = dict(predict_samples(model, lightness, range(3), 5, 1.0))
    assert np.abs(plain[1] - plain[0]).mean() > 0.1 and np.abs(plain[0]).mean() > 0.1
    for index in range(3):
        np.testing.assert_allclose(damped[index], 0.8 * plain[index], atol=1e-5)


def test_each_sample_averages_its_views_at_every_scale_back_at_the_working_size():
    import torch.nn.functional as F

    from plugins.backends.gan.model import GANConfig, GANGenerator, predict_samples

    torch.manual_seed(0)
    model = GANGenerator(GANConfig())
    torch.nn.init.normal_(model.trunk.decoder.head.weight, std=0.1)
    lightness = (np.random.default_rng(1).random((64, 96)) * 100).astype(np.float32)
    both = dict(predict_samples(model, lightness, range(1), 0, 1.0, mirror_average=False, view_scales=(1.0, 1.5)))[0]
    alone = dict(predict_samples(model, lightness, range(1), 0, 1.0, mirror_average=False, view_scales=(1.0,)))[0]
    larger = F.interpolate(torch.from_numpy(lightness)[None, None], size=(96, 144), mode="bilinear", align_corners=False)
    at_larger = dict(predict_samples(model, larger[0, 0].numpy(), range(1), 0, 1.0, mirror_average=False, view_scales=(1.0,)))[0]
    back = F.interpolate(torch.from_numpy(at_larger).permute(2, 0, 1)[None], size=(64, 96), mode="bilinear", align_corners=False)
    assert both.shape == (64, 96, 2)
    np.testing.assert_allclose(both, (alone + back[0].permute(1, 2, 0).numpy()) / 2, atol=1e-4)
    assert not np.allclose(both, alone, atol=1e-3)
