"""The deepcolor backend: DAISY, the per-pixel features and network, dense evaluation, pixel-sampled
training, export and the plugin.

Training runs use a few tiny synthetic photos written to tmp_path, so the file stays fast.
The backend is not registered as an entry point until its weights ship: the tests register it directly.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from fakes import write_train_and_val  # noqa: E402
from safetensors.torch import load_file, save_file  # noqa: E402

from plugins import Sample  # noqa: E402
from plugins.backends.common import shipped  # noqa: E402
from plugins.backends.deepcolor import backend as deepcolor_backend  # noqa: E402
from plugins.backends.deepcolor.daisy import (  # noqa: E402
    daisy_at, daisy_channels, daisy_map, sample_points, smoothed_maps)
from plugins.backends.deepcolor.model import DeepColorConfig, DeepColorModel, predict_ab  # noqa: E402
from plugins.host import PluginHost, build_options  # noqa: E402
from training import checkpoint  # noqa: E402
from training.__main__ import main as training_main  # noqa: E402
from training.deepcolor import ab_at, sample_pixels  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def photos(tmp_path_factory) -> Path:
    return write_train_and_val(tmp_path_factory.mktemp("deepcolor_photos"), seed=6)


def _train_args(photos: Path, out: Path, *extra: str) -> list[str]:
    return ["train", "deepcolor", "--data", str(photos / "train"), "--val", str(photos / "val"), "--out", str(out),
            "--size", "48", "--crop", "32", "--batch-size", "2", "--steps", "3", "--val-every", "1",
            "--log-every", "1", "--workers", "0", "--no-pretrained", "--no-progress", "--seed", "2",
            "--pixels", "64", *extra]


def with_random_weights(model: DeepColorModel, seed: int = 0) -> DeepColorModel:
    """Nonzero output layer and BatchNorm statistics, so that every part of the network counts."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for layer in model.body:
            if isinstance(layer, torch.nn.Linear):
                layer.weight.copy_(torch.randn(layer.weight.shape, generator=g) * 0.2)
            elif isinstance(layer, torch.nn.BatchNorm1d):
                layer.running_mean.copy_(torch.randn(layer.running_mean.shape, generator=g) * 0.1)
                layer.running_var.copy_(torch.rand(layer.running_var.shape, generator=g) + 0.5)
    return model.eval()


# ---- DAISY ---------------------------------------------------------------------------------


def test_daisy_has_one_unit_histogram_per_point_and_none_on_a_flat_image():
    assert daisy_channels(2, 8, 8) == 136 and len(sample_points(12, 2, 8)) == 17
    x = torch.linspace(0, 1, 40).repeat(30, 1)[None, None]  # brightening to the right: a gradient along +x
    d = daisy_map(x)
    assert d.shape == (1, 136, 30, 40)
    hists = d[0, :, 15, 20].reshape(17, 8)
    assert torch.all(hists.argmax(1) == 0)  # every histogram points along +x (orientation 0)
    assert torch.allclose(hists.norm(dim=1), torch.ones(17), atol=0.05)  # normalized where there is gradient
    assert daisy_map(torch.full((1, 1, 30, 40), 0.5)).abs().max() == 0  # no gradient: nothing, not noise


def test_daisy_at_pixels_is_the_dense_map_there_borders_included():
    image = torch.rand(2, 1, 30, 40, generator=torch.Generator().manual_seed(4))
    rows, cols = torch.tensor([[0, 29, 15, 3], [5, 0, 29, 28]]), torch.tensor([[0, 39, 20, 38], [1, 39, 0, 2]])
    dense = daisy_map(image)
    at = daisy_at(smoothed_maps(image), rows, cols)
    assert at.shape == (2, 4, 136)
    torch.testing.assert_close(at, ab_at(dense, rows, cols))


def test_rotating_the_image_moves_energy_between_orientation_bins_and_ring_points():
    image = torch.rand(1, 1, 61, 61, generator=torch.Generator().manual_seed(0))
    image = torch.nn.functional.avg_pool2d(image, 3, 1, 1)  # some structure at several scales
    before = daisy_map(image)[0, :, 30, 30].reshape(17, 8)
    after = daisy_map(torch.rot90(image, 1, dims=(2, 3)))[0, :, 30, 30].reshape(17, 8)  # a quarter turn, on screen
    # A counter-clockwise quarter turn (x right, y down) turns gradients by -90°: two orientation bins
    # down; and the ring point at angle φ moves to φ - 90°: two points down the ring.
    expected = torch.empty_like(before)
    expected[0] = before[0].roll(-2)
    for ring in range(2):
        for t in range(8):
            expected[1 + 8 * ring + t] = before[1 + 8 * ring + (t + 2) % 8].roll(-2)
    torch.testing.assert_close(after, expected, atol=1e-5, rtol=1e-4)
    assert not torch.allclose(after, before, atol=1e-3)  # the image is not symmetric: something moved


# ---- features and the network --------------------------------------------------------------


def test_dense_evaluation_equals_the_network_on_sampled_pixels():
    model = with_random_weights(DeepColorModel(DeepColorConfig()))
    lightness = torch.rand(2, 1, 40, 56, generator=torch.Generator().manual_seed(1)) * 100
    rows, cols = sample_pixels(2, 40, 56, 60)
    with torch.no_grad():
        dense = model(lightness)
        at = model(lightness, (rows, cols))
    assert dense.shape == (2, 2, 40, 56) and at.shape == (2, 60, 2)
    assert dense.abs().max() > 1  # the comparison is not of zeros
    torch.testing.assert_close(ab_at(dense, rows, cols), at, atol=1e-3, rtol=1e-4)


def test_the_patch_and_semantic_features_are_read_at_the_pixel():
    model = DeepColorModel(DeepColorConfig()).eval()
    with torch.no_grad():
        for layer in (model.patch_in, model.daisy_in, model.global_in, *model.semantic_in):
            layer.weight.zero_()
        model.patch_in.bias.zero_()
        model.patch_in.weight[0, 3 * 7 + 5] = 1.0  # unit 0 reads the patch at row offset 0, column offset +2
        model.semantic_in[0].weight[1, 7] = 1.0  # unit 1 reads channel 7 of the stride-8 map
    lightness = torch.rand(1, 1, 48, 64, generator=torch.Generator().manual_seed(2)) * 100
    features = model.features(lightness)
    rows, cols = torch.tensor([[10, 0, 47, 20]]), torch.tensor([[5, 0, 63, 62]])
    with torch.no_grad():
        hidden = model.first_layer_at(features, rows, cols)[0]
    light = lightness[0, 0] / 50 - 1
    expected = light[rows[0], (cols[0] + 2).clamp(max=63)]  # replicate-padded past the right edge
    torch.testing.assert_close(hidden[:, 0], expected)
    stride8 = features.semantic[0][:, 7:8]  # (1, 1, 6, 8)
    upsampled = torch.nn.functional.interpolate(stride8, size=(48, 64), mode="bilinear", align_corners=False)[0, 0]
    torch.testing.assert_close(hidden[:, 1], upsampled[rows[0], cols[0]])


def test_the_encoder_is_frozen_and_the_untrained_network_answers_gray():
    model = DeepColorModel(DeepColorConfig())
    assert not any(p.requires_grad for p in model.trunk.parameters())
    assert all(p.requires_grad for name, p in model.named_parameters() if not name.startswith("trunk."))
    model.train()
    assert not model.trunk.encoder.training  # its BatchNorm statistics stay as pretrained
    ab = predict_ab(model, np.random.default_rng(0).uniform(0, 100, (45, 61)).astype(np.float32))
    assert ab.shape == (45, 61, 2) and ab.dtype == np.float32 and not ab.any()


def test_sampled_pixels_are_distinct_in_range_and_follow_the_global_seed():
    torch.manual_seed(3)
    rows, cols = sample_pixels(3, 10, 12, 50)
    assert rows.shape == cols.shape == (3, 50) and rows.dtype == torch.int64
    assert rows.min() >= 0 and rows.max() < 10 and cols.min() >= 0 and cols.max() < 12
    assert all(len(set((rows[i] * 12 + cols[i]).tolist())) == 50 for i in range(3))
    torch.manual_seed(3)
    again = sample_pixels(3, 10, 12, 50)
    assert torch.equal(again[0], rows) and torch.equal(again[1], cols)
    assert sample_pixels(1, 4, 5, 1000)[0].shape == (1, 20)  # no more than there are
    ab = torch.arange(2 * 10 * 12, dtype=torch.float32).reshape(1, 2, 10, 12)
    assert ab_at(ab, torch.tensor([[3]]), torch.tensor([[7]])).tolist() == [[[3 * 12 + 7, 120 + 3 * 12 + 7]]]


# ---- training, export and the plugin -------------------------------------------------------


def test_training_on_sampled_pixels_moves_the_network_not_the_encoder(photos, tmp_path, monkeypatch):
    run = tmp_path / "run"
    assert training_main(_train_args(photos, run, "--keep-checkpoints")) == 0
    first, last = (checkpoint.load(run / f"step000000{i}.pt") for i in (1, 3))
    assert last["args"]["encoder"] == "freeze" and last["args"]["loss"] == "l2" and last["args"]["pixels"] == 64
    encoder = [k for k in first["model"] if k.startswith("trunk.")]
    assert encoder and all(torch.equal(first["model"][k], last["model"][k]) for k in encoder)
    assert not torch.equal(first["model"]["patch_in.weight"], last["model"]["patch_in.weight"])
    rows = (run / "log.csv").read_text().splitlines()
    assert len(rows) == 4 and all(r.split(",")[6] for r in rows[1:])  # validated at every step
    for refused, match in ((("--loss", "blurred"), "scattered pixels"), (("--prior", "x.npz"), "cic and palette")):
        with pytest.raises(SystemExit, match=match):
            training_main(_train_args(photos, tmp_path / "refused", *refused))

    target = tmp_path / "models" / "deepcolor"
    assert training_main(["export", str(run), "--to", str(target)]) == 0
    assert "--pixels 64" in target.with_suffix(".md").read_text()

    # Three steps leave the answer nearly gray: give the shipped network some color noise (and the card its sha256).
    weights = target.with_suffix(".safetensors")
    trained = DeepColorModel(DeepColorConfig.from_dict(json.loads(target.with_suffix(".json").read_text())["config"]))
    trained.load_state_dict({k: v.float() for k, v in load_file(str(weights)).items()})
    save_file({k: v.half().contiguous() for k, v in with_random_weights(trained).state_dict().items()}, str(weights))
    card = json.loads(target.with_suffix(".json").read_text())
    target.with_suffix(".json").write_text(json.dumps({**card, "sha256": hashlib.sha256(weights.read_bytes()).hexdigest()}))

    monkeypatch.setattr(shipped, "model_path", lambda name: target.parent / name)
    model = shipped.shipped_model("deepcolor")
    colorizer = deepcolor_backend.DeepColorColorizer
    monkeypatch.setattr(deepcolor_backend, "SHIPPED", model)
    monkeypatch.setattr(colorizer, "info", dataclasses.replace(colorizer.info, weights=(model.weights,)))
    host = PluginHost.discover([deepcolor_backend], entry_points=False)
    assert host.weights_status(host.get("deepcolor")).state == "verified"
    backend = host.loaded("deepcolor", "cpu")
    lightness = np.random.default_rng(0).uniform(0, 100, (80, 100)).astype(np.float32)

    def run_backend(smoothing: float) -> np.ndarray:
        options, _ = build_options(backend.info, device="cpu", working_size=64)
        options = dataclasses.replace(options, params={"smoothing": smoothing})
        [ab] = [e.ab for e in backend.colorize(lightness, options) if isinstance(e, Sample)]
        return ab

    raw, smooth = run_backend(0.0), run_backend(1.0)
    assert raw.shape == (64, 80, 2) and raw.dtype == np.float32 and np.abs(raw).max() > 1

    def roughness(ab):
        return np.abs(np.diff(ab, axis=1)).mean()

    assert roughness(smooth) < 0.5 * roughness(raw)  # the guided filter removes the per-pixel noise
    host.unload_all()


def test_package_import_stays_free_of_torch():
    code = "import sys, plugins.backends.deepcolor; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)
