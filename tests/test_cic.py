"""The cic backend: ab bins, soft encoding, annealed mean, prior, loss, sampling, training and the plugin.

Training runs use a few tiny synthetic photos written to tmp_path, so the file stays fast.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

# Idle OpenMP threads must sleep, not spin, on a small shared machine (as `python -m training` sets);
# only effective when this file imports torch first in the session.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from fakes import write_train_and_val  # noqa: E402

from plugins import Sample  # noqa: E402
from plugins.backends.cic import backend as cic_backend  # noqa: E402
from plugins.backends.cic import bins, sampling  # noqa: E402
from plugins.backends.cic.model import CICConfig, CICModel, predict_logits  # noqa: E402
from plugins.backends.common.shipped import ShippedModel  # noqa: E402
from plugins.host import PluginHost, build_options  # noqa: E402
from plugins.types import WeightsFile  # noqa: E402
from training import checkpoint, losses, prior  # noqa: E402
from training.__main__ import main as training_main  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def photos(tmp_path_factory) -> Path:
    return write_train_and_val(tmp_path_factory.mktemp("cic_photos"), seed=1)


def multimodal_logits(h: int = 48, w: int = 48) -> torch.Tensor:
    """The same three equally likely colors (red, blue, green) at every pixel, ``(1, Q, h, w)``."""
    centers = torch.from_numpy(bins.bin_centers())
    logits = torch.zeros(1, bins.Q, h, w)
    for ab in ((60.0, 40.0), (-10.0, -50.0), (-50.0, 50.0)):
        logits[0, (centers - torch.tensor(ab)).norm(dim=1).argmin()] = 9.0
    return logits


# ---- bins ----------------------------------------------------------------------------------


def test_bins_are_the_grid_points_within_one_step_of_the_gamut():
    centers = bins.bin_centers()
    assert centers.shape == (bins.Q, 2) == (309, 2) and centers.dtype == np.float32
    assert np.all(centers % 10 == 0) and len({tuple(c) for c in centers}) == bins.Q
    as_set = lambda a: {tuple(int(v) for v in c) for c in a}  # noqa: E731
    kept = as_set(centers)
    # An sRGB color (at some L) lies within 10 ab units of every center, and of no other grid point.
    assert as_set(bins.reachable_centers(9.5, samples=128)) <= kept <= as_set(bins.reachable_centers(10.5, samples=128))
    assert (0, 0) in kept and (80, 70) in kept and (-100, 0) not in kept


def test_soft_encoding_spreads_over_the_five_nearest_bins():
    ab = torch.empty(2, 2, 5, 7).uniform_(-70, 70, generator=torch.Generator().manual_seed(0))
    z = bins.soft_encode(ab)
    assert z.shape == (2, bins.Q, 5, 7)
    torch.testing.assert_close(z.sum(1), torch.ones(2, 5, 7))
    assert ((z > 0).sum(1) == 5).all()
    centers = torch.from_numpy(bins.bin_centers())
    nearest = (ab.permute(0, 2, 3, 1)[..., None, :] - centers).norm(dim=-1).argmin(-1)
    assert torch.equal(z.argmax(1), nearest)
    on_bin = centers[[120, 7]].T.reshape(1, 2, 1, 2)  # exactly at bin centers
    assert bins.soft_encode(on_bin)[0, [120, 7], 0, [0, 1]].gt(0.3).all()


def test_annealed_mean_goes_from_the_mean_at_t1_to_the_mode_as_t_shrinks():
    logits = torch.randn(1, bins.Q, 3, 4, generator=torch.Generator().manual_seed(0)) * 3
    centers = torch.from_numpy(bins.bin_centers())
    mean = torch.einsum("nqhw,qc->nchw", logits.softmax(1), centers)
    torch.testing.assert_close(bins.annealed_mean(logits, 1.0), mean)
    mode = centers[logits.argmax(1)].permute(0, 3, 1, 2)
    torch.testing.assert_close(bins.annealed_mean(logits, 0.002), mode, atol=1e-2, rtol=0)
    spread = lambda t: (bins.annealed_mean(logits, t) - mode).abs().mean()  # noqa: E731
    assert spread(0.38) < spread(1.0)


# ---- prior and loss ------------------------------------------------------------------------


def test_prior_weights_have_unit_expectation_and_favour_rare_colors():
    hist = np.zeros((256, 256))
    hist[128 - 3 : 128 + 3, 128 - 3 : 128 + 3] = 1000.0  # lots of gray
    hist[128 + 60, 128 + 60] = 5.0  # a little orange
    probs, weights = prior.prior_from_histogram(hist)
    assert probs.shape == weights.shape == (bins.Q,)
    assert probs.sum() == pytest.approx(1.0, abs=1e-5)
    assert (probs * weights).sum() == pytest.approx(1.0, abs=1e-5)
    centers = bins.bin_centers()
    gray, orange = (np.abs(centers - ab).sum(1).argmin() for ab in ((0, 0), (60, 60)))
    assert 0 < probs[orange] < probs[gray] and weights[orange] > 10 * weights[gray]


def test_prior_command_writes_a_loadable_npz(photos, tmp_path):
    out = tmp_path / "prior.npz"
    assert training_main(["prior", "--data", str(photos / "train"), "--out", str(out), "--size", "32", "--no-progress"]) == 0
    saved = prior.load_prior(out)
    assert saved["photos"] == 6 and (saved["probs"] * saved["weights"]).sum() == pytest.approx(1.0, abs=1e-4)


def test_rebalanced_cross_entropy():
    ab = torch.empty(2, 2, 16, 16).uniform_(-50, 50, generator=torch.Generator().manual_seed(1))
    logits = torch.randn(2, bins.Q, 8, 8, requires_grad=True)
    ones = torch.ones(bins.Q)
    small = torch.nn.functional.interpolate(ab, size=(8, 8), mode="area")
    dense = -(bins.soft_encode(small) * logits.log_softmax(1)).sum(1).mean()
    loss = losses.rebalanced_cross_entropy(logits, ab, ones)
    torch.testing.assert_close(loss, dense)
    torch.testing.assert_close(losses.rebalanced_cross_entropy(logits, ab, 2 * ones), 2 * loss)
    loss.backward()
    assert logits.grad is not None and logits.grad.abs().sum() > 0
    good = 10 * bins.soft_encode(small)  # logits peaked at the targets score better
    assert losses.rebalanced_cross_entropy(good, ab, ones) < losses.rebalanced_cross_entropy(torch.zeros_like(good), ab, ones)


# ---- model and sampling --------------------------------------------------------------------


def test_model_outputs_logits_at_a_quarter_resolution():
    model = CICModel(CICConfig())
    assert model(torch.rand(2, 1, 48, 64) * 100).shape == (2, bins.Q, 12, 16)
    logits = predict_logits(model, np.random.default_rng(0).uniform(0, 100, (40, 56)).astype(np.float32))
    assert logits.shape == (1, bins.Q, 10, 14) and logits.dtype == torch.float32 and logits.device.type == "cpu"


def test_samples_are_seeded_and_the_first_is_the_annealed_mean():
    logits = multimodal_logits(24, 32) + torch.randn(1, bins.Q, 24, 32, generator=torch.Generator().manual_seed(0))
    a = sampling.sample_ab(logits, 4, 0.38, 0.5, seed=7)
    b = sampling.sample_ab(logits, 4, 0.38, 0.5, seed=7)
    c = sampling.sample_ab(logits, 4, 0.38, 0.5, seed=8)
    assert len(a) == 4 and all(s.shape == (2, 24, 32) for s in a)
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    assert not torch.equal(a[1], c[1])
    torch.testing.assert_close(a[0], bins.annealed_mean(logits, 0.38)[0])
    assert all(torch.equal(x, y) for x, y in zip(a[:2], sampling.sample_ab(logits, 2, 0.38, 0.5, seed=7)))


def test_samples_are_spatially_coherent_yet_differ():
    logits = multimodal_logits()
    samples = sampling.sample_ab(logits, 8, 0.38, 0.5, seed=0)[1:]
    def roughness(ab):  # mean absolute difference between neighbouring pixels
        return ((ab[:, 1:] - ab[:, :-1]).abs().mean() + (ab[:, :, 1:] - ab[:, :, :-1]).abs().mean()) / 2

    # The same decoding with independent noise per pixel: confetti.
    g = torch.Generator().manual_seed(0)
    u = torch.rand(bins.Q, 48, 48, generator=g).clamp(1e-9, 1 - 1e-7)
    mode = (logits.log_softmax(1)[0] - torch.log(-torch.log(u))).argmax(0)
    mode_ab = torch.from_numpy(bins.bin_centers())[mode].permute(2, 0, 1)[None]
    independent = sampling.local_annealed_mean(logits, mode_ab, 0.38)[0]
    assert max(roughness(s) for s in samples) < 0.2 * roughness(independent)
    means = torch.stack([s.mean((1, 2)) for s in samples])
    assert torch.cdist(means, means).max() > 20  # different samples chose different colors
    g = sampling.smooth_gumbel(500, 12, 16, torch.Generator().manual_seed(0))
    assert g.mean().item() == pytest.approx(0.5772, abs=0.05) and g.std().item() == pytest.approx(1.2825, abs=0.05)


def test_zero_diversity_takes_the_most_likely_mode():
    logits = multimodal_logits(16, 16)
    top = torch.tensor([60.0, 40.0])
    logits[0, (torch.from_numpy(bins.bin_centers()) - top).norm(dim=1).argmin()] += 0.5  # red, slightly preferred
    for ab in sampling.sample_ab(logits, 3, 0.38, 0.0, seed=3)[1:]:
        assert (ab.mean((1, 2)) - top).norm() < 12


# ---- training ------------------------------------------------------------------------------


def test_train_cic_computes_the_prior_and_writes_a_checkpoint(photos, tmp_path):
    out = tmp_path / "run"
    args = ["train", "cic", "--data", str(photos / "train"), "--val", str(photos / "val"), "--out", str(out),
            "--size", "48", "--crop", "32", "--batch-size", "2", "--steps", "3", "--val-every", "3",
            "--log-every", "1", "--workers", "0", "--no-pretrained", "--no-progress", "--seed", "1"]
    assert training_main(args) == 0
    ckpt = checkpoint.load(out / "last.pt")
    assert ckpt["step"] == 3 and ckpt["model_args"]["backend"] == "cic"
    assert ckpt["args"]["prior"] == str(out / "prior.npz") and ckpt["args"]["loss"] is None
    model = CICModel(CICConfig.from_dict(ckpt["model_args"]["config"]))
    model.load_state_dict(ckpt["model"])
    assert (out / "samples_step0000003.png").exists() and (out / "prior.npz").exists()
    assert len((out / "log.csv").read_text().splitlines()) == 4
    with pytest.raises(SystemExit, match="regression"):
        training_main([*args[:-2], "--loss", "l2"])


def test_rebalance_keeps_or_removes_the_training_class_weights():
    from plugins.backends.common.rebalance import rebalanced_logits

    weights = torch.linspace(0.2, 5.0, bins.Q)
    logits = torch.randn(1, bins.Q, 3, 4, generator=torch.Generator().manual_seed(0))
    assert torch.equal(rebalanced_logits(logits, weights, 1.0), logits)
    plain = rebalanced_logits(logits, weights, 0.0)
    # q ∝ w·p  →  p ∝ q / w: the rare (heavily weighted) bins lose probability.
    assert torch.allclose(torch.softmax(plain, 1), torch.softmax(logits - torch.log(weights)[None, :, None, None], 1), atol=1e-6)
    half = torch.softmax(rebalanced_logits(logits, weights, 0.5), 1)[0, :, 0, 0]
    assert torch.softmax(plain, 1)[0, -1, 0, 0] < half[-1] < torch.softmax(logits, 1)[0, -1, 0, 0]


def test_weights_without_class_weights_load_as_no_rebalancing():
    model = CICModel(CICConfig(widths=(16, 16, 8, 8, 8), fusion_channels=8))
    state = {k: v for k, v in model.state_dict().items() if k != "class_weights"}
    model.class_weights.fill_(3.0)
    model.load_state_dict(state)
    assert torch.equal(model.class_weights, torch.ones(bins.Q))


def test_cic_starts_from_a_regression_trunk_except_its_head(photos, tmp_path):
    from safetensors.torch import save_file

    from plugins.backends.regression.model import RegressionConfig, RegressionModel

    regression = RegressionModel(RegressionConfig())
    with torch.no_grad():
        regression.trunk.decoder.refine[0].weight.fill_(0.125)  # the 3x3 conv after the last skip
    weights = tmp_path / "regression.safetensors"
    save_file({k: v.contiguous() for k, v in regression.state_dict().items()}, str(weights))
    out = tmp_path / "run"
    args = ["train", "cic", "--data", str(photos / "train"), "--out", str(out), "--size", "48", "--crop", "32",
            "--batch-size", "2", "--steps", "1", "--lr", "0", "--warmup", "0", "--workers", "0", "--no-pretrained",
            "--no-progress", "--init-from", str(weights)]
    assert training_main(args) == 0
    state = checkpoint.load(out / "last.pt")["model"]
    assert torch.all(state["trunk.decoder.refine.0.weight"] == 0.125)
    assert state["trunk.decoder.head.weight"].shape[0] == bins.Q
    trained_prior = prior.load_prior(out / "prior.npz")
    assert torch.allclose(state["class_weights"], torch.from_numpy(trained_prior["weights"]).float())


# ---- the plugin ----------------------------------------------------------------------------


def test_package_import_stays_free_of_torch():
    code = "import sys, plugins.backends.cic; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)


def test_the_plugin_colorizes_through_the_host(tmp_path, monkeypatch):
    from safetensors.torch import save_file

    config = CICConfig()
    model = CICModel(config)
    with torch.no_grad():
        model.trunk.decoder.head.weight.normal_(0, 0.5, generator=torch.Generator().manual_seed(0))
    path = tmp_path / "cic.safetensors"
    save_file({k: v.half().contiguous() for k, v in model.state_dict().items()}, str(path))
    shipped = ShippedModel(WeightsFile(path, hashlib.sha256(path.read_bytes()).hexdigest()), {"config": config.to_dict()})
    monkeypatch.setattr(cic_backend, "SHIPPED", shipped)
    info = cic_backend.CICColorizer.info
    monkeypatch.setattr(cic_backend.CICColorizer, "info", replace(info, weights=(shipped.weights,)))
    assert info.max_samples == 8 and info.has_temperature and info.default_temperature == 0.38
    assert [p.name for p in info.params] == ["diversity", "rebalance", "smoothing"]

    host = PluginHost.discover([cic_backend], entry_points=False)
    backend = host.loaded("cic", "cpu")
    lightness = np.random.default_rng(0).uniform(0, 100, (80, 100)).astype(np.float32)
    options, _ = build_options(backend.info, device="cpu", samples=3, seed=5, working_size=64)

    def run():
        return [e.ab for e in backend.colorize(lightness, options) if isinstance(e, Sample)]

    first, again = run(), run()
    assert len(first) == 3 and all(ab.shape == (64, 80, 2) and ab.dtype == np.float32 for ab in first)
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not np.array_equal(first[1], first[2])

    def roughness(ab):
        return np.abs(np.diff(ab, axis=1)).mean()

    options = replace(options, params={**options.params, "smoothing": 0.0})
    raw = run()
    options = replace(options, params={**options.params, "smoothing": 1.0})
    smooth = run()
    assert all(roughness(s) < 0.8 * roughness(r) for s, r in zip(smooth, raw))
    host.unload_all()
