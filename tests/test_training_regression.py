"""The EfficientNet-Lite0 encoder, the regression model, the losses and the training loop.

Training runs use a few tiny synthetic photos written to tmp_path, so the file stays fast.
"""

from __future__ import annotations

import math
import signal
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from fakes import interrupting_loss, run_torchrun, synthetic_color_photo
from plugins.backbones import EfficientNetLite0, load_pretrained_weights
from plugins.backends.regression.model import RegressionConfig, RegressionModel, predict_ab
from training import checkpoint, losses, runs
from training import train as train_module
from training.__main__ import main as training_main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def photos(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("photos")
    rng = np.random.default_rng(0)
    for split, count in (("train", 8), ("val", 3)):
        for i in range(count):
            rgb = synthetic_color_photo(rng, 64, 64) / 255.0
            rgb = np.clip(rgb + rng.normal(0, 0.03, rgb.shape), 0, 1)
            folder = root / split / ("nested" if i % 2 else "")
            folder.mkdir(parents=True, exist_ok=True)
            Image.fromarray((rgb * 255).astype(np.uint8)).save(folder / f"p{i}.png")
    (root / "train" / "broken.jpg").write_bytes(b"not a photo")
    return root


def _train_args(photos: Path, out: Path, *extra: str) -> list[str]:
    return ["train", "regression", "--data", str(photos / "train"), "--val", str(photos / "val"),
            "--out", str(out), "--size", "64", "--crop", "48", "--batch-size", "4", "--steps", "4",
            "--val-every", "2", "--log-every", "1", "--workers", "0", "--no-pretrained", "--no-progress",
            "--loss", "l2", "--seed", "3", *extra]


# ---- encoder -------------------------------------------------------------------------------


def test_encoder_loads_pretrained_weights_strictly():
    full = EfficientNetLite0(num_classes=1000)
    load_pretrained_weights(full)  # strict: every key of the .pth, nothing else
    trunk_only = EfficientNetLite0()
    load_pretrained_weights(trunk_only)
    assert not hasattr(trunk_only, "_fc")
    assert torch.equal(full._blocks[15]._project_conv.weight, trunk_only._blocks[15]._project_conv.weight)
    full.eval()
    with torch.no_grad():
        features, pooled = full(torch.zeros(2, 3, 64, 96))
        logits = full.classify(torch.randn(2, 3, 64, 96))
    assert [f.shape[1:] for f in features] == [
        (16, 32, 48), (24, 16, 24), (40, 8, 12), (112, 4, 6), (320, 2, 3)]
    assert pooled.shape == (2, 1280) and logits.shape == (2, 1000)
    assert torch.isfinite(logits).all() and logits.std() > 0.1


def test_encoder_bn_settings():
    bn = EfficientNetLite0()._bn0
    assert bn.eps == 1e-3 and bn.momentum == 0.01


# ---- model ---------------------------------------------------------------------------------


@pytest.mark.parametrize("finetune_from", [-1, 5, 0])
def test_regression_model_shapes_and_trainable_parts(finetune_from):
    model = RegressionModel(RegressionConfig(finetune_from=finetune_from))
    enc = model.trunk.encoder
    assert enc._blocks[0]._depthwise_conv.weight.requires_grad == (finetune_from == 0)
    assert enc._blocks[15]._project_conv.weight.requires_grad == (finetune_from >= 0)
    out = model.train()(torch.rand(2, 1, 50, 70) * 100)
    assert out.shape == (2, 2, 50, 70)
    out.square().mean().backward()
    assert model.trunk.decoder.head.weight.grad is not None
    assert not enc.training  # encoder BatchNorm statistics stay frozen


def test_predict_ab_is_pure_numpy_in_and_out():
    model = RegressionModel(RegressionConfig())
    with torch.no_grad():
        model.trunk.decoder.head.bias.copy_(torch.tensor([0.1, -0.2]))
    lightness = np.random.default_rng(0).uniform(0, 100, (45, 61)).astype(np.float32)
    ab = predict_ab(model, lightness)
    assert ab.shape == (45, 61, 2) and ab.dtype == np.float32
    np.testing.assert_allclose(ab[..., 0], 11.0, atol=1e-3)  # zero-initialized head: bias × ab_scale
    np.testing.assert_allclose(ab[..., 1], -22.0, atol=1e-3)


# ---- losses --------------------------------------------------------------------------------


def test_losses():
    a = torch.randn(2, 2, 32, 32) * 20
    for name, fn in losses.LOSSES.items():
        perfect, off = fn(a, a).item(), fn(a, a + 5).item()
        assert perfect == pytest.approx(math.log((losses.LOG_FLOOR / 110) ** 2) if name == "log_blurred" else 0.0)
        assert off > perfect
    const = torch.full((1, 2, 24, 24), 10.0)
    # Blurring leaves flat maps alone, so Dahl's loss equals plain L2 there.
    assert torch.allclose(losses.blurred(const, const + 3), losses.l2(const, const + 3))
    blurred = losses.gaussian_blur(a, 3.0)
    assert blurred.shape == a.shape and blurred.std() < a.std()
    # Smooth L1 is quadratic below its threshold and linear above it.
    small, big = losses.smooth_l1(const, const + 1), losses.smooth_l1(const, const + 22)
    assert small.item() == pytest.approx(0.5 * (1 / 110) ** 2 / (2 / 110))
    assert big.item() == pytest.approx((22 - 1) / 110)


def test_the_log_srgb_loss_is_minus_the_mean_psnr_of_the_photos_in_its_units():
    # Without the floor, −10·log10(e) = −10 / ln 10 · log(e) is each photo's PSNR (peak 1, float sRGB):
    # the loss times −10 / ln 10 is their mean, computed here from the host's own Lab → sRGB.
    from plugins.color import join_lab, lab_to_srgb

    rng = np.random.default_rng(1)
    lightness = rng.uniform(10, 90, (3, 1, 12, 16)).astype(np.float32)
    truth = rng.normal(0, 25, (3, 2, 12, 16)).astype(np.float32)
    pred = truth + rng.normal(0, [[[[4.0]], [[4.0]]], [[[12.0]], [[12.0]]], [[[30.0]], [[30.0]]]],
                              truth.shape).astype(np.float32)
    psnrs = []
    for n in range(3):
        srgb = [lab_to_srgb(join_lab(lightness[n, 0], ab[n].transpose(1, 2, 0))) for ab in (pred, truth)]
        psnrs.append(10 * np.log10(1 / np.mean((srgb[0] - srgb[1]) ** 2)))
    loss = losses.log_srgb(torch.from_numpy(pred), torch.from_numpy(truth), torch.from_numpy(lightness))
    assert -10 / math.log(10) * float(loss) == pytest.approx(np.mean(psnrs), abs=0.05)


def test_the_torch_colorfulness_is_the_evaluations():
    from plugins.color import join_lab, lab_to_srgb
    from training.quality import colorfulness

    rng = np.random.default_rng(2)
    lightness = rng.uniform(20, 80, (2, 1, 24, 32)).astype(np.float32)
    ab = rng.normal(0, 30, (2, 2, 24, 32)).astype(np.float32)
    ab[1] *= 0.2  # a duller second photo
    ours = losses.colorfulness(torch.from_numpy(lightness), torch.from_numpy(ab)).numpy()
    theirs = [colorfulness(np.round(lab_to_srgb(join_lab(lightness[n, 0], ab[n].transpose(1, 2, 0))) * 255))
              for n in range(2)]
    np.testing.assert_allclose(ours, theirs, atol=0.05)
    assert ours[0] > 2 * ours[1]


def test_the_colorfulness_floor_charges_a_dull_batch_and_leaves_a_colorful_one_alone():
    lightness = torch.full((2, 1, 16, 16), 50.0)
    truth = torch.zeros(2, 2, 16, 16)
    truth[:, 0, :, :8], truth[:, 1, :, 8:] = 40.0, -40.0
    plain, floored = losses.photo_loss("log_srgb"), losses.photo_loss("log_srgb", colorfulness_floor=30.0)
    gray = torch.zeros_like(truth)  # colorfulness 0: 30 short
    assert float(floored(gray, truth, lightness) - plain(gray, truth, lightness)) == pytest.approx(3.0, rel=1e-3)
    assert float(losses.colorfulness(lightness, truth).mean()) > 30
    assert float(floored(truth * 0.9, truth, lightness)) == float(plain(truth * 0.9, truth, lightness))
    with pytest.raises(SystemExit, match="goes with --loss log_srgb"):
        losses.photo_loss("l2", colorfulness_floor=30.0)


LOSS_OPTIONS = [("--colorfulness-floor", "30"), ("--skin-tone-weight", "4")]


@pytest.mark.parametrize(("flag", "value"), LOSS_OPTIONS)
def test_the_photo_loss_options_are_refused_by_the_other_backends(photos, tmp_path, flag, value):
    args = _train_args(photos, tmp_path / "run")
    args[1] = "cic"
    with pytest.raises(SystemExit, match=f"{flag[2:]} is for the regression and gan backends"):
        training_main([*args, "--loss", "log_srgb", flag, value])


@pytest.mark.parametrize(("flag", "value"), LOSS_OPTIONS)
def test_regression_trains_with_a_photo_loss_option_and_the_card_command_says_so(photos, tmp_path, flag, value):
    out = tmp_path / "run"
    assert training_main(_train_args(photos, out, "--loss", "log_srgb", flag, value)) == 0
    saved = checkpoint.load(out / "last.pt")
    assert saved["args"][flag[2:].replace("-", "_")] == float(value)
    assert f"--loss log_srgb {flag} {float(value)}" in runs.training_command(saved["args"])


def _lab_patch(lightness: float, chroma: float, hue_degrees: float) -> tuple[torch.Tensor, torch.Tensor]:
    angle = math.radians(hue_degrees)
    ab = torch.tensor([chroma * math.cos(angle), chroma * math.sin(angle)]).view(1, 2, 1, 1).expand(1, 2, 4, 4)
    return torch.full((1, 1, 4, 4), lightness), ab.clone()


@pytest.mark.parametrize(("lightness", "chroma", "hue", "skin"), [
    (65, 25, 55, True),    # light skin
    (35, 22, 50, True),    # dark skin
    (65, 25, 20, False),   # a red flush
    (65, 60, 55, False),   # an orange
    (65, 25, 250, False),  # a blue sky
    (65, 3, 55, False),    # nearly gray
    (95, 15, 55, False),   # a highlight
])
def test_the_skin_tone_mask_holds_warm_moderate_colors_only(lightness, chroma, hue, skin):
    mask = losses.skin_tone_mask(*_lab_patch(lightness, chroma, hue))
    assert mask.shape == (1, 1, 4, 4)
    assert bool(mask.all()) is skin and bool(mask.any()) is skin


def test_the_skin_tone_weight_charges_errors_on_skin_more_and_elsewhere_less():
    lightness = torch.full((1, 1, 8, 8), 60.0)
    truth = torch.zeros(1, 2, 8, 8)
    truth[:, :, :, :4] = _lab_patch(60, 25, 55)[1][:, :, :1, :1]  # left half skin
    truth[:, 1, :, 4:] = -30.0                                    # right half blue
    red_face, gray_sky = truth.clone(), truth.clone()
    red_face[:, :, :, :4] = _lab_patch(60, 40, 25)[1][:, :, :1, :1]
    gray_sky[:, :, :, 4:] = 0.0
    plain, weighted = losses.photo_loss("log_srgb"), losses.photo_loss("log_srgb", skin_tone_weight=4.0)
    assert float(weighted(red_face, truth, lightness)) > float(plain(red_face, truth, lightness)) + 0.3
    assert float(weighted(gray_sky, truth, lightness)) < float(plain(gray_sky, truth, lightness)) - 0.3
    assert float(weighted(truth, truth, lightness)) == pytest.approx(float(plain(truth, truth, lightness)))
    with pytest.raises(SystemExit, match="skin-tone-weight goes with --loss log_srgb"):
        losses.photo_loss("l2", skin_tone_weight=4.0)


def test_log_srgb_is_refused_by_a_backend_whose_loss_sees_ab_only(photos, tmp_path, capsys):
    args = _train_args(photos, tmp_path / "run")
    args[1] = "pixcolor"
    with pytest.raises(SystemExit, match="log_srgb is for the regression, guided and gan backends"):
        training_main([*args, "--loss", "log_srgb"])


def test_regression_trains_under_the_log_srgb_loss(photos, tmp_path):
    out = tmp_path / "run"
    assert training_main(_train_args(photos, out, "--loss", "log_srgb")) == 0
    rows = (out / "log.csv").read_text().splitlines()[1:]
    losses_logged = [float(row.split(",")[4]) for row in rows]
    assert losses_logged and all(-15 < value < 0 for value in losses_logged)  # logs of sRGB errors below 1


# ---- training loop -------------------------------------------------------------------------


def test_train_writes_log_samples_and_checkpoints(photos, tmp_path):
    out = tmp_path / "run"
    assert training_main(_train_args(photos, out, "--workers", "1")) == 0  # a DataLoader worker process
    rows = (out / "log.csv").read_text().splitlines()
    assert rows[0].startswith("step,epoch") and len(rows) == 5
    assert rows[-1].split(",")[-3:] != ["", "", ""]  # validation metrics on the last row
    assert (out / "samples_step0000004.png").exists() and (out / "best.pt").exists()
    ckpt = checkpoint.load(out / "last.pt")  # weights_only=True
    assert ckpt["step"] == 4 and ckpt["model_args"]["backend"] == "regression"
    model = RegressionModel(RegressionConfig.from_dict(ckpt["model_args"]["config"]))
    model.load_state_dict(ckpt["model"])


def test_interrupt_saves_and_resume_matches_uninterrupted_run(photos, tmp_path, monkeypatch):
    straight = tmp_path / "straight"
    assert training_main(_train_args(photos, straight)) == 0

    resumed = tmp_path / "resumed"
    with monkeypatch.context() as m:
        m.setitem(train_module.LOSSES, "l2", interrupting_loss(losses.l2))  # Ctrl-C in step 2
        assert training_main(_train_args(photos, resumed)) == 130
    assert checkpoint.load(resumed / "last.pt")["step"] == 2
    # The stopped step still got its log row and validation (--val-every 2).
    assert (resumed / "samples_step0000002.png").exists()
    header, _, second = (resumed / "log.csv").read_text().splitlines()[:3]
    assert dict(zip(header.split(","), second.split(",")))["val_psnr"] != ""
    assert training_main(_train_args(photos, resumed, "--resume")) == 0

    a, b = checkpoint.load(straight / "last.pt"), checkpoint.load(resumed / "last.pt")
    assert b["step"] == 4 and b["epoch"] == a["epoch"]
    for key, value in a["model"].items():
        assert torch.equal(value, b["model"][key]), key


def test_the_data_skips_black_and_white_photos(tmp_path):
    from training.data import PhotoFolder

    Image.fromarray(np.full((40, 40), 128, np.uint8)).save(tmp_path / "a_gray.png")  # mode L: known from the header
    Image.fromarray(np.full((40, 40), 30000, np.uint16)).save(tmp_path / "b_gray16.png")
    Image.new("RGB", (40, 40), (90, 90, 90)).save(tmp_path / "c_gray_rgb.png")  # found only when decoded
    Image.new("RGB", (40, 40), (200, 40, 30)).save(tmp_path / "d_red.png")
    data = PhotoFolder(tmp_path, size=32, crop=32, train=False)
    assert [p.name for p in data.files] == ["c_gray_rgb.png", "d_red.png"] and data.skipped == 2
    _lightness, ab = data[0]  # c is gray: replaced by d
    assert data.failed == 1 and ab[0].mean() > 20


def test_a_second_ctrl_c_stops_at_once_and_keeps_the_last_consistent_checkpoint(photos, tmp_path, monkeypatch):
    real_step, calls = torch.optim.AdamW.step, []

    def step_then_ctrl_c_twice(self, *args, **kwargs):
        result = real_step(self, *args, **kwargs)
        calls.append(1)
        if len(calls) == 3:  # step 3 has updated the weights, not yet the step count
            signal.raise_signal(signal.SIGINT)
            signal.raise_signal(signal.SIGINT)
        return result

    monkeypatch.setattr(torch.optim.AdamW, "step", step_then_ctrl_c_twice)
    out = tmp_path / "run"
    assert training_main(_train_args(photos, out)) == 130
    saved = checkpoint.load(out / "last.pt")  # from step 2's validation (--val-every 2)
    assert saved["step"] == 2
    assert all(int(state["step"]) == 2 for state in saved["optimizer"]["state"].values())


def test_ddp_two_processes_on_cpu(photos, tmp_path):
    out = tmp_path / "ddp"
    result = run_torchrun(2, ["training", *_train_args(photos, out, "--steps", "2", "--threads", "1")], ROOT)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "2 process(es)" in result.stdout
    assert checkpoint.load(out / "last.pt")["step"] == 2


# ---- several folders, starting from shipped weights, and the runs' record ------------------


def test_data_from_several_folders_adds_them_up(photos):
    from training.data import PhotoFolder, find_images

    both = PhotoFolder([photos / "train", photos / "val"], 64, 48)
    assert len(both) == len(PhotoFolder(photos / "train", 64, 48)) + len(PhotoFolder(photos / "val", 64, 48)) == 11
    assert find_images([photos / "val", photos / "train"])[0].parent.name in ("val", "nested")


def test_init_from_starts_at_those_weights_and_carries_their_runs(photos, tmp_path):
    from safetensors.torch import load_file

    first = tmp_path / "first"
    assert training_main(_train_args(photos, first, "--steps", "2")) == 0
    models = tmp_path / "models" / "regression"
    assert training_main(["export", str(first), "--to", str(models), "--checkpoint", "last"]) == 0
    weights = models.with_suffix(".safetensors")

    second = tmp_path / "second"
    # --resume with no run folder yet starts from --init-from; the same command later resumes.
    start = ["--lr", "0", "--resume", "--init-from", str(weights)]
    assert training_main(_train_args(photos, second, "--steps", "1", *start)) == 0
    shipped = load_file(str(weights))
    started = checkpoint.load(second / "last.pt")
    parameters = [k for k in shipped if "running_" not in k and "num_batches" not in k]  # BN statistics still move
    assert len(parameters) > 100
    for key in parameters:  # lr 0: the weights are still exactly the ones started from
        assert torch.equal(started["model"][key].half(), shipped[key]), key
    assert training_main(_train_args(photos, second, "--steps", "3", *start)) == 0

    records = checkpoint.load(second / "last.pt")["runs"]
    assert [(r["start_step"], r["end_step"]) for r in records] == [(0, 2), (0, 1), (1, 3)]
    assert records[0]["init_from"] is None and records[2]["init_from"] is None
    assert records[1]["init_from"]["file"] == weights.name
    assert all(r["images"] == (r["end_step"] - r["start_step"]) * 4 for r in records)  # batch 4
    assert "--init-from" in records[1]["command"] and "--steps 3" in records[2]["command"]


def test_init_from_weights_of_another_shape_is_a_one_line_error(photos, tmp_path):
    from safetensors.torch import save_file

    wrong = tmp_path / "wrong.safetensors"
    save_file({"trunk.decoder.head.weight": torch.zeros(3, 3)}, str(wrong))
    with pytest.raises(SystemExit, match="--init-from does not fit this model"):
        training_main(_train_args(photos, tmp_path / "run", "--init-from", str(wrong)))
    with pytest.raises(SystemExit, match="no .*last.pt to resume"):
        training_main(_train_args(photos, tmp_path / "none", "--resume"))


@pytest.mark.slow
def test_sigterm_to_the_whole_process_group_saves_a_checkpoint(photos, tmp_path):
    """A session ending signals every process of the run, DataLoader workers included: the run still saves."""
    import os
    import subprocess
    import sys
    import time

    out = tmp_path / "run"
    args = _train_args(photos, out, "--steps", "100000", "--workers", "1", "--val-every", "100000", "--log-every", "1")
    process = subprocess.Popen([sys.executable, "-m", "training", *args], cwd=ROOT, start_new_session=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        while not (out / "log.csv").exists() or len((out / "log.csv").read_text().splitlines()) < 3:
            assert process.poll() is None and time.monotonic() < deadline, process.stdout.read() if process.poll() else "slow"
            time.sleep(0.2)
        os.killpg(process.pid, signal.SIGTERM)
        output, _ = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 130, output
    assert "stopped: saved" in output and checkpoint.load(out / "last.pt")["step"] >= 2


def test_resuming_a_run_whose_log_has_older_columns_keeps_them_aligned(photos, tmp_path):
    import csv

    out = tmp_path / "run"
    assert training_main(_train_args(photos, out, "--steps", "2")) == 0
    rows = (out / "log.csv").read_text().splitlines()
    old = ",".join(rows[0].split(",")[:9])  # as a log written before val_cf and loss_parts existed
    (out / "log.csv").write_text("\n".join([old] + [",".join(r.split(",")[:9]) for r in rows[1:]]) + "\n")
    assert training_main(_train_args(photos, out, "--steps", "4", "--resume")) == 0
    with open(out / "log.csv", newline="") as f:
        table = list(csv.reader(f))
    assert all(len(row) == 9 for row in table) and table[-1][0] == "4" and table[-1][6] != ""


def test_a_resumed_run_drops_the_log_rows_its_checkpoint_never_saw(photos, tmp_path):
    out = tmp_path / "run"
    assert training_main(_train_args(photos, out, "--steps", "2")) == 0
    with open(out / "log.csv", "a") as f:
        f.write("3,0,9.9,0.001,0.5,1.0,,,,,\n")  # logged by a process that died before saving step 3
    assert training_main(_train_args(photos, out, "--steps", "4", "--resume")) == 0
    rows = [line.split(",") for line in (out / "log.csv").read_text().splitlines()[1:]]
    assert [row[0] for row in rows] == ["1", "2", "3", "4"]
    assert all(row[2] != "9.9" for row in rows)  # the dead process's row is gone (not a substring test: 19.9 img/s is fine)


def test_resuming_a_checkpoint_from_before_runs_were_recorded_counts_it_from_step_0(photos, tmp_path):
    out = tmp_path / "run"
    assert training_main(_train_args(photos, out, "--steps", "2")) == 0
    old = checkpoint.load(out / "last.pt")
    del old["runs"]  # as saved before this version
    checkpoint.save(out / "last.pt", old)
    assert training_main(_train_args(photos, out, "--steps", "3", "--resume")) == 0
    records = checkpoint.load(out / "last.pt")["runs"]
    assert [(r["start_step"], r["end_step"]) for r in records] == [(0, 2), (2, 3)]


def test_time_budget_sets_the_step_count_from_the_measured_speed(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(train_module.time, "time", lambda: clock[0])
    budget = train_module.TimeBudget(minutes=10, first_step=100, settle=20)
    for step in range(101, 121):  # warm-up steps: slow, and not counted
        clock[0] += 5.0
        assert budget.total_steps(step, 10**9) == 10**9
    for step in range(121, 171):  # then 2 steps/s
        clock[0] += 0.5
        total = budget.total_steps(step, 10**9)
    spent = clock[0] - 1000.0  # 125 s of the 600
    assert total == 170 + int((600 - spent) * 2)
    clock[0] = 1000.0 + 700  # past the budget: this step is the last
    assert budget.total_steps(171, total) == 171


def test_a_time_budget_ends_the_run_and_its_schedule(photos, tmp_path):
    out = tmp_path / "run"
    args = _train_args(photos, out, "--time-budget", "0.002")  # 0.12 s: past it once measured
    args[args.index("--steps") + 1] = "1000"
    assert training_main(args) == 0
    ckpt = checkpoint.load(out / "last.pt")
    assert 20 < ckpt["step"] < 1000  # the budget, not --steps, ended it
    last_row = (out / "log.csv").read_text().splitlines()[-1].split(",")
    assert int(last_row[0]) == ckpt["step"] and last_row[6]  # its last step was logged and validated


def test_a_schedule_retargeted_by_the_budget_warms_up_and_decays_within_the_new_length():
    from types import SimpleNamespace

    from training.tasks import TASKS

    model = torch.nn.Linear(2, 2)
    args = SimpleNamespace(total_steps=10**9, warmup=200, weight_decay=0.0, lr=1.0)  # before the speed is known
    task = SimpleNamespace(param_groups=lambda m, a: [{"params": m.parameters(), "lr": a.lr}], betas=TASKS["regression"].betas)
    opt, sched = train_module.make_optimizer(model, args, task)
    args.total_steps = 100  # a short budget: warm up for a tenth of it, not the 200 steps asked
    lrs = []
    for _ in range(100):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert max(lrs) == pytest.approx(1.0, abs=0.01) and lrs.index(max(lrs)) <= 10
    assert lrs[-1] < 0.03


@pytest.mark.parametrize("backend", ["regression", "guided"])
def test_the_colorfulness_floor_reaches_the_training_loss_with_the_batchs_lightness(backend):
    import argparse

    from training.tasks import TASKS

    lightness = torch.full((2, 1, 32, 32), 50.0)
    truth = torch.zeros(2, 2, 32, 32)
    truth[:, 0, :, :16], truth[:, 1, :, 16:] = 40.0, -40.0
    losses_by_floor = {}
    for floor in (None, 30.0):
        task = TASKS[backend](argparse.Namespace(prior=None, loss="log_srgb", colorfulness_floor=floor))
        _, target = task.train_batch(lightness, truth)
        losses_by_floor[floor] = float(task.loss(torch.zeros_like(target), target, lightness))  # a gray answer
    assert losses_by_floor[30.0] - losses_by_floor[None] == pytest.approx(3.0, rel=1e-3)


def test_the_gan_reconstruction_sees_the_lightness_and_the_floor():
    from plugins.backends.gan.model import GANConfig
    from training.gan import GANTrainingModel, GANWeights

    lightness = torch.rand(2, 1, 64, 64) * 100
    truth = torch.randn(2, 2, 64, 64) * 30
    recon = {}
    for floor in (None, 80.0):  # out of reach: the hinge is paid
        torch.manual_seed(0)
        model = GANTrainingModel(GANConfig(finetune_from=-1), GANWeights(classes=0.0),
                                 losses.photo_loss("log_srgb", floor), pretrained_teacher=False).train()
        model.generator_loss(lightness, truth)
        recon[floor] = model.parts["recon"]
    assert recon[80.0] > recon[None] + 1.0


def test_source_weights_draw_each_source_set_in_proportion():
    from training.data import EpochSampler, source_weights

    files = [Path(f"{source}__{i}.jpg") for source in ("few", "many") for i in range(50)]
    weights = source_weights(files, {"few": 3.0})
    sampler = EpochSampler(len(files), seed=1, weights=weights)
    drawn = []
    for epoch in range(20):
        sampler.set_epoch(epoch)
        drawn += list(sampler)
    share = sum(files[i].name.startswith("few") for i, _ in drawn) / len(drawn)
    assert share == pytest.approx(0.75, abs=0.03)
    again = EpochSampler(len(files), seed=1, weights=weights)
    again.set_epoch(19)
    assert list(again) == drawn[-len(files):]
    seeds = {}
    for index, seed in drawn[-len(files):]:
        seeds.setdefault(index, set()).add(seed)
    assert any(len(s) > 1 for s in seeds.values())  # a photo drawn twice gets two crops
    none_of_few = EpochSampler(len(files), seed=1, weights=source_weights(files, {"few": 0.0}))
    assert all(files[i].name.startswith("many") for i, _ in none_of_few)
    with pytest.raises(ValueError, match="no photo of source rare"):
        source_weights(files, {"rare": 2.0})
    with pytest.raises(ValueError, match="every photo has weight 0"):
        source_weights(files, {"few": 0.0, "many": 0.0})


def test_regression_trains_with_source_weights_and_the_card_command_says_so(tmp_path):
    rng = np.random.default_rng(1)
    data = tmp_path / "data"
    data.mkdir()
    for source in ("alpha", "beta"):
        for i in range(4):
            Image.fromarray(synthetic_color_photo(rng, 64, 64).astype(np.uint8)).save(data / f"{source}__{i}.png")
    args = ["train", "regression", "--data", str(data), "--out", str(tmp_path / "run"), "--size", "64", "--crop", "48",
            "--batch-size", "4", "--steps", "2", "--log-every", "1", "--workers", "0", "--no-pretrained",
            "--no-progress", "--loss", "l2"]
    assert training_main([*args, "--source-weight", "alpha=0.5", "beta=2"]) == 0
    saved = checkpoint.load(tmp_path / "run" / "last.pt")
    assert saved["args"]["source_weight"] == ["alpha=0.5", "beta=2"]
    assert "--source-weight alpha=0.5 beta=2" in runs.training_command(saved["args"])
    with pytest.raises(SystemExit, match="no photo of source gamma"):
        training_main([*args[:5], str(tmp_path / "other"), *args[6:], "--source-weight", "gamma=2"])
    for malformed in ("alpha", "alpha=-1", "alpha=nan", "=2"):
        with pytest.raises(SystemExit):
            training_main([*args, "--source-weight", malformed])
