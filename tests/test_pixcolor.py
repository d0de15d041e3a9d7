"""The pixcolor backend: causal masks, fast sampling equal to the naive one, seeding, training
(resume, export, eval) and the plugin.

Models are tiny or randomly initialized and photos small, so the file stays fast.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import subprocess
import sys
from pathlib import Path

# Idle OpenMP threads must sleep, not spin, on a small shared machine (as `python -m training` sets);
# only effective when this file imports torch first in the session.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

from fakes import interrupting_loss, run_torchrun, write_train_and_val  # noqa: E402

from plugins import Progress, Sample  # noqa: E402
from plugins.backends.cic.bins import Q, bin_centers, soft_encode  # noqa: E402
from plugins.backends.common import shipped  # noqa: E402
from plugins.backends.common.shipped import ShippedModel  # noqa: E402
from plugins.backends.pixcolor import backend as pixcolor_backend  # noqa: E402
from plugins.backends.pixcolor import sampling  # noqa: E402
from plugins.backends.pixcolor.model import GatedPixelCNN, PixColorConfig, PixColorModel, grid_size  # noqa: E402
from plugins.color import srgb_to_lab, srgb_to_lightness  # noqa: E402
from plugins.host import PluginHost, build_options  # noqa: E402
from plugins.host.pipeline import MergedSample, colorize_lightness  # noqa: E402
from plugins.types import WeightsFile  # noqa: E402
from training import checkpoint, evaluate, losses  # noqa: E402
from training import train as train_module  # noqa: E402
from training.__main__ import main as training_main  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def tiny_pixelcnn(kernel: int = 5, layers: int = 3, seed: int = 0) -> GatedPixelCNN:
    """A small PixelCNN with every weight random (the zero-initialized head too), so logits vary."""
    torch.manual_seed(seed)
    net = GatedPixelCNN(Q, hidden=16, layers=layers, kernel=kernel, cond_channels=8).eval()
    with torch.no_grad():
        for p in net.parameters():
            p.normal_(0, 0.3)
    return net


@pytest.fixture(scope="module")
def photos(tmp_path_factory) -> Path:
    return write_train_and_val(tmp_path_factory.mktemp("pixcolor_photos"), seed=2)


# ---- the PixelCNN --------------------------------------------------------------------------


@pytest.mark.parametrize("kernel", [3, 5])
def test_masks_are_causal_in_raster_order(kernel):
    """Changing cell k's bin changes no logits at cells 0..k (k itself included: mask A), but does change later ones."""
    net = tiny_pixelcnn(kernel)
    gh, gw = 5, 6
    cond = torch.randn(1, 8, gh, gw)
    bins = torch.randint(0, Q, (1, gh, gw), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        base = net(bins, cond)
        for k in range(gh * gw):
            changed = bins.clone()
            changed.view(-1)[k] = (changed.view(-1)[k] + 100) % Q
            diff = (net(changed, cond) - base).abs().amax(dim=1).view(-1)
            assert diff[: k + 1].max() == 0, f"cell {k} leaks into cells up to itself"
            i, j = divmod(k, gw)
            if j + 1 < gw:
                assert diff[k + 1] > 0  # the next cell in the row sees it
            if i + 1 < gh:
                assert diff[k + gw] > 0  # so does the cell below
    # No blind spot: after 3 layers the last cell sees the whole row above across the kernel's reach.
    with torch.no_grad():
        i, j = gh - 1, gw - 1
        for col in range(max(0, j - kernel // 2), gw):
            changed = bins.clone()
            changed[0, i - 1, col] = (changed[0, i - 1, col] + 100) % Q
            assert (net(changed, cond) - base)[0, :, i, j].abs().max() > 0


def test_fast_sampling_equals_naive_full_recompute():
    net = tiny_pixelcnn()
    cond = torch.randn(1, 8, 4, 5, generator=torch.Generator().manual_seed(1))
    naive = sampling.sample_naive(net, cond, 3, temperature=0.7, seed=11)
    centers = torch.from_numpy(bin_centers())
    sampler = sampling.RowSampler(net, cond, 3, temperature=0.7, seed=11, keep_logits=True)
    fractions = list(sampler)
    assert fractions == [0.25, 0.5, 0.75, 1.0]
    assert torch.equal(sampler.bins, naive)
    with torch.no_grad():  # every cell was drawn from exactly the logits a full pass gives
        torch.testing.assert_close(sampler.logits, net(sampler.bins, cond), atol=1e-4, rtol=1e-4)
    # The expected chroma is each cell's mean ab under its untempered distribution, not the drawn bin's center.
    expected = torch.einsum("nqhw,qc->nchw", torch.softmax(sampler.logits, dim=1), centers)
    torch.testing.assert_close(sampler.expected, expected, atol=1e-3, rtol=1e-4)
    assert (sampler.expected - centers[sampler.bins].permute(0, 3, 1, 2)).abs().max() > 1.0
    assert len({tuple(b.flatten().tolist()) for b in naive}) == 3  # the samples differ


def test_same_seed_same_samples_and_sample_k_does_not_depend_on_n():
    net = tiny_pixelcnn(kernel=3)
    cond = torch.randn(1, 8, 6, 7, generator=torch.Generator().manual_seed(2))
    a = sampling.sample_bins(net, cond, 4, 1.0, seed=5)
    b = sampling.sample_bins(net, cond, 4, 1.0, seed=5)
    c = sampling.sample_bins(net, cond, 4, 1.0, seed=6)
    assert a.shape == (4, 6, 7) and a.dtype == torch.long
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert torch.equal(sampling.sample_bins(net, cond, 2, 1.0, seed=5), a[:2])
    greedy = sampling.sample_bins(net, cond, 3, 1e-6, seed=5)  # T → 0: every sample is the argmax path
    assert torch.equal(greedy[0], greedy[1]) and torch.equal(greedy[1], greedy[2])


# ---- the model and its loss ----------------------------------------------------------------


def test_model_shapes_in_training_and_eval_mode():
    config = PixColorConfig(hidden=16, layers=2, cond_channels=16)
    model = PixColorModel(config)
    lightness, ab = torch.rand(2, 1, 50, 70) * 100, torch.randn(2, 2, 50, 70) * 20
    assert grid_size(50, 70) == (7, 9)
    logits, refined = model.train()(lightness, ab)
    assert logits.shape == (2, Q, 7, 9) and refined.shape == (2, 2, 50, 70)
    (logits.mean() + refined.mean()).backward()
    assert model.pixelcnn.layers[0].v_conv.weight.grad is not None
    assert model.trunk.decoder.head.weight.grad is not None
    assert model.trunk.encoder._blocks[15]._project_conv.weight.grad is not None
    assert not model.trunk.encoder.training  # encoder BatchNorm statistics stay frozen
    with torch.no_grad():
        logits, refined = model.eval()(lightness, ab)
        encoded = model.encode(lightness[:1])
        chroma = model.chroma_of_bins(torch.zeros(3, 7, 9, dtype=torch.long))
        assert model.refine(encoded.features, encoded.pooled, lightness[:1], chroma).shape == (3, 2, 50, 70)
    # The untrained refinement passes the chroma through: its head starts at zero.
    first = torch.from_numpy(bin_centers()[0])
    torch.testing.assert_close(model.refine(encoded.features, encoded.pooled, lightness[:1], chroma)[0, :, 20, 30], first)


def test_soft_cross_entropy():
    ab = torch.empty(2, 2, 16, 16).uniform_(-50, 50, generator=torch.Generator().manual_seed(1))
    small = torch.nn.functional.interpolate(ab, size=(8, 8), mode="area")
    logits = torch.randn(2, Q, 8, 8)
    dense = -(soft_encode(small) * logits.log_softmax(1)).sum(1).mean()
    torch.testing.assert_close(losses.soft_cross_entropy(logits, ab), dense)
    assert losses.soft_cross_entropy(10 * soft_encode(small), ab) < losses.soft_cross_entropy(torch.zeros_like(logits), ab)


# ---- training, resume, export, eval --------------------------------------------------------


def _train_args(photos: Path, out: Path, *extra: str) -> list[str]:
    return ["train", "pixcolor", "--data", str(photos / "train"), "--val", str(photos / "val"), "--out", str(out),
            "--size", "48", "--crop", "32", "--batch-size", "2", "--steps", "4", "--val-every", "2",
            "--log-every", "1", "--workers", "0", "--no-pretrained", "--no-progress", "--seed", "1", *extra]


def test_train_interrupt_resume_matches_and_rejects_a_prior(photos, tmp_path, monkeypatch):
    """Stopped mid-epoch (4 steps per epoch) with a worker process: the training noise must still match."""
    photos = write_train_and_val(tmp_path / "photos", seed=2, train=8)
    straight = tmp_path / "straight"
    assert training_main(_train_args(photos, straight, "--workers", "1", "--steps", "6", "--val-every", "100")) == 0
    ckpt = checkpoint.load(straight / "last.pt")
    assert ckpt["step"] == 6 and ckpt["model_args"]["backend"] == "pixcolor" and ckpt["args"]["loss"] == "smooth_l1"
    PixColorModel(PixColorConfig.from_dict(ckpt["model_args"]["config"])).load_state_dict(ckpt["model"])
    assert (straight / "samples_step0000006.png").exists() and (straight / "best.pt").exists()
    rows = (straight / "log.csv").read_text().splitlines()
    assert len(rows) == 7 and rows[-1].split(",")[-3:] != ["", "", ""]

    resumed = tmp_path / "resumed"
    with monkeypatch.context() as m:
        m.setitem(train_module.LOSSES, "smooth_l1", interrupting_loss(losses.smooth_l1))  # Ctrl-C in step 2
        assert training_main(_train_args(photos, resumed, "--workers", "1", "--steps", "6", "--val-every", "100")) == 130
    assert checkpoint.load(resumed / "last.pt")["step"] == 2
    assert training_main(_train_args(photos, resumed, "--workers", "1", "--steps", "6", "--val-every", "100", "--resume")) == 0
    a, b = checkpoint.load(straight / "last.pt"), checkpoint.load(resumed / "last.pt")
    assert b["step"] == 6
    for key, value in a["model"].items():
        assert torch.equal(value, b["model"][key]), key

    with pytest.raises(SystemExit, match="cic"):
        training_main([*_train_args(photos, tmp_path / "bad"), "--prior", str(tmp_path / "prior.npz")])


def test_ddp_two_processes_on_cpu(photos, tmp_path):
    """Every parameter gets a gradient each step, as DistributedDataParallel requires."""
    out = tmp_path / "ddp"
    result = run_torchrun(2, ["training", *_train_args(photos, out, "--steps", "2", "--threads", "1")], ROOT)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "2 process(es)" in result.stdout
    assert checkpoint.load(out / "last.pt")["step"] == 2


@pytest.fixture(scope="module")
def exported(photos, tmp_path_factory):
    root = tmp_path_factory.mktemp("pixcolor_export")
    run = root / "run"
    args = _train_args(photos, run, "--steps", "1", "--val-every", "1", "--crop", "48")
    assert training_main(args) == 0
    target = root / "models" / "pixcolor"
    assert training_main(["export", str(run), "--to", str(target), "--checkpoint", "last", "--hardware", "test CPU"]) == 0
    return target


def _use_exported(exported: Path, monkeypatch) -> PluginHost:
    monkeypatch.setattr(shipped, "model_path", lambda name: exported.parent / name)
    model = shipped.shipped_model("pixcolor")
    colorizer = pixcolor_backend.PixColorColorizer
    monkeypatch.setattr(pixcolor_backend, "SHIPPED", model)
    monkeypatch.setattr(colorizer, "info", dataclasses.replace(colorizer.info, weights=(model.weights,)))
    return PluginHost.discover([pixcolor_backend], entry_points=False)


def test_export_and_eval_report_best_of_n_and_diversity(exported, monkeypatch):
    card = (exported.with_suffix(".md")).read_text()
    assert "python -m training train pixcolor --data " in card and "--loss smooth_l1" in card
    host = _use_exported(exported, monkeypatch)
    assert host.weights_status(host.get("pixcolor")).state == "verified"
    truths = [np.asarray(Image.new("RGB", (40, 40), color)) for color in ((200, 40, 30), (30, 90, 200))]
    report = evaluate.evaluate_backend(host, "pixcolor", truths, samples=3, seed=0, device="cpu", temperature=1.0)
    assert len(report.samples) == 3 and report.diversity is not None  # its value: see test_eval_diversity_...
    assert report.best_of_n_psnr >= max(s.psnr for s in report.samples) - 1e-9
    assert all(s.delta_cf == pytest.approx(abs(s.colorfulness - report.truth_colorfulness)) for s in report.samples)
    host.unload_all()


# ---- the plugin ----------------------------------------------------------------------------


def test_package_import_stays_free_of_torch():
    code = "import sys, plugins.backends.pixcolor; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)


def test_missing_weights_are_reported(tmp_path, monkeypatch):
    monkeypatch.setattr(shipped, "model_path", lambda name: tmp_path / name)
    model = shipped.shipped_model("pixcolor")
    colorizer = pixcolor_backend.PixColorColorizer
    monkeypatch.setattr(colorizer, "info", dataclasses.replace(colorizer.info, weights=(model.weights,)))
    host = PluginHost.discover([pixcolor_backend], entry_points=False)
    status = host.weights_status(host.get("pixcolor"))
    assert status.state == "missing" and "pixcolor.safetensors" in status.message


def _use_random_head_model(tmp_path, monkeypatch) -> PluginHost:
    """A host whose pixcolor weights are an untrained model with a random PixelCNN head: its draws
    depend on the cells drawn before them, so its samples differ (a 1-step model's hardly do)."""
    from safetensors.torch import save_file

    config = PixColorConfig()
    torch.manual_seed(0)
    model = PixColorModel(config)
    with torch.no_grad():
        model.pixelcnn.head[-1].weight.normal_(0, 0.5)  # random weights: samples must differ
    path = tmp_path / "pixcolor.safetensors"
    save_file({k: v.half().contiguous() for k, v in model.state_dict().items()}, str(path))
    model_file = ShippedModel(WeightsFile(path, hashlib.sha256(path.read_bytes()).hexdigest()), {"config": config.to_dict()})
    monkeypatch.setattr(pixcolor_backend, "SHIPPED", model_file)
    info = pixcolor_backend.PixColorColorizer.info
    monkeypatch.setattr(pixcolor_backend.PixColorColorizer, "info", dataclasses.replace(info, weights=(model_file.weights,)))
    return PluginHost.discover([pixcolor_backend], entry_points=False)


def test_eval_diversity_is_the_mean_pairwise_ab_distance_of_the_samples(tmp_path, monkeypatch):
    host = _use_random_head_model(tmp_path, monkeypatch)
    truths = [np.asarray(Image.new("RGB", (40, 40), color)) for color in ((200, 40, 30), (30, 90, 200))]
    report = evaluate.evaluate_backend(host, "pixcolor", truths, samples=3, seed=0, device="cpu", temperature=1.0)
    # Recomputed from the samples themselves: per photo, the mean over the 3 pairs of samples of their
    # mean per-pixel ab distance (of the 8-bit results, as scored); then the mean over the photos.
    backend = host.loaded("pixcolor", "cpu")
    options, _ = build_options(backend.info, device="cpu", samples=3, seed=0, temperature=1.0)
    per_photo = []
    for truth in truths:
        events = colorize_lightness(backend, srgb_to_lightness(truth / 255.0), options)
        abs_ = [srgb_to_lab(evaluate.to_uint8(e.rgb) / 255.0)[..., 1:] for e in events if isinstance(e, MergedSample)]
        pairs = [np.sqrt(((abs_[i] - abs_[j]) ** 2).sum(axis=-1)).mean() for i, j in ((0, 1), (0, 2), (1, 2))]
        per_photo.append(np.mean(pairs))
    assert report.diversity > 0.1  # three draws at T = 1 differ (identical samples would give 0)
    assert report.diversity == pytest.approx(np.mean(per_photo), rel=1e-4)
    host.unload_all()


def test_the_plugin_colorizes_through_the_host(tmp_path, monkeypatch):
    host = _use_random_head_model(tmp_path, monkeypatch)
    info = pixcolor_backend.PixColorColorizer.info
    assert info.max_samples == 8 and info.has_temperature and 0 < info.default_temperature <= 1.0
    assert "samples" in {c.value for c in info.capabilities}
    backend = host.loaded("pixcolor", "cpu")
    lightness = np.random.default_rng(0).uniform(0, 100, (80, 100)).astype(np.float32)

    def run(seed: int, samples: int = 3):
        options, _ = build_options(backend.info, device="cpu", samples=samples, seed=seed, working_size=64)
        events = list(backend.colorize(lightness, options))
        fractions = [e.fraction for e in events if isinstance(e, Progress)]
        assert fractions == sorted(fractions) and len(fractions) > 8  # a progress event per grid row, then per sample
        return [e.ab for e in events if isinstance(e, Sample)]

    first, again, other = run(5), run(5), run(6)
    assert len(first) == 3 and all(ab.shape == (64, 80, 2) and ab.dtype == np.float32 for ab in first)
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not np.array_equal(first[1], first[2]) and not np.array_equal(first[0], other[0])

    # Cancelling mid-sampling (closing the generator at a yield) is clean; the backend runs again after.
    options, _ = build_options(backend.info, device="cpu", samples=8, seed=5, working_size=64)
    events = backend.colorize(lightness, options)
    for _ in range(3):
        next(events)
    events.close()
    assert np.array_equal(run(5)[0], first[0])
    host.unload_all()

