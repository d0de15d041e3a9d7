"""The palette backend: the k-means palette, its loss, the U-Net, top-k decoding, samples, training and the plugin.

Training runs use a few tiny synthetic photos written to tmp_path, so the file stays fast.
The backend is not registered as an entry point until its weights ship: the tests register it directly.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from fakes import write_train_and_val  # noqa: E402
from safetensors.torch import load_file  # noqa: E402

from plugins import Sample  # noqa: E402
from plugins.backends.common import shipped  # noqa: E402
from plugins.backends.palette import backend as palette_backend  # noqa: E402
from plugins.backends.common.rebalance import rebalanced_logits  # noqa: E402
from plugins.backends.palette import decoding  # noqa: E402
from plugins.backends.palette.model import PaletteConfig, PaletteModel  # noqa: E402
from plugins.host import PluginHost, build_options  # noqa: E402
from training import checkpoint, palette, prior  # noqa: E402
from training.__main__ import main as training_main  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
COLORS = torch.tensor([[0.0, 0.0], [60.0, 40.0], [-10.0, -50.0], [-50.0, 50.0]])  # gray, red, blue, green


@pytest.fixture(scope="module")
def photos(tmp_path_factory) -> Path:
    return write_train_and_val(tmp_path_factory.mktemp("palette_photos"), seed=5)


def _train_args(photos: Path, out: Path, *extra: str) -> list[str]:
    return ["train", "palette", "--data", str(photos / "train"), "--val", str(photos / "val"), "--out", str(out),
            "--size", "48", "--crop", "32", "--batch-size", "2", "--steps", "3", "--val-every", "3",
            "--log-every", "1", "--workers", "0", "--no-pretrained", "--no-progress", "--seed", "2", *extra]


# ---- the palette ---------------------------------------------------------------------------


def test_kmeans_finds_the_clusters_and_their_shares_most_frequent_first():
    hist = np.zeros((256, 256))
    for (a, b), count in (((0, 0), 600.0), ((60, 40), 300.0), ((-40, -40), 100.0)):
        hist[128 + a - 2 : 128 + a + 3, 128 + b - 2 : 128 + b + 3] = count / 25  # a 5×5 blob of cells
    colors, shares = palette.palette_from_histogram(hist, 3)
    assert colors.shape == (3, 2) and colors.dtype == np.float32
    np.testing.assert_allclose(colors, [[0.5, 0.5], [60.5, 40.5], [-39.5, -39.5]], atol=1e-4)  # cell centers
    np.testing.assert_allclose(shares, [0.6, 0.3, 0.1], atol=1e-6)
    again, _ = palette.palette_from_histogram(hist, 3)
    assert np.array_equal(colors, again)  # seeded


def test_weighted_kmeans_lowers_the_cost_of_a_naive_split():
    rng = np.random.default_rng(0)
    points = rng.normal(0, 30, (400, 2))
    weights = rng.uniform(0.1, 5, 400)
    centers, shares = palette.weighted_kmeans(points, weights, 6)
    cost = lambda c: (weights * ((points[:, None] - c[None]) ** 2).sum(-1).min(1)).sum()  # noqa: E731
    assert shares.sum() == pytest.approx(1.0) and (shares > 0).all()
    assert cost(centers) < 0.7 * cost(points[:6])  # better than six arbitrary points
    with pytest.raises(ValueError, match="cannot make a palette"):
        palette.weighted_kmeans(points[:3], weights[:3], 6)


def test_prior_palette_command_writes_a_loadable_palette_and_a_cic_prior_is_refused(photos, tmp_path):
    out = tmp_path / "p5.npz"
    assert training_main(["prior", "--palette", "5", "--data", str(photos / "train"), str(photos / "val"),
                          "--out", str(out), "--size", "32", "--no-progress"]) == 0
    saved = palette.load_palette(out)
    assert saved["palette"].shape == (5, 2) and saved["photos"] == 8
    assert saved["shares"].sum() == pytest.approx(1.0, abs=1e-5) and np.all(np.diff(saved["shares"]) <= 0)
    cic_prior = tmp_path / "cic.npz"
    prior.save_prior(cic_prior, {"probs": np.ones(3)})
    with pytest.raises(SystemExit, match="is not a palette"):
        palette.load_palette(cic_prior)


def test_class_weights_go_from_plain_to_inverse_frequency():
    shares = np.array([0.7, 0.2, 0.1])
    np.testing.assert_allclose(palette.class_weights(shares, 0.0), 1.0, rtol=1e-6)
    for strength in (0.5, 1.0):
        w = palette.class_weights(shares, strength)
        assert (shares * w).sum() == pytest.approx(1.0) and w[2] > w[1] > w[0]
    np.testing.assert_allclose(palette.class_weights(shares, 1.0), 1 / (3 * shares), rtol=1e-5)
    with pytest.raises(SystemExit, match="0 to 1"):
        palette.class_weights(shares, 1.5)


def test_palette_cross_entropy_against_the_nearest_colors():
    ab = COLORS[torch.tensor([[1, 1, 2, 2], [1, 1, 2, 2]])].permute(2, 0, 1)[None] + 3.0  # (1, 2, 2, 4), near red | blue
    logits = torch.randn(1, 4, 1, 2, generator=torch.Generator().manual_seed(0), requires_grad=True)
    loss = palette.palette_cross_entropy(logits, ab, COLORS)
    log_p = logits.log_softmax(1)[0, :, 0]
    torch.testing.assert_close(loss, -(log_p[1, 0] + log_p[2, 1]) / 2)  # each cell: its four pixels' color
    weights = torch.tensor([1.0, 2.0, 3.0, 1.0])
    torch.testing.assert_close(palette.palette_cross_entropy(logits, ab, COLORS, weights),
                               -(2 * log_p[1, 0] + 3 * log_p[2, 1]) / 2)
    loss.backward()
    assert logits.grad.abs().sum() > 0
    right = torch.zeros(1, 4, 1, 2)
    right[0, 1, 0, 0] = right[0, 2, 0, 1] = 8.0
    assert palette.palette_cross_entropy(right, ab, COLORS) < palette.palette_cross_entropy(torch.zeros_like(right), ab, COLORS)


# ---- model, decoding and samples -----------------------------------------------------------


def test_model_is_a_leaky_unet_with_logits_at_a_quarter_resolution_and_carries_its_palette():
    model = PaletteModel(PaletteConfig(colors=16))
    assert model(torch.rand(2, 1, 48, 64) * 100).shape == (2, 16, 12, 16)
    activations = [m for m in model.trunk.decoder.modules() if isinstance(m, (torch.nn.ReLU, torch.nn.LeakyReLU))]
    assert activations and all(isinstance(m, torch.nn.LeakyReLU) and m.negative_slope == 0.1 for m in activations)
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in model.trunk.decoder.modules())
    state = model.state_dict()
    assert state["palette"].shape == (16, 2) and state["shares"].shape == (16,)
    with pytest.raises(ValueError, match="at least 2"):
        PaletteModel(PaletteConfig(colors=1))


def test_top3_average_weights_the_three_likeliest_colors_and_top1_is_the_argmax():
    probs = torch.tensor([0.1, 0.4, 0.3, 0.2])  # red likeliest, then blue, then green; gray last
    logits = probs.log()[None, :, None, None]
    top3 = decoding.top_k_mean(logits, COLORS, 3)[0, :, 0, 0]
    expected = (0.4 * COLORS[1] + 0.3 * COLORS[2] + 0.2 * COLORS[3]) / 0.9
    torch.testing.assert_close(top3, expected)
    torch.testing.assert_close(decoding.top_k_mean(logits, COLORS, 1)[0, :, 0, 0], COLORS[1])
    full_mean = (probs[:, None] * COLORS).sum(0)
    torch.testing.assert_close(decoding.top_k_mean(logits, COLORS, 4)[0, :, 0, 0], full_mean)
    torch.testing.assert_close(decoding.top_k_mean(logits, COLORS, 9)[0, :, 0, 0], full_mean)  # k capped at K


def test_rebalancing_can_be_taken_out_of_the_logits():
    logits = torch.randn(1, 4, 3, 5, generator=torch.Generator().manual_seed(0))
    weights = torch.tensor([0.5, 1.0, 2.0, 4.0])
    assert torch.equal(rebalanced_logits(logits, weights, 1.0), logits)
    plain = rebalanced_logits(logits, weights, 0.0)
    torch.testing.assert_close(plain.softmax(1), (logits.softmax(1) / weights[:, None, None]) /
                               (logits.softmax(1) / weights[:, None, None]).sum(1, keepdim=True))
    torch.testing.assert_close(rebalanced_logits(logits, torch.ones(4), 0.0), logits)  # unweighted: nothing to undo


def multimodal_logits(h: int = 48, w: int = 48) -> torch.Tensor:
    """Red, blue and green equally likely at every pixel, gray unlikely: ``(1, 4, h, w)``."""
    logits = torch.full((1, 4, h, w), 9.0)
    logits[0, 0] = 0.0
    return logits


def test_samples_are_seeded_and_the_first_is_the_top3_average():
    logits = multimodal_logits(24, 32) + torch.randn(1, 4, 24, 32, generator=torch.Generator().manual_seed(0))
    a = decoding.sample_ab(logits, COLORS, 4, seed=7)
    b = decoding.sample_ab(logits, COLORS, 4, seed=7)
    c = decoding.sample_ab(logits, COLORS, 4, seed=8)
    assert len(a) == 4 and all(s.shape == (2, 24, 32) for s in a)
    assert all(torch.equal(x, y) for x, y in zip(a, b)) and not torch.equal(a[1], c[1])
    torch.testing.assert_close(a[0], decoding.top_k_mean(logits, COLORS, 3)[0])
    assert all(torch.equal(x, y) for x, y in zip(a[:2], decoding.sample_ab(logits, COLORS, 2, seed=7)))


def test_samples_are_spatially_coherent_yet_differ():
    logits = multimodal_logits()
    samples = decoding.sample_ab(logits, COLORS, 8, k=1, seed=0)[1:]

    def roughness(ab):
        return ((ab[:, 1:] - ab[:, :-1]).abs().mean() + (ab[:, :, 1:] - ab[:, :, :-1]).abs().mean()) / 2

    independent = COLORS[torch.distributions.Categorical(logits=logits[0].permute(1, 2, 0)).sample()].permute(2, 0, 1)
    assert max(roughness(s) for s in samples) < 0.2 * roughness(independent)
    means = torch.stack([s.mean((1, 2)) for s in samples])
    assert torch.cdist(means, means).max() > 20  # different samples chose different colors


# ---- training, export and the plugin -------------------------------------------------------


def test_train_palette_computes_its_palette_and_export_ships_it_inside_the_weights(photos, tmp_path, monkeypatch):
    run = tmp_path / "run"
    assert training_main(_train_args(photos, run, "--palette", "6", "--rebalance", "0.5")) == 0
    ckpt = checkpoint.load(run / "last.pt")
    saved = palette.load_palette(run / "palette.npz")
    assert ckpt["step"] == 3 and ckpt["args"]["prior"] == str(run / "palette.npz")
    assert ckpt["model_args"]["config"]["colors"] == 6
    torch.testing.assert_close(ckpt["model"]["palette"], torch.from_numpy(saved["palette"]))
    assert len((run / "log.csv").read_text().splitlines()) == 4 and (run / "samples_step0000003.png").exists()
    with pytest.raises(SystemExit, match="regression"):
        training_main(_train_args(photos, tmp_path / "other", "--loss", "l2"))

    target = tmp_path / "models" / "palette"
    assert training_main(["export", str(run), "--to", str(target)]) == 0
    weights = load_file(str(target.with_suffix(".safetensors")))
    np.testing.assert_allclose(weights["palette"].float().numpy(), saved["palette"], atol=0.05)
    np.testing.assert_allclose(weights["class_weights"].float().numpy(), palette.class_weights(saved["shares"], 0.5),
                               rtol=2e-3)
    assert "--rebalance 0.5" in target.with_suffix(".md").read_text()

    # Through the host, as the app runs it: samples of the right size, seeded; top_colors 1 and 3 differ.
    monkeypatch.setattr(shipped, "model_path", lambda name: target.parent / name)
    model = shipped.shipped_model("palette")
    colorizer = palette_backend.PaletteColorizer
    monkeypatch.setattr(palette_backend, "SHIPPED", model)
    monkeypatch.setattr(colorizer, "info", dataclasses.replace(colorizer.info, weights=(model.weights,)))
    host = PluginHost.discover([palette_backend], entry_points=False)
    assert host.weights_status(host.get("palette")).state == "verified"
    backend = host.loaded("palette", "cpu")
    lightness = np.random.default_rng(0).uniform(0, 100, (80, 100)).astype(np.float32)

    def run_backend(**params) -> list[np.ndarray]:
        options, _ = build_options(backend.info, device="cpu", samples=3, seed=4, working_size=64)
        options = dataclasses.replace(options, params={**options.params, **params})
        return [e.ab for e in backend.colorize(lightness, options) if isinstance(e, Sample)]

    first, again = run_backend(), run_backend()
    assert len(first) == 3 and all(ab.shape == (64, 80, 2) and ab.dtype == np.float32 for ab in first)
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not np.array_equal(run_backend(top_colors=1)[0], first[0])
    assert not np.array_equal(run_backend(rebalance=0.0)[0], first[0])  # trained with --rebalance 0.5
    host.unload_all()

    # --init-from those weights without --prior trains on their palette; another palette is refused.
    again_run = tmp_path / "again"
    assert training_main(_train_args(photos, again_run, "--init-from", str(target.with_suffix(".safetensors")))) == 0
    np.testing.assert_allclose(palette.load_palette(again_run / "palette.npz")["palette"], saved["palette"], atol=0.05)
    torch.testing.assert_close(checkpoint.load(again_run / "last.pt")["model"]["class_weights"], torch.ones(6))  # its own
    other = tmp_path / "p6.npz"
    palette.save_palette(other, {"palette": saved["palette"] + 10, "shares": saved["shares"], "photos": 1})
    with pytest.raises(SystemExit, match="palette is not --prior's"):
        training_main(_train_args(photos, tmp_path / "refused", "--init-from", str(target.with_suffix(".safetensors")),
                                  "--prior", str(other)))


def test_package_import_stays_free_of_torch():
    code = "import sys, plugins.backends.palette; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)
