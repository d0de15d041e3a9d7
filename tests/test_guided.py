"""The guided backend: the regression network with a hint branch, ideepcolor's simulated hints,
its training task, and the plugin through the host.

Training runs use a few tiny synthetic photos written to tmp_path, so the file stays fast.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
from pathlib import Path

# Idle OpenMP threads must sleep, not spin, on a small shared machine (as `python -m training` sets).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from fakes import write_train_and_val  # noqa: E402

from plugins import Capability, ColorHint, Sample  # noqa: E402
from plugins.backends.common import shipped  # noqa: E402
from plugins.backends.guided import backend as guided_backend  # noqa: E402
from plugins.backends.guided.hints import rasterize_hints  # noqa: E402
from plugins.backends.guided.model import (  # noqa: E402
    HISTOGRAM_BINS, GuidedConfig, GuidedModel, ab_histogram, hint_summary, pool_hints, predict_ab, reference_histogram)
from plugins.backends.regression.model import RegressionConfig, RegressionModel  # noqa: E402
from plugins.host import PluginHost, build_options  # noqa: E402
from plugins.host.pipeline import colorize_samples, guidance_for  # noqa: E402
from plugins.testing import check_colorizer  # noqa: E402
from training import checkpoint, guided  # noqa: E402
from training.__main__ import main as training_main  # noqa: E402
from training.tasks import GuidedTask  # noqa: E402


@pytest.fixture(scope="module")
def photos(tmp_path_factory) -> Path:
    return write_train_and_val(tmp_path_factory.mktemp("guided_photos"), seed=2, train=8, val=3)


def _train_args(backend: str, photos: Path, out: Path, *extra: str) -> list[str]:
    return ["train", backend, "--data", str(photos / "train"), "--val", str(photos / "val"), "--out", str(out),
            "--size", "64", "--crop", "48", "--batch-size", "4", "--steps", "3", "--val-every", "3", "--log-every", "1",
            "--workers", "0", "--no-pretrained", "--no-progress", "--seed", "5", *extra]


def _random_regression(seed: int = 0) -> RegressionModel:
    """A regression model whose zero-initialized head is made to answer something that depends on L."""
    torch.manual_seed(seed)
    model = RegressionModel(RegressionConfig())
    with torch.no_grad():
        model.trunk.decoder.head.weight.normal_(0, 0.05)
        model.trunk.decoder.head.bias.copy_(torch.tensor([0.1, -0.05]))
    return model.eval()


# ---- the model -----------------------------------------------------------------------------


CONFIGS = {"decoder hints": {}, "hints into the encoder too": {"hint_input": True, "finetune_from": 0}}


@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
def test_at_step_0_the_guided_model_is_exactly_the_regression_model_it_starts_from(config):
    regression = _random_regression()
    model = GuidedModel(GuidedConfig(**config))
    GuidedTask(argparse.Namespace(prior=None, loss=None)).load_init_weights(model, regression.state_dict())
    model.eval()
    lightness = torch.rand(2, 1, 50, 70) * 100  # sides not a multiple of 32: the hint branch's sizes still fit
    hint_ab = torch.randn(2, 2, 50, 70) * 40
    mask = (torch.rand(2, 1, 50, 70) < 0.05).float()
    with torch.no_grad():
        expected = regression(lightness)
        assert expected.abs().max() > 1  # a model that answers something
        assert torch.equal(model(lightness, hint_ab * mask, mask), expected)
        assert torch.equal(model(lightness), expected)
    zeroed = (*model.hints.inject, model.hints.gate, model.hints.refiner.out,
              *([model.hints.encoder_input] if config else []))
    assert all(not p.any() for conv in zeroed for p in conv.parameters())


@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
def test_without_hints_a_trained_hint_branch_leaves_the_trunks_answer_alone(config):
    regression = _random_regression()
    model = GuidedModel(GuidedConfig(**config))
    GuidedTask(argparse.Namespace(prior=None, loss=None)).load_init_weights(model, regression.state_dict())
    with torch.no_grad():
        for p in model.hints.parameters():  # as after training: every weight nonzero
            p.copy_(torch.randn(p.shape, generator=torch.Generator().manual_seed(p.numel())) * 0.1)
    model.eval()
    lightness = torch.rand(2, 1, 48, 64) * 100
    mask = torch.zeros(2, 1, 48, 64)
    mask[1, :, 20:24, 30:34] = 1  # the second photo has one hint, the first none
    hint_ab = mask.repeat(1, 2, 1, 1) * 50
    with torch.no_grad():
        expected = regression(lightness)
        out = model(lightness, hint_ab, mask)
        assert torch.equal(out[0], expected[0]) and torch.equal(model(lightness), expected)
        assert not torch.allclose(out[1], expected[1])  # the hinted photo does change


def test_the_blend_pulls_toward_the_hints_near_them_and_is_off_without_hints():
    model = GuidedModel(GuidedConfig())
    GuidedTask(argparse.Namespace(prior=None, loss=None)).load_init_weights(model, _random_regression().state_dict())
    model.eval()
    lightness = torch.rand(1, 1, 96, 96) * 100
    hint_ab, mask = torch.zeros(1, 2, 96, 96), torch.zeros(1, 1, 96, 96)
    mask[..., 46:51, 20:25] = 1  # one 5×5 hint
    hint_ab[:, 0], hint_ab[:, 1] = 40.0 * mask[:, 0], -30.0 * mask[:, 0]
    with torch.no_grad():
        plain = model(lightness)
        model.hints.gate.bias.copy_(torch.tensor([1.0, 0.0, 0.0]))  # the local field (8 px) fully trusted
        assert torch.equal(model(lightness), plain)  # no hint behind any field: no pull, whatever the gates
        guided = model(lightness, hint_ab, mask)
    near = guided[0, :, 40:56, 16:28]
    torch.testing.assert_close(near, torch.tensor([40.0, -30.0])[:, None, None].expand_as(near))
    reach = (20 + 2 * 8 + 4) * 2  # the field's 2σ (16 cells = 64 px), a cell, the upsampling: within ~80 px
    assert torch.equal(guided[..., :, reach:], plain[..., :, reach:])


def _propagating_model(trained: bool) -> tuple[GuidedModel, RegressionModel]:
    regression = _random_regression()
    model = GuidedModel(GuidedConfig(propagate=True))
    GuidedTask(argparse.Namespace(prior=None, loss=None)).load_init_weights(model, regression.state_dict())
    if trained:
        with torch.no_grad():
            for p in model.hints.parameters():
                p.copy_(torch.randn(p.shape, generator=torch.Generator().manual_seed(p.numel())) * 0.1)
    return model.eval(), regression


def test_a_propagating_model_starts_from_the_hosts_propagation_and_leaves_unhinted_photos_alone():
    import torch.nn.functional as F

    from plugins.host.hints import propagate_targets

    model, regression = _propagating_model(trained=False)
    lightness = torch.zeros(2, 1, 64, 64)
    lightness[..., 32:, :] = 90.0  # two flat halves: a hint in the top one spreads there and stops at the edge
    mask = torch.zeros(2, 1, 64, 64)
    mask[1, :, 10:14, 20:24] = 1  # the second photo has one hint, the first none
    hint_ab = torch.cat([mask * 50, mask * -20], dim=1)
    with torch.no_grad():
        expected = regression(lightness)
        out = model(lightness, hint_ab, mask)
        assert torch.equal(out[0], expected[0]) and torch.equal(model(lightness), expected)
        # as built: the trunk's answer plus the propagation's change, solved on the stride-2 grid
        decoded = F.interpolate(expected, size=(16, 16), mode="area")  # the trunk's stride-4 answer, near enough
        fine = F.interpolate(regression.trunk.decode(regression.trunk.encode(lightness), lightness) * 110.0,
                             scale_factor=2, mode="bilinear", align_corners=False)[1].permute(1, 2, 0).numpy()
    assert decoded.shape[-1] == 16
    cells = np.zeros((32, 32), bool)
    cells[5:7, 10:12] = True
    target = np.broadcast_to(np.array([50.0, -20.0], np.float32), (32, 32, 2))
    spread = propagate_targets(np.where(np.arange(32)[:, None] >= 16, 90.0, 0.0).repeat(32, 1).astype(np.float32),
                               fine, cells, target)
    change = torch.from_numpy(spread - fine).permute(2, 0, 1)[None]
    torch.testing.assert_close(out[1:], expected[1:] + F.interpolate(change, size=(64, 64), mode="bilinear",
                                                                      align_corners=False), atol=1e-3, rtol=0)
    top, bottom = out[1, :, 2:26, :] - expected[1, :, 2:26, :], out[1, :, 40:, :] - expected[1, :, 40:, :]
    assert top[0].mean() > 10 * bottom[0].abs().mean() and top[0].mean() > 5  # spread over its half, not across L's edge
    torch.testing.assert_close(out[1, :, 11, 21], torch.tensor([50.0, -20.0]), atol=2.0, rtol=0)


def test_a_trained_propagating_model_corrects_hinted_photos_only():
    model, regression = _propagating_model(trained=True)
    lightness = torch.rand(2, 1, 48, 64) * 100
    mask = torch.zeros(2, 1, 48, 64)
    mask[1, :, 20:24, 30:34] = 1
    hint_ab = mask.repeat(1, 2, 1, 1) * 50
    untrained, _ = _propagating_model(trained=False)
    with torch.no_grad():
        out = model(lightness, hint_ab, mask)
        assert torch.equal(out[0], regression(lightness)[0])
        assert not torch.allclose(out[1], untrained(lightness, hint_ab, mask)[1])  # the refiner's correction


def _blurred_edge(n: int, size: int = 64) -> torch.Tensor:
    """``n`` photos of two halves, 0 and 25 L*, with a ramp of 5 px between them: a soft outline."""
    rows = torch.arange(size, dtype=torch.float32)
    column = ((rows - size / 2 + 2.5) / 5).clamp(0, 1) * 25.0
    return column[:, None].expand(size, size).expand(n, 1, size, size).clone()


def test_the_learnt_links_gradient_is_the_adjoints_and_matches_finite_differences():
    from plugins.backends.guided.affinity import _Solve

    rng = np.random.default_rng(0)
    rows = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0, 2, 4])
    cols = np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 5, 7, 9])
    data = rng.uniform(0.01, 0.1, 12)
    fixed = np.zeros(12, bool)
    fixed[[0, 7]] = True
    delta = np.zeros((12, 2))
    delta[0], delta[7] = (3.0, -1.0), (-2.0, 4.0)
    weights = torch.tensor(rng.uniform(0.2, 1.0, rows.size), dtype=torch.float64, requires_grad=True)
    upstream = torch.randn(12, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(1))

    def loss(w: torch.Tensor) -> torch.Tensor:
        return (_Solve.apply(w, rows, cols, data, fixed, delta) * upstream).sum()

    loss(weights).backward()
    numeric = []
    for k in range(rows.size):
        step = torch.zeros_like(weights)
        step[k] = 1e-6
        numeric.append((loss(weights.detach() + step) - loss(weights.detach() - step)).item() / 2e-6)
    np.testing.assert_allclose(weights.grad.numpy(), numeric, rtol=1e-4, atol=1e-6)
    assert np.abs(numeric).max() > 0.1


def test_learnt_links_close_where_the_embedding_changes_and_open_where_it_agrees():
    from plugins.backends.guided.affinity import spread_with

    # two halves, 0 and 20 L*, joined by a 2-cell ramp: the host's links stop a hint there, Levin's let it climb
    lightness = np.repeat(np.clip((np.arange(24, dtype=np.float32) - 11) / 2, 0, 1)[:, None] * 20, 24, axis=1)
    mask = np.zeros((24, 24), bool)
    mask[4, 4] = True
    target = np.zeros((24, 24, 2), np.float32)
    target[4, 4] = (40.0, 20.0)
    ab = np.zeros((24, 24, 2), np.float32)
    alike, apart = torch.zeros(4, 24, 24), torch.zeros(4, 24, 24)
    apart[0, 12:] = 5.0  # the embedding says the lower half is another object
    opening = torch.tensor(6.0)
    spread_alike, open_alike = spread_with(alike, opening, lightness, ab, mask, target)
    spread_apart, open_apart = spread_with(apart, opening, lightness, ab, mask, target)
    assert 0.99 < open_alike <= 1 and open_apart < open_alike  # the share of links opened to Levin's
    assert spread_alike[0, 16:].mean() > 8  # one object: the hint climbs the ramp
    assert spread_apart[0, :10].mean() > 30 and spread_apart[0, 16:].abs().max() < 2  # two: it stops, as the host's
    unhinted, openness = spread_with(alike, opening, lightness, ab, np.zeros_like(mask), target)
    assert torch.equal(unhinted, torch.zeros(2, 24, 24)) and openness == 0

    # A limit: beyond the ramp only the first 5 ab of the hint's change arrive (the learnt links'
    # share, shrunk with distance); on its own side the hint is whole, and its direction kept.
    limited, _ = spread_with(alike, opening, lightness, ab, mask, target, limit=5.0)
    assert limited[:, 16:].norm(dim=0).max() < 5.0 < spread_alike[:, 16:].norm(dim=0).max()
    torch.testing.assert_close(limited[:, 4, 4], torch.tensor([40.0, 20.0]))
    torch.testing.assert_close(limited[0, 16:], 2 * limited[1, 16:])
    assert limited[1, 16:].min() > 0.5
    huge, _ = spread_with(alike, opening, lightness, ab, mask, target, limit=1e6)
    torch.testing.assert_close(huge, spread_alike)


def test_a_spread_limit_splits_a_change_by_its_size_and_keeps_its_direction():
    from plugins.backends.guided.affinity import split_change

    delta = np.array([[30.0, 40.0], [3.0, -4.0], [0.0, 0.0]])
    learnt, host = split_change(delta, 10.0)
    np.testing.assert_allclose(learnt, [[6.0, 8.0], [3.0, -4.0], [0.0, 0.0]])
    np.testing.assert_allclose(learnt + host, delta)
    unlimited, nothing = split_change(delta, None)
    assert unlimited is delta and not nothing.any()


def test_reach_0_spreads_hints_as_the_host_does_and_the_default_further():
    regression = _random_regression()
    learnt = GuidedModel(GuidedConfig(propagate=True, learned_affinity=True, learned_spread_limit=40.0))
    strict = GuidedModel(GuidedConfig(propagate=True))
    for model in (learnt, strict):
        GuidedTask(argparse.Namespace(prior=None, loss=None)).load_init_weights(model, regression.state_dict())
    with torch.no_grad():  # an affinity head that opens every link: the embedding is flat, the opening high
        learnt.hints.affinity.body[-1].weight.zero_()
        learnt.hints.affinity.opening.fill_(8.0)
    lightness = _blurred_edge(1)[0, 0].numpy()
    mask = np.zeros((64, 64), np.float32)
    mask[8:12, 30:34] = 1
    hint_ab = np.stack([mask * 60, mask * 40], axis=-1)
    host = predict_ab(strict, lightness, hint_ab, mask)
    np.testing.assert_allclose(predict_ab(learnt, lightness, hint_ab, mask, reach=0.0), host, atol=1e-4)
    further = predict_ab(learnt, lightness, hint_ab, mask)
    assert np.abs(further - host)[48:].mean() > 1.0  # beyond the blurred edge, the learnt links carry it


def test_reach_scales_the_limit_and_0_closes_the_learnt_links_even_without_one():
    from plugins.backends.guided.model import reach_limit

    assert reach_limit(40.0, 0.5) == 20.0 and reach_limit(40.0, 0.0) == 0.0
    assert reach_limit(None, 0.0) == 0.0 and reach_limit(None, 1.5) is None
    with pytest.raises(ValueError, match="learned_spread_limit"):
        GuidedModel(GuidedConfig(propagate=True, learned_spread_limit=20.0))
    with pytest.raises(ValueError, match="learned_spread_hints"):
        GuidedModel(GuidedConfig(propagate=True, learned_affinity=True, learned_spread_hints=8.0))
    with pytest.raises(ValueError, match="learned_spread_spot"):
        GuidedModel(GuidedConfig(propagate=True, learned_affinity=True, learned_spread_limit=20.0, learned_spread_spot=0.1))


def test_the_learnt_links_share_grows_with_the_number_of_hints():
    from plugins.backends.guided.model import spread_limit

    mask = np.zeros((20, 20), bool)
    mask[2:4, 2:4] = True  # one hint of four cells
    assert spread_limit(mask, 40.0, 8.0) == pytest.approx(40 / 9)
    mask[10, 10] = mask[15, 3] = mask[3, 15] = True
    assert spread_limit(mask, 40.0, 8.0) == pytest.approx(40 * 4 / 12)
    assert spread_limit(mask, 40.0, None) == 40.0 and spread_limit(mask, None, 8.0) is None
    # With a spot of 1/5 of the short side (4 cells), the hints 4 cells apart count as one, those far apart not.
    clicks = np.zeros((20, 20), bool)
    clicks[2, 2] = clicks[2, 6] = clicks[5, 4] = clicks[17, 17] = True
    assert spread_limit(clicks, 40.0, 8.0) == pytest.approx(40 * 4 / 12)
    assert spread_limit(clicks, 40.0, 8.0, spot=0.2) == pytest.approx(40 * 2 / 10)


def test_a_model_with_learnt_links_leaves_unhinted_photos_alone_and_its_head_learns_from_hints():
    regression = _random_regression()
    model = GuidedModel(GuidedConfig(propagate=True, learned_affinity=True))
    GuidedTask(argparse.Namespace(prior=None, loss=None)).load_init_weights(model, regression.state_dict())
    model.freeze_trunk()
    model.train()
    lightness = _blurred_edge(2)
    mask = torch.zeros(2, 1, 64, 64)
    mask[1, :, 8:12, 30:34] = 1
    hint_ab = torch.cat([mask * 60, mask * 40], dim=1)
    out = model(lightness, hint_ab, mask)
    with torch.no_grad():
        assert torch.equal(out[0], regression(lightness)[0])
    truth = torch.zeros_like(out)
    truth[1, 0, :32], truth[1, 1, :32] = 60.0, 40.0  # the hint's half is the hint's color, the other half gray
    ((out - truth) ** 2).mean().backward()
    head = model.hints.affinity
    assert head.body[-1].weight.grad.abs().sum() > 0 and head.opening.grad is not None
    with pytest.raises(ValueError, match="needs propagate"):
        GuidedModel(GuidedConfig(learned_affinity=True))


def test_propagate_targets_pins_the_targets_and_spreads_within_even_lightness():
    from plugins.host.hints import propagate_targets

    lightness = np.zeros((20, 30), np.float32)
    lightness[:, 15:] = 80.0
    mask = np.zeros((20, 30), bool)
    mask[10, 5] = True
    target = np.zeros((20, 30, 2), np.float32)
    target[10, 5] = (40.0, 10.0)
    ab = np.full((20, 30, 2), 5.0, np.float32)
    out = propagate_targets(lightness, ab, mask, target)
    assert tuple(out[10, 5]) == (40.0, 10.0) and out.dtype == np.float32 and out.shape == ab.shape
    assert out[:, :15, 0].mean() > 30 and abs(out[:, 16:, 0].mean() - 5.0) < 3  # stops at the edge
    assert np.array_equal(propagate_targets(lightness, ab, np.zeros_like(mask), target), ab)
    with pytest.raises(ValueError):
        propagate_targets(lightness, ab[:10], mask, target)


def test_ab_histogram_counts_each_photos_share_of_pixels_per_bin():
    ab = torch.zeros(2, 2, 4, 4)
    ab[0, 0, :2], ab[0, 1, :2] = 109.0, -109.0  # half the first photo: the last a bin, the first b bin
    ab[0, :, 3, 3] = torch.tensor([500.0, -500.0])  # beyond the range: the outermost bins take it
    ab[1, 0] = -14.0  # a = -14 → bin floor((110 - 14) / 13.75) = 6; b = 0 → bin 8
    histogram = ab_histogram(ab)
    assert histogram.shape == (2, HISTOGRAM_BINS**2)
    torch.testing.assert_close(histogram.sum(dim=1), torch.ones(2))
    assert histogram[0, 15 * 16 + 0] == pytest.approx(9 / 16) and histogram[0, 8 * 16 + 8] == pytest.approx(7 / 16)
    assert histogram[1, 6 * 16 + 8] == 1.0
    lab = np.zeros((4, 4, 3), np.float32)
    lab[..., 1] = -14.0
    np.testing.assert_array_equal(reference_histogram(lab), histogram[1].numpy())
    assert reference_histogram(None) is None


def test_a_reference_alone_changes_a_trained_model_and_its_absence_leaves_the_trunk():
    regression = _random_regression()
    model = GuidedModel(GuidedConfig())
    GuidedTask(argparse.Namespace(prior=None, loss=None)).load_init_weights(model, regression.state_dict())
    with torch.no_grad():
        for p in model.hints.parameters():
            p.copy_(torch.randn(p.shape, generator=torch.Generator().manual_seed(p.numel())) * 0.1)
    model.eval()
    lightness = torch.rand(2, 1, 48, 64) * 100
    reddish, bluish = torch.zeros(1, 2, 8, 8), torch.zeros(1, 2, 8, 8)
    reddish[:, 0], bluish[:, 1] = 60.0, -60.0
    histogram = torch.cat([torch.zeros(1, HISTOGRAM_BINS**2), ab_histogram(reddish)])  # only the second has one
    with torch.no_grad():
        expected = regression(lightness)
        out = model(lightness, histogram=histogram)
        other = model(lightness, histogram=torch.cat([ab_histogram(bluish), ab_histogram(bluish)]))
    assert torch.equal(out[0], expected[0])
    assert not torch.allclose(out[1], expected[1]) and not torch.allclose(out[1], other[1])  # which reference matters


def test_hints_given_to_the_encoder_reach_every_block_and_train_its_input():
    model = GuidedModel(GuidedConfig(hint_input=True, finetune_from=0))
    with torch.no_grad():
        model.hints.encoder_input.weight.normal_(0, 0.5)
    model.train()
    lightness = torch.rand(2, 1, 64, 64) * 100
    mask = torch.zeros(2, 1, 64, 64)
    mask[:, :, 30:34, 30:34] = 1
    hint_ab = mask.repeat(1, 2, 1, 1) * 60
    features, _ = model.trunk.encode(lightness, model.hints.encoder_input(torch.cat([hint_ab / 110, mask], 1)))
    plain, _ = model.trunk.encode(lightness)
    # down to stride 32 (relative: a random encoder with frozen BatchNorm shrinks its features block by block)
    assert all((f - g).abs().max() > 0.01 * g.abs().max() for f, g in zip(features, plain))
    features[-1].sum().backward()
    assert model.hints.encoder_input.weight.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="propagate"):
        GuidedModel(GuidedConfig(hint_input=True, propagate=True, finetune_from=0))


def test_mixed_precision_keeps_the_hint_fields_finite_and_the_hint_branch_learning():
    # Under float16 autocast the fields' blurs once ran in float16, their far weights underflowed and
    # every hinted batch's loss was NaN: a GPU run with --amp learnt nothing from its hints.
    torch.manual_seed(0)
    model = GuidedModel(GuidedConfig(hint_input=True, finetune_from=0)).train()
    with torch.no_grad():
        model.trunk.decoder.head.weight.normal_(0, 0.05)
    lightness, ab = torch.rand(4, 1, 64, 64) * 100, torch.randn(4, 2, 64, 64) * 20
    hint_ab, mask = guided.simulate_hints(ab, torch.Generator().manual_seed(1), placement="uniform")
    with torch.autocast("cpu", dtype=torch.float16):
        out = model(lightness, hint_ab, mask)
    loss = ((out.float() - ab) ** 2).mean()
    (loss / 2**16).backward()  # as a GradScaler would: this random encoder's float16 gradients overflow unscaled
    assert torch.isfinite(loss)
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)
    assert model.hints.refiner.out.weight.grad.abs().sum() > 0


def test_hint_input_without_the_whole_encoder_trained_is_a_one_line_error(photos, tmp_path, capsys):
    for extra in ((), ("--finetune-from", "0", "--freeze-trunk"), ("--finetune-from", "0", "--propagate")):
        with pytest.raises(SystemExit, match="--hint-input"):
            training_main(_train_args("guided", photos, tmp_path / "run", "--hint-input", *extra))


def test_learned_affinity_without_propagate_is_a_one_line_error(photos, tmp_path):
    with pytest.raises(SystemExit, match="give --propagate too"):
        training_main(_train_args("guided", photos, tmp_path / "run", "--learned-affinity"))


def test_init_from_weights_of_another_model_is_a_one_line_error():
    task = GuidedTask(argparse.Namespace(prior=None, loss=None))
    with pytest.raises(SystemExit, match="does not fit the guided model: 0 missing, 1 unexpected"):
        task.load_init_weights(GuidedModel(GuidedConfig()), {**GuidedModel(GuidedConfig()).state_dict(),
                                                             "class_weights": torch.ones(3)})
    with pytest.raises(SystemExit, match="does not fit the guided model"):
        task.load_init_weights(GuidedModel(GuidedConfig()), {"trunk.decoder.head.weight": torch.zeros(3, 3)})


def test_pooled_hints_keep_a_single_pixel_hint_whole():
    hint_ab, mask = torch.zeros(1, 2, 9, 10), torch.zeros(1, 1, 9, 10)
    mask[0, 0, 8, 9] = 1  # the bottom-right pixel: in the padded last cell
    hint_ab[0, :, 8, 9] = torch.tensor([55.0, -22.0])
    pooled = hint_summary(*pool_hints(hint_ab, mask))
    assert pooled.shape == (1, 4, 3, 3)
    torch.testing.assert_close(pooled[0, :2, 2, 2] * 110, torch.tensor([55.0, -22.0]))  # its ab, not diluted
    assert pooled[0, 2, 2, 2] == pytest.approx(1 / 16) and pooled[0, 3, 2, 2] == 1
    assert pooled[0, :, :2].abs().sum() == 0 and pooled[0, :, :, :2].abs().sum() == 0


# ---- rasterizing the user's hints ----------------------------------------------------------


def test_rasterizing_hints_scales_them_to_the_working_size():
    full, small = (100, 200), (32, 64)  # scale 0.32
    hints = (ColorHint(199, 99, (30.0, -40.0)),  # the bottom-right pixel, radius 0: one pixel
             ColorHint(100, 50, (10.0, 20.0), radius=10),  # a disc of radius 3.2 working px
             ColorHint(105, 50, (-5.0, 5.0), radius=3))  # overlaps the second: the later one wins there
    ab, mask = rasterize_hints(hints, full, small)
    assert ab.shape == (32, 64, 2) and mask.shape == (32, 64) and ab.dtype == mask.dtype == np.float32
    assert mask[31, 63] == 1 and tuple(ab[31, 63]) == (30.0, -40.0)
    cy, cx = (50 + 0.5) * 0.32 - 0.5, (100 + 0.5) * 0.32 - 0.5
    rows, cols = np.nonzero(mask[:, :50])
    assert np.all((rows - cy) ** 2 + (cols - cx) ** 2 <= 3.2**2 + 1e-6) and 25 <= len(rows) <= 37  # ~π·3.2²
    later = (ab[..., 0] == -5.0) & (mask == 1)
    assert later.any() and tuple(ab[round(cy), round((105 + 0.5) * 0.32 - 0.5)]) == (-5.0, 5.0)
    assert np.all(ab[mask == 0] == 0) and int(mask.sum()) == len(rows) + 1
    empty_ab, empty_mask = rasterize_hints((), full, small)
    assert not empty_ab.any() and not empty_mask.any() and empty_mask.shape == (32, 64)


# ---- simulated hints (ideepcolor) ----------------------------------------------------------


def test_simulated_hints_follow_ideepcolors_distributions():
    n, height, width = 20000, 400, 300
    patches = guided.draw_hint_patches(n, height, width, torch.Generator().manual_seed(0))
    counts = patches.counts.numpy()
    p = 1 / 8
    assert (counts == 0).mean() == pytest.approx(p, abs=0.01)  # photos with no hint at all
    assert counts.mean() == pytest.approx((1 - p) / p, abs=0.2)  # geometric: 7 on average
    for k in (1, 2, 5):
        assert (counts == k).mean() == pytest.approx((1 - p) ** k * p, abs=0.01)
    assert len(patches.photo) == counts.sum() and np.array_equal(np.bincount(patches.photo.numpy(), minlength=n), counts)
    sizes = patches.size.numpy()
    assert sizes.min() == 1 and sizes.max() == 9
    np.testing.assert_allclose(np.bincount(sizes, minlength=10)[1:] / len(sizes), 1 / 9, atol=0.005)
    for start, side in ((patches.top.numpy(), height), (patches.left.numpy(), width)):
        assert start.min() >= 0 and np.all(start + sizes <= side)
        room = side - sizes + 1
        z = (start + 0.5 - room / 2) / (room / 4)  # in σ of ideepcolor's N((S - P + 1) / 2, (S - P + 1) / 4)
        assert np.median(z) == pytest.approx(0, abs=0.02)
        assert (np.abs(z) < 1).mean() == pytest.approx(0.6827, abs=0.01)
        assert (start == 0).mean() == pytest.approx(0.0228, abs=0.004)  # clipped at the edge beyond 2σ
    again = guided.draw_hint_patches(n, height, width, torch.Generator().manual_seed(0))
    assert all(torch.equal(a, b) for a, b in zip(dataclasses.astuple(patches), dataclasses.astuple(again)))


def test_uniform_hint_placement_covers_the_photo_alike_with_the_same_counts_and_sizes():
    n, height, width = 20000, 400, 300
    centred = guided.draw_hint_patches(n, height, width, torch.Generator().manual_seed(0))
    patches = guided.draw_hint_patches(n, height, width, torch.Generator().manual_seed(0), placement="uniform")
    assert torch.equal(patches.counts, centred.counts) and torch.equal(patches.size, centred.size)
    sizes = patches.size.numpy()
    for start, side in ((patches.top.numpy(), height), (patches.left.numpy(), width)):
        assert start.min() == 0 and np.all(start + sizes <= side) and np.any(start + sizes == side)
        fraction = (start + 0.5) / (side - sizes + 1)  # uniform on (0, 1)
        np.testing.assert_allclose(np.histogram(fraction, bins=4, range=(0, 1))[0] / len(fraction), 0.25, atol=0.01)
    with pytest.raises(ValueError):
        guided.draw_hint_patches(2, 10, 10, placement="corners")


def test_simulated_hints_carry_the_mean_ab_of_their_patch():
    ab = torch.randn(64, 2, 40, 30, generator=torch.Generator().manual_seed(1)) * 30
    generator = torch.Generator().manual_seed(2)
    hint_ab, mask = guided.simulate_hints(ab, generator)
    patches = guided.draw_hint_patches(64, 40, 30, torch.Generator().manual_seed(2))
    assert hint_ab.shape == ab.shape and mask.shape == (64, 1, 40, 30)
    assert set(mask.unique().tolist()) <= {0.0, 1.0} and torch.all(hint_ab[mask.expand_as(hint_ab) == 0] == 0)
    none = patches.counts == 0
    assert none.any() and not mask[none].any() and mask[~none].flatten(1).any(1).all()
    last = {}  # each photo's last patch is painted over no other
    for k, i in enumerate(patches.photo.tolist()):
        last[i] = k
    for i, k in list(last.items())[:20]:
        y, x, s = patches.top[k], patches.left[k], patches.size[k]
        torch.testing.assert_close(hint_ab[i, :, y, x], ab[i, :, y : y + s, x : x + s].mean(dim=(1, 2)))
        assert mask[i, 0, y : y + s, x : x + s].all()


def test_hints_painted_in_one_pass_match_painting_them_one_by_one():
    ab = torch.randn(48, 2, 37, 29, generator=torch.Generator().manual_seed(5)) * 30
    patches = guided.draw_hint_patches(48, 37, 29, torch.Generator().manual_seed(6), p=1 / 12, placement="uniform")
    assert len(set(patches.photo.tolist())) < 48 and patches.photo.numel() > 200  # overlaps, photos without hints
    expected_ab, expected_mask = torch.zeros_like(ab), torch.zeros_like(ab[:, :1])
    for i, y, x, s in zip(*(t.tolist() for t in (patches.photo, patches.top, patches.left, patches.size))):
        expected_ab[i, :, y : y + s, x : x + s] = ab[i, :, y : y + s, x : x + s].mean(dim=(1, 2), keepdim=True)
        expected_mask[i, :, y : y + s, x : x + s] = 1.0
    hint_ab, mask = guided.paint_hints(ab, patches)
    assert torch.equal(mask, expected_mask)
    torch.testing.assert_close(hint_ab, expected_ab, atol=1e-4, rtol=0)
    empty = guided.draw_hint_patches(3, 8, 8, torch.Generator().manual_seed(0), p=0.999999)
    assert empty.photo.numel() == 0 and not guided.paint_hints(ab[:3, :, :8, :8], empty)[1].any()


def _two_objects(chroma_left: float = 40.0) -> torch.Tensor:
    """Two photos of 20×30 px: a left object of one color, a right one of another, a little texture."""
    ab = torch.zeros(2, 2, 20, 30)
    ab[:, 0, :, :15], ab[:, 1, :, :15] = chroma_left, 5.0
    ab[:, 0, :, 15:], ab[:, 1, :, 15:] = -30.0, 30.0
    return ab + torch.randn(ab.shape, generator=torch.Generator().manual_seed(0))


def test_a_recoloring_hint_repaints_its_object_keeps_its_texture_and_leaves_the_rest():
    ab = _two_objects()
    one_hint = torch.ones(2, dtype=torch.long)
    patches = guided.HintPatches(photo=torch.arange(2), top=torch.tensor([8, 8]), left=torch.tensor([3, 20]),
                                 size=torch.tensor([3, 3]), counts=one_hint)
    recolored = guided.recolor_objects(ab, patches, p=1.0, generator=torch.Generator().manual_seed(1))
    for photo, (inside, outside) in enumerate([(slice(0, 15), slice(15, 30)), (slice(15, 30), slice(0, 15))]):
        assert torch.equal(recolored[photo, :, :, outside], ab[photo, :, :, outside])
        shift = recolored[photo, :, :, inside] - ab[photo, :, :, inside]
        assert shift.abs().mean() > 5  # a new color, by one offset over the whole object
        torch.testing.assert_close(shift, shift[:, :1, :1].expand_as(shift))
        low, high = guided.RECOLOR_CHROMA
        new_chroma = recolored[photo, :, 2:-2, inside].mean(dim=(1, 2)).norm()
        assert low - 2 < new_chroma < high + 2
    hint_ab, mask = guided.paint_hints(recolored, patches)
    torch.testing.assert_close(hint_ab[0, :, 9, 4], recolored[0, :, 8:11, 3:6].mean(dim=(1, 2)))
    assert torch.equal(guided.recolor_objects(ab, patches, p=0.0), ab)


def test_with_recolor_the_training_step_compares_with_the_recolored_truth_its_hints_carry():
    ab = _two_objects().repeat(16, 1, 1, 1)
    lightness = torch.full((32, 1, 20, 30), 50.0)
    task = GuidedTask(argparse.Namespace(prior=None, loss=None, recolor=1.0, hint_placement="uniform"))
    torch.manual_seed(3)
    patches = guided.draw_hint_patches(32, 20, 30, placement="uniform")
    torch.manual_seed(3)
    (_, hint_ab, mask, _), target = task.train_batch(lightness, ab)
    changed = (target != ab).flatten(1).any(1)
    assert changed.sum() >= 16  # every photo with a hint (7 in 8) recolors its first hint's object
    assert torch.equal(changed, patches.counts > 0)
    expected_ab, expected_mask = guided.paint_hints(target, patches)  # the recolored truth's, not the photo's own
    assert torch.equal(mask, expected_mask)
    torch.testing.assert_close(hint_ab, expected_ab)
    assert not torch.allclose(hint_ab, guided.paint_hints(ab, patches)[0])
    plain = GuidedTask(argparse.Namespace(prior=None, loss=None, hint_placement="uniform"))
    assert plain.train_batch(lightness, ab)[1] is ab


def test_a_hint_on_a_grayish_place_recolors_nothing():
    ab = _two_objects(chroma_left=3.0)
    ab[:, 1, :, :15] = 0.0
    patches = guided.HintPatches(photo=torch.tensor([0]), top=torch.tensor([8]), left=torch.tensor([3]),
                                 size=torch.tensor([3]), counts=torch.tensor([1, 0]))
    assert torch.equal(guided.recolor_objects(ab, patches, p=1.0), ab)


def test_one_photo_in_four_gets_its_own_histogram_as_the_global_hint():
    ab = torch.randn(400, 2, 6, 5, generator=torch.Generator().manual_seed(0)) * 40
    histogram = guided.simulate_global_hints(ab, torch.Generator().manual_seed(1))
    given = histogram.sum(dim=1) > 0
    assert given.float().mean() == pytest.approx(guided.GLOBAL_HINT_P, abs=0.06)
    torch.testing.assert_close(histogram[given], ab_histogram(ab[given]))
    assert not histogram[~given].any()


def test_validation_hints_fall_where_eval_puts_them():
    from plugins.color import split_lab, srgb_to_lab
    from training.evaluate import draw_hints

    rng = np.random.default_rng(3)
    truth = (rng.random((2, 48, 56, 3)) * 255).astype(np.uint8)
    lab = [split_lab(srgb_to_lab(t / 255.0)) for t in truth]
    lightness = torch.from_numpy(np.stack([l for l, _ in lab]))[:, None]
    ab = torch.from_numpy(np.stack([c for _, c in lab])).permute(0, 3, 1, 2)
    validation = guided.HintedValidation(count=4, seed=7)
    _, hint_ab, mask = validation(lightness[:1], ab[:1])
    _, hint_ab2, mask2 = validation(lightness[1:], ab[1:])  # the second batch: photo number 1
    for number, (m, h) in enumerate(((mask, hint_ab), (mask2, hint_ab2))):
        hints = draw_hints(truth[number], 4, np.random.default_rng([7, number]))
        for hint in hints:
            assert m[0, 0, int(hint.y), int(hint.x)] == 1
        last = hints[-1]
        np.testing.assert_allclose(h[0, :, int(last.y), int(last.x)].numpy(), last.ab, atol=0.6)  # through 8-bit sRGB
        assert int(m.sum()) <= 4 * 13  # discs of radius 2: 13 px each


# ---- training, export and the plugin through the host --------------------------------------


def test_train_from_regression_weights_then_export_and_colorize_through_the_host(photos, tmp_path, monkeypatch):
    from safetensors.torch import load_file

    regression_run = tmp_path / "regression"
    assert training_main(_train_args("regression", photos, regression_run, "--steps", "2")) == 0
    regression_weights = tmp_path / "models" / "regression"
    assert training_main(["export", str(regression_run), "--to", str(regression_weights), "--checkpoint", "last"]) == 0
    regression_weights = regression_weights.with_suffix(".safetensors")

    # --init-from the regression weights at lr 0: the trunk is still theirs, the hint branch at zero.
    frozen = tmp_path / "frozen"
    assert training_main(_train_args("guided", photos, frozen, "--steps", "1", "--lr", "0",
                                     "--init-from", str(regression_weights))) == 0
    started = checkpoint.load(frozen / "last.pt")["model"]
    trunk = {k: v for k, v in load_file(str(regression_weights)).items() if "running_" not in k and "num_batches" not in k}
    assert len(trunk) > 100 and all(torch.equal(started[k].half(), v) for k, v in trunk.items())
    assert all(not started[k].any() for k in started if k.startswith("hints.inject."))

    # --freeze-trunk: only the hint branch learns; weights and BatchNorm statistics stay the regression's.
    kept = tmp_path / "kept"
    assert training_main(_train_args("guided", photos, kept, "--init-from", str(regression_weights), "--freeze-trunk")) == 0
    trained = checkpoint.load(kept / "last.pt")
    assert trained["args"]["freeze_trunk"] and trained["step"] == 3
    regression_state = load_file(str(regression_weights))
    assert all(torch.equal(trained["model"][k].half(), v) for k, v in regression_state.items() if k.startswith("trunk."))
    assert any(trained["model"][k].any() for k in trained["model"] if k.startswith("hints.inject."))

    # --learned-affinity --gate-penalty: the penalty is logged, and refused without learnt links.
    penalised = tmp_path / "penalised"
    assert training_main(_train_args("guided", photos, penalised, "--init-from", str(regression_weights), "--freeze-trunk",
                                     "--propagate", "--learned-affinity", "--gate-penalty", "0.01", "--steps", "2")) == 0
    logged = (penalised / "log.csv").read_text()
    assert "link_openness=" in logged and checkpoint.load(penalised / "last.pt")["args"]["gate_penalty"] == 0.01
    with pytest.raises(SystemExit, match="--gate-penalty"):
        training_main(_train_args("guided", photos, tmp_path / "refused", "--propagate", "--gate-penalty", "0.01"))

    # --recolor and --learned-spread-limit: recorded in the run and the model's config; nonsense refused.
    recoloring = tmp_path / "recoloring"
    assert training_main(_train_args("guided", photos, recoloring, "--init-from", str(regression_weights), "--freeze-trunk",
                                     "--propagate", "--learned-affinity", "--recolor", "1", "--learned-spread-limit", "20",
                                     "--learned-spread-hints", "8", "--learned-spread-spot", "0.1", "--steps", "2")) == 0
    recolored = checkpoint.load(recoloring / "last.pt")
    assert recolored["args"]["recolor"] == 1.0 and recolored["model_args"]["config"]["learned_spread_limit"] == 20.0
    assert recolored["model_args"]["config"]["learned_spread_hints"] == 8.0
    assert recolored["model_args"]["config"]["learned_spread_spot"] == 0.1
    assert "--learned-spread-limit 20.0 --learned-spread-hints 8.0 --learned-spread-spot 0.1 --recolor 1.0" in \
        recolored["runs"][-1]["settings"]
    assert training_main(_train_args("guided", photos, recoloring, "--init-from", str(regression_weights),
                                     "--resume", "--steps", "3")) == 0  # a resume keeps them, unsaid
    resumed = checkpoint.load(recoloring / "last.pt")
    assert resumed["args"]["recolor"] == 1.0 and resumed["args"]["learned_spread_limit"] == 20.0
    with pytest.raises(SystemExit, match="--recolor"):
        training_main(_train_args("guided", photos, tmp_path / "refused", "--recolor", "2"))
    with pytest.raises(SystemExit, match="--learned-spread-limit"):
        training_main(_train_args("guided", photos, tmp_path / "refused", "--propagate", "--learned-spread-limit", "20"))
    with pytest.raises(SystemExit, match="--learned-spread-hints"):
        training_main(_train_args("guided", photos, tmp_path / "refused", "--propagate", "--learned-affinity",
                                  "--learned-spread-hints", "8"))

    # --propagate: the model starts from the host's propagation; its config says so, and a resume keeps it.
    propagating = tmp_path / "propagating"
    assert training_main(_train_args("guided", photos, propagating, "--init-from", str(regression_weights),
                                     "--freeze-trunk", "--propagate", "--hint-placement", "uniform", "--steps", "2")) == 0
    assert training_main(_train_args("guided", photos, propagating, "--init-from", str(regression_weights),
                                     "--freeze-trunk", "--propagate", "--hint-placement", "uniform", "--resume")) == 0
    resumed = checkpoint.load(propagating / "last.pt")
    assert resumed["model_args"]["config"]["propagate"] is True and resumed["step"] == 3
    assert "--propagate" in resumed["runs"][-1]["command"] and "--hint-placement uniform" in resumed["runs"][-1]["settings"]
    assert any(resumed["model"][k].any() for k in resumed["model"] if k.startswith("hints.refiner.out."))
    assert all(not resumed["model"][k].any() for k in resumed["model"] if k.startswith("hints.inject."))  # unused

    run = tmp_path / "guided"
    assert training_main(_train_args("guided", photos, run, "--init-from", str(regression_weights))) == 0
    header, *rows = (run / "log.csv").read_text().splitlines()
    last = dict(zip(header.split(","), rows[-1].split(",")))
    assert last["step"] == "3" and float(last["val_psnr"]) > 0
    extra = dict(item.split("=") for item in last["val_extra"].split())
    assert float(extra["hints10_psnr"]) > 0 and (run / "samples_step0000003_hints10.png").exists()
    ckpt = checkpoint.load(run / "best.pt")
    assert ckpt["best_psnr"] == pytest.approx((float(last["val_psnr"]) + float(extra["hints10_psnr"])) / 2, abs=1e-3)
    assert any(ckpt["model"][k].any() for k in ckpt["model"] if k.startswith("hints.inject."))  # it learnt something

    target = tmp_path / "models" / "guided"
    assert training_main(["export", str(run), "--to", str(target)]) == 0
    monkeypatch.setattr(shipped, "model_path", lambda name: target.parent / name)
    model = shipped.shipped_model("guided")
    colorizer = guided_backend.GuidedColorizer
    monkeypatch.setattr(guided_backend, "SHIPPED", model)
    monkeypatch.setattr(colorizer, "info", dataclasses.replace(colorizer.info, weights=(model.weights,)))
    assert Capability.HINTS in colorizer.info.capabilities and colorizer.info.sample_limit == 1
    check_colorizer(colorizer)  # the plugin contract, hints included

    host = PluginHost.discover([guided_backend], entry_points=False)
    assert host.weights_status(host.get("guided")).state == "verified"
    backend = host.loaded("guided", "cpu")
    lightness = np.random.default_rng(0).uniform(0, 100, (90, 120)).astype(np.float32)
    lightness[:, :60] = 30.0  # an even half and a busy one

    def run_backend(*hints: ColorHint) -> np.ndarray:
        options, _ = build_options(backend.info, device="cpu", working_size=64)
        options = dataclasses.replace(options, hints=hints)
        assert guidance_for(backend, lightness, options)[0].hints == hints  # the backend gets them, not the host
        [sample] = [e for e in colorize_samples(backend, lightness, options) if isinstance(e, Sample)]
        return sample.ab

    plain = run_backend()
    assert plain.shape == (64, 85, 2) and plain.dtype == np.float32 and np.isfinite(plain).all()
    hint = ColorHint(30, 45, (70.0, 60.0), radius=6)  # full-resolution px: (20.8, 31.7) at 64 px
    guided_ab = run_backend(hint)
    assert np.array_equal(run_backend(), plain)
    near = (slice(28, 36), slice(16, 26))
    assert np.abs(guided_ab - plain)[near].max() > 0.1  # the hint changes the colors around it,
    distance = lambda ab: np.linalg.norm(ab[near] - hint.ab, axis=-1).mean()  # noqa: E731
    assert distance(guided_ab) < distance(plain)  # toward its color

    def with_reference(reference: np.ndarray) -> np.ndarray:
        options, _ = build_options(backend.info, device="cpu", working_size=64)
        options = dataclasses.replace(options, reference=reference)
        assert guidance_for(backend, lightness, options)[1].reference is None  # the backend takes it, not the host
        [sample] = [e for e in colorize_samples(backend, lightness, options) if isinstance(e, Sample)]
        return sample.ab

    green = np.zeros((20, 30, 3), np.float32)
    green[..., 0], green[..., 1], green[..., 2] = 50.0, -60.0, 50.0
    assert Capability.REFERENCE in colorizer.info.capabilities
    assert not np.allclose(with_reference(green), plain)  # a trained run reads the reference's palette

    # With only the stride-4 injection on, the change is local and centred on the hint, scaled to working size.
    hints_branch = backend.instance.model.hints
    with torch.no_grad():
        hints_branch.gate.weight.zero_()
        hints_branch.gate.bias.zero_()
        hints_branch.refiner.out.weight.zero_()
        hints_branch.refiner.out.bias.zero_()
        for level, conv in enumerate(hints_branch.inject):
            if level < len(hints_branch.inject) - 1:
                conv.weight.zero_()
            else:
                conv.weight.normal_(0, 1.0, generator=torch.Generator().manual_seed(0))
    change = np.abs(run_backend(hint) - run_backend()).sum(-1)
    rows, cols = np.nonzero(change > 1e-6 * change.max())
    centre = ((rows.min() + rows.max()) / 2, (cols.min() + cols.max()) / 2)
    assert math.dist(centre, ((45 + 0.5) * 64 / 90 - 0.5, (30 + 0.5) * 85 / 120 - 0.5)) < 3
    assert rows.max() - rows.min() < 40 and cols.max() - cols.min() < 40  # beyond the layers' reach nothing moves
    host.unload_all()


def test_predict_ab_takes_numpy_hints_at_working_size():
    model = GuidedModel(GuidedConfig())
    with torch.no_grad():
        model.trunk.decoder.head.bias.copy_(torch.tensor([0.1, -0.2]))
    lightness = np.random.default_rng(0).uniform(0, 100, (45, 61)).astype(np.float32)
    ab = predict_ab(model, lightness, np.zeros((45, 61, 2), np.float32), np.zeros((45, 61), np.float32))
    assert ab.shape == (45, 61, 2) and ab.dtype == np.float32
    np.testing.assert_allclose(ab[..., 0], 11.0, atol=1e-3)  # zero head and injections: bias × ab_scale
    np.testing.assert_allclose(ab[..., 1], -22.0, atol=1e-3)


def test_a_reference_recolors_the_models_own_colors_and_the_hints_still_win_where_they_are():
    model, _ = _propagating_model(trained=False)
    lightness = np.full((64, 64), 30.0, np.float32)
    lightness[:, 32:] = 80.0  # a strong edge: the hint on the left stays there
    reference = np.zeros((32, 32, 3), np.float32)
    reference[..., 0] = np.linspace(20, 90, 32)[None, :]
    reference[..., 1:] = (-30.0, 40.0)  # green-yellow all over
    no_hints = np.zeros((64, 64, 2), np.float32), np.zeros((64, 64), np.float32)
    plain = predict_ab(model, lightness, *no_hints)
    recolored = predict_ab(model, lightness, *no_hints, reference=reference)
    assert np.abs(recolored - (-30.0, 40.0)).mean() < 3 < np.abs(plain - (-30.0, 40.0)).mean()
    hint_ab, mask = rasterize_hints([ColorHint(10, 10, (50.0, 10.0), radius=2)], (64, 64), (64, 64))
    hinted = predict_ab(model, lightness, hint_ab, mask, reference=reference)
    np.testing.assert_allclose(hinted[10, 10], (50.0, 10.0), atol=3)
    assert np.abs(hinted[:, 48:] - (-30.0, 40.0)).mean() < 5  # far from the hint: the reference's colors


def test_package_import_stays_free_of_torch():
    import subprocess
    import sys

    code = "import sys, plugins.backends.guided.backend; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[1], check=True, timeout=60)


def test_the_shipped_guided_model_colors_as_its_regression_trunk_and_its_hint_reach_scales_the_spread():
    from plugins.backends.common.shipped import shipped_model
    from plugins.backends.regression.model import RegressionConfig, RegressionModel, predict_ab
    from plugins.weights import load_state_dict

    host = PluginHost.discover()
    assert host.weights_status(host.get("guided")).state == "verified"
    guided_model = host.loaded("guided", "cpu")
    assert [option.name for option in guided_model.info.params] == ["reach"]
    lightness = np.ascontiguousarray(_blurred_edge(1, 96)[0, 0].numpy() + 30)  # 30 and 55 L*, a soft outline
    # The regression weights guided was trained on (its frozen trunk), whatever regression ships now.
    trunk = RegressionModel(RegressionConfig()).eval()
    state = load_state_dict(shipped_model("guided").weights)
    trunk.load_state_dict({k: v.float() for k, v in state.items() if k.startswith("trunk.")})

    def run(backend, reach: float | None = None, *hints: ColorHint) -> np.ndarray:
        options, _ = build_options(backend.info, device="cpu", working_size=96,
                                   params={} if reach is None else {"reach": reach})
        options = dataclasses.replace(options, hints=hints)
        [sample] = [e for e in colorize_samples(backend, lightness, options) if isinstance(e, Sample)]
        return sample.ab

    np.testing.assert_allclose(run(guided_model), predict_ab(trunk, lightness), atol=0.05)
    hints = [ColorHint(x, 10, (60.0, 50.0), radius=4) for x in (10, 30, 50, 70, 90)]  # agreeing, on the upper half
    plain = run(guided_model)
    beyond = [np.abs(run(guided_model, reach, *hints) - plain)[70:].mean() for reach in (0.0, 1.0, 2.0)]
    assert beyond[0] <= beyond[1] <= beyond[2] and beyond[2] > beyond[0] + 0.5
