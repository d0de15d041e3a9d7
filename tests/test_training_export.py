"""Export turns a training run into shipped fp16 safetensors and cards that the backend loads;
evaluation scores it through the host, next to the grayscale baseline."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from safetensors import safe_open

from plugins.backends.common import shipped
from plugins.backends.regression import backend as regression_backend
from plugins.host import PluginHost, build_options
from training import evaluate, quality
from training.__main__ import main as training_main


def write_photos(folder: Path, count: int, size: int = 64) -> Path:
    rng = np.random.default_rng(1)
    folder.mkdir(parents=True)
    for i in range(count):
        y, x = np.mgrid[0:size, 0:size] / size
        rgb = np.stack([x, y * rng.random(), 0.5 * (x + y)], axis=-1)
        Image.fromarray((rgb * 255).astype(np.uint8)).save(folder / f"p{i}.png")
    return folder


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    root = tmp_path_factory.mktemp("export")
    data = write_photos(root / "train", 6)
    run = root / "run"
    args = ["train", "regression", "--data", str(data), "--val", str(data), "--out", str(run), "--size", "64",
            "--crop", "48", "--batch-size", "3", "--steps", "2", "--val-every", "2", "--workers", "0",
            "--no-pretrained", "--no-progress", "--loss", "l2"]
    assert training_main(args) == 0
    target = root / "models" / "regression"
    assert training_main(["export", str(run), "--to", str(target), "--checkpoint", "last", "--hardware", "test CPU"]) == 0
    return target


def test_export_writes_fp16_safetensors_with_config_and_cards(exported):
    weights = exported.with_suffix(".safetensors")
    card = json.loads(exported.with_suffix(".json").read_text())
    assert card["sha256"] == hashlib.sha256(weights.read_bytes()).hexdigest()
    with safe_open(str(weights), "pt") as f:
        assert json.loads(f.metadata()["config"]) == card["config"]
        dtypes = {str(f.get_tensor(k).dtype) for k in f.keys()}
    assert "torch.float16" in dtypes and "torch.float32" not in dtypes
    assert card["training"]["command"].startswith("python -m training train regression --data ")
    assert card["training"]["steps"] == 2 and card["training"]["hardware"] == "test CPU"
    assert card["training"]["epochs"] == pytest.approx(1.0)  # 2 steps × batch 3 over 6 photos
    assert "--no-pretrained" in card["training"]["command"] and not card["training"]["pretrained_encoder"]
    markdown = exported.with_suffix(".md").read_text()
    assert card["sha256"] in markdown and card["training"]["command"] in markdown
    assert "randomly initialised" in markdown


def test_a_run_without_validation_exports_its_last_checkpoint_and_valid_json(tmp_path):
    data = write_photos(tmp_path / "train", 4)
    run = tmp_path / "run"
    assert training_main(["train", "regression", "--data", str(data), "--out", str(run), "--size", "64", "--crop", "48",
                          "--batch-size", "2", "--steps", "1", "--workers", "0", "--no-pretrained", "--no-progress"]) == 0
    target = tmp_path / "models" / "regression"
    assert training_main(["export", str(run), "--to", str(target)]) == 0  # --checkpoint best by default
    card = json.loads(target.with_suffix(".json").read_text(), parse_constant=pytest.fail)  # no Infinity
    assert card["training"]["checkpoint"] == "last" and card["training"]["best_val_psnr"] is None


def test_export_scores_the_weights_it_wrote_not_the_installed_ones(exported, tmp_path, monkeypatch):
    from training import export

    seen = {}

    def fake_run(command, **kwargs):
        seen["models"] = kwargs["env"]["TINCT_MODELS_DIR"]
        return type("Done", (), {"stdout": "[]"})()

    monkeypatch.setattr(export.subprocess, "run", fake_run)
    assert export.evaluate("regression", exported.parent, tmp_path, 1) == []
    assert Path(seen["models"]) == exported.parent.resolve()
    assert shipped.shipped_model("regression").weights.path.parent != exported.parent
    monkeypatch.setenv("TINCT_MODELS_DIR", str(exported.parent))
    assert shipped.shipped_model("regression").weights.path == exported.with_suffix(".safetensors")


def test_exporting_the_same_checkpoint_twice_gives_the_same_bytes(exported, tmp_path):
    from training import checkpoint, export

    ckpt = checkpoint.load(exported.parent.parent / "run" / "last.pt")
    first = export.write_weights(ckpt, tmp_path / "a.safetensors")
    again = [export.write_weights(ckpt, tmp_path / f"b{i}.safetensors") for i in range(4)]
    assert again == [first] * 4  # the metadata map no longer comes out in a random order
    with safe_open(str(tmp_path / "a.safetensors"), "pt") as f, safe_open(str(exported.with_suffix(".safetensors")), "pt") as g:
        assert f.metadata() == g.metadata() and sorted(f.keys()) == sorted(g.keys())
        assert all(f.get_tensor(k).equal(g.get_tensor(k)) for k in f.keys())


def test_the_backend_loads_exported_weights_and_colorizes(exported, monkeypatch):
    monkeypatch.setattr(shipped, "model_path", lambda name: exported.parent / name)
    model = shipped.shipped_model("regression")
    colorizer = regression_backend.RegressionColorizer
    monkeypatch.setattr(regression_backend, "SHIPPED", model)
    monkeypatch.setattr(colorizer, "info", dataclasses.replace(colorizer.info, weights=(model.weights,)))
    host = PluginHost.discover([regression_backend], entry_points=False)
    assert host.weights_status(host.get("regression")).state == "verified"
    backend = host.loaded("regression", "cpu")
    lightness = np.linspace(0, 100, 90 * 120, dtype=np.float32).reshape(90, 120)
    options, _ = build_options(backend.info, device="cpu", working_size=64)
    [sample] = [e for e in backend.colorize(lightness, options) if hasattr(e, "ab")]
    assert sample.ab.shape == (64, 85, 2) and np.isfinite(sample.ab).all()


def test_grayscale_baseline_metrics_behave():
    truth = np.zeros((32, 32, 3), np.uint8)
    truth[..., 0] = 200
    [report] = [evaluate.evaluate_grayscale([truth])]
    assert report.samples[0].colorfulness == 0.0
    assert report.samples[0].delta_cf == pytest.approx(quality.colorfulness(truth))
    assert quality.psnr(truth, truth) == quality.MAX_PSNR
    assert quality.auc(truth, truth) == 1.0
    assert 0 < report.samples[0].auc < 1


def test_eval_reports_the_baseline_and_a_backend(tmp_path, capsys):
    data = write_photos(tmp_path / "test", 3, size=80)
    code = training_main(["eval", "--data", str(data), "--backends", "testbackend", "--samples", "3", "--json"])
    assert code == 0
    reports = {r["backend"]: r for r in json.loads(capsys.readouterr().out)}
    assert set(reports) == {"grayscale", "testbackend"}
    flat = reports["testbackend"]
    assert len(flat["samples"]) == 3 and flat["diversity"] > 10  # flat samples of three different hues
    assert flat["best_of_n_psnr"] >= max(s["psnr"] for s in flat["samples"]) - 1e-9
    assert reports["grayscale"]["samples"][0]["colorfulness"] == 0.0


def test_eval_skips_a_broken_file_and_a_gray_photo_scores_finite(tmp_path, capsys):
    data = write_photos(tmp_path / "test", 2, size=80)
    (data / "broken.jpg").write_bytes(b"not a photo")
    (data / "folder.png").mkdir()
    Image.new("RGB", (80, 80), (90, 90, 90)).save(data / "gray.png")
    assert training_main(["eval", "--data", str(data), "--backends", "testbackend", "--json"]) == 0
    captured = capsys.readouterr()
    reports = json.loads(captured.out, parse_constant=pytest.fail)  # no Infinity or NaN
    assert reports[0]["images"] == 3 and "skipping" in captured.err and "broken.jpg" in captured.err
    assert reports[0]["samples"][0]["psnr"] <= quality.MAX_PSNR


def test_load_eval_image_scales_the_short_side_and_center_crops(tmp_path):
    Image.new("RGB", (512, 300), (10, 20, 30)).save(tmp_path / "wide.png")
    image = evaluate.load_eval_image(tmp_path / "wide.png")
    assert image.shape == (256, 256, 3) and tuple(image[128, 128]) == (10, 20, 30)


def test_training_time_adds_up_the_segments_of_a_resumed_run(tmp_path):
    from training.runs import training_time

    rows = ["step,time_s", "50,10.0", "100,20.0", "150,5.0", "200,12.5"]  # resumed after step 100
    (tmp_path / "log.csv").write_text("\n".join(rows) + "\n")
    assert training_time(tmp_path) == pytest.approx(32.5)
    assert training_time(tmp_path / "missing") is None


def test_figure_lays_out_gray_backends_and_truth(tmp_path):
    from training.figure import GAP, LABEL_H, TILE

    data = write_photos(tmp_path / "test", 3, size=80)
    rows_out, samples_out = tmp_path / "rows.png", tmp_path / "samples.png"
    assert training_main(["figure", "--data", str(data), "--count", "2", "--backends", "testbackend",
                          "--out", str(rows_out)]) == 0
    assert training_main(["figure", "--data", str(data), "--backends", "testbackend", "--samples", "3",
                          "--out", str(samples_out)]) == 0
    with Image.open(rows_out) as rows, Image.open(samples_out) as samples:
        assert rows.size == (3 * TILE + 2 * GAP, 2 * (TILE + LABEL_H) + GAP)  # gray | testbackend | truth
        assert samples.size == (5 * TILE + 4 * GAP, TILE + LABEL_H)  # gray | 3 samples | truth
        pixels = np.asarray(samples.convert("RGB"))[LABEL_H:].astype(float)
        gray_tile, sample_tile = pixels[:, :TILE], pixels[:, TILE + GAP: 2 * TILE + GAP]
        assert np.ptp(gray_tile.mean(axis=(0, 1))) < 1 and np.ptp(sample_tile.mean(axis=(0, 1))) > 10


def test_the_card_lists_its_runs_and_the_log_travels_beside_it(exported):
    card = json.loads(exported.with_suffix(".json").read_text())
    (run,) = card["training"]["runs"]
    assert (run["start_step"], run["end_step"], run["images"]) == (0, 2, 6)
    assert run["command"].startswith("python -m training train regression --data ") and run["hours"] >= 0
    assert card["training"]["steps"] == 2 and card["training"]["images"] == 6
    markdown = exported.with_suffix(".md").read_text()
    assert "| 1 | `python -m training train regression" in markdown and "do not edit by hand" in markdown
    rows = exported.with_suffix(".log.csv").read_text().splitlines()
    assert rows[0].startswith("source,step,") and len(rows) == 2 and rows[-1].startswith("run,2,")  # log every 50: the last step only


def test_a_card_from_before_runs_were_recorded_becomes_one_run():
    from training.runs import runs_of_card, totals

    card = {"training": {"command": "python -m training train cic", "steps": 2500, "batch_size": 16, "time_h": 0.7,
                         "hardware": "CPU"}}
    (record,) = runs_of_card(card)
    assert record["from_card"] and (record["end_step"], record["images"], record["hours"]) == (2500, 40000, 0.7)
    assert totals([record, {**record, "start_step": 100, "end_step": 300, "images": 3200, "hours": 0.3}]) == {
        "steps": 2700, "images": 43200, "hours": pytest.approx(1.0)}


def test_export_with_eval_data_puts_the_scores_of_training_eval_in_the_card(exported, tmp_path):
    """``training export RUN --to DIR/regression --eval-data FOLDER`` for real (its ``training eval`` subprocess
    included); the card's numbers must be those of ``training eval`` run by hand on the exported weights."""
    import os
    import subprocess
    import sys

    from fakes import synthetic_color_photo

    run = exported.parent.parent / "run"  # the module's tiny regression run: 2 steps, 48 px crops, l2
    photos = tmp_path / "test"
    photos.mkdir()
    rng = np.random.default_rng(7)
    for i in range(2):
        Image.fromarray(synthetic_color_photo(rng, 40, 48)).save(photos / f"t{i}.png")
    target = tmp_path / "models" / "regression"
    assert training_main(["export", str(run), "--to", str(target), "--checkpoint", "last", "--eval-data", str(photos)]) == 0

    card = json.loads(target.with_suffix(".json").read_text())
    metrics = card["metrics"]
    assert metrics["data"] == str(photos)
    table = metrics["table"].splitlines()
    assert [row.split(" | ")[0] for row in table[2:]] == ["| grayscale", "| regression", "| ground truth"]
    assert metrics["table"] in target.with_suffix(".md").read_text()

    env = {**os.environ, "TINCT_MODELS_DIR": str(target.parent)}
    command = [sys.executable, "-m", "training", "eval", "--data", str(photos), "--backends", "regression", "--json"]
    by_hand = {r["backend"]: r for r in json.loads(subprocess.run(command, env=env, check=True, capture_output=True,
                                                                   text=True, timeout=300).stdout)}
    in_card = {r["backend"]: r for r in metrics["reports"]}
    assert set(in_card) == set(by_hand) == {"grayscale", "regression"}
    for backend, report in by_hand.items():
        (mine,), (theirs,) = in_card[backend]["samples"], report["samples"]
        assert mine == pytest.approx(theirs, abs=1e-9) and in_card[backend]["images"] == report["images"] == 2
        row = next(r for r in table if r.startswith(f"| {backend} |"))
        assert f"| {theirs['psnr']:.2f} | {theirs['auc']:.3f} | {theirs['colorfulness']:.1f} | {theirs['delta_cf']:.1f} |" in row
    # The baseline's numbers, from the metrics directly: the card scored these photos, not others.
    truths = [evaluate.load_eval_image(p) for p in sorted(photos.iterdir())]
    baseline = in_card["grayscale"]["samples"][0]
    assert baseline["psnr"] == pytest.approx(np.mean([quality.psnr(evaluate.grayscale_of(t), t) for t in truths]))


def test_the_shipped_log_keeps_one_row_per_step_and_never_its_own_earlier_export(tmp_path):
    from training.export import earlier_log, write_log

    weights = tmp_path / "models" / "regression.safetensors"
    weights.parent.mkdir()
    weights.write_bytes(b"the weights this run started from")
    (tmp_path / "models" / "regression.log.csv").write_text("source,step,val_psnr\nfirst,10,20.0\nfirst,20,21.0\n")
    run = tmp_path / "run"
    run.mkdir()
    # steps 100 and 150 were logged, the process died after the save at 100, the resumed run logged 150 again
    (run / "log.csv").write_text("step,val_psnr\n100,22.0\n150,22.1\n150,22.5\n")
    records = [{"init_from": {"file": weights.name, "path": str(weights), "sha256": hashlib.sha256(weights.read_bytes()).hexdigest()}}]
    out = tmp_path / "models" / "regression.log.csv"
    write_log(run / "log.csv", earlier_log(records, out.parent / "regression", "new"), out)
    assert out.read_text().splitlines() == ["source,step,val_psnr", "first,10,20.0", "first,20,21.0", "run,100,22.0",
                                            "run,150,22.5"]
    weights.write_bytes(b"this run's own export replaced them")  # exported once, the run trained on, exported again
    write_log(run / "log.csv", earlier_log(records, out.parent / "regression", "newer"), out)
    assert out.read_text().splitlines() == ["source,step,val_psnr", "run,100,22.0", "run,150,22.5"]


def test_exporting_over_the_weights_a_run_started_from_keeps_their_log_and_so_does_exporting_it_again(tmp_path):
    data = write_photos(tmp_path / "train", 6)
    common = ["--data", str(data), "--val", str(data), "--size", "64", "--crop", "48", "--batch-size", "3",
              "--val-every", "1", "--log-every", "1", "--workers", "0", "--no-pretrained", "--no-progress", "--loss", "l2"]
    target = tmp_path / "models" / "regression"
    assert training_main(["train", "regression", "--out", str(tmp_path / "first"), "--steps", "2", *common]) == 0
    assert training_main(["export", str(tmp_path / "first"), "--to", str(target), "--checkpoint", "last"]) == 0
    assert training_main(["train", "regression", "--out", str(tmp_path / "second"), "--steps", "1",
                          "--init-from", str(target.with_suffix(".safetensors")), *common]) == 0

    def sources_and_steps():
        rows = target.with_suffix(".log.csv").read_text().splitlines()[1:]
        return [tuple(row.split(",")[:2]) for row in rows]

    expected = [("first", "1"), ("first", "2"), ("second", "1")]
    assert training_main(["export", str(tmp_path / "second"), "--to", str(target), "--checkpoint", "last"]) == 0
    assert sources_and_steps() == expected  # the first run's rows, although its weights were just replaced
    card = json.loads(target.with_suffix(".json").read_text())
    assert [r["end_step"] for r in card["training"]["runs"]] == [2, 1]
    assert training_main(["export", str(tmp_path / "second"), "--to", str(target), "--checkpoint", "last"]) == 0
    assert sources_and_steps() == expected  # the same weights again: the log beside them carried forward


def test_a_chroma_gain_is_refused_for_a_backend_without_one(exported, tmp_path):
    run = exported.parent.parent / "run"
    with pytest.raises(SystemExit, match="regression backend has no chroma_gain"):
        training_main(["export", str(run), "--to", str(tmp_path / "regression"), "--checkpoint", "last",
                       "--chroma-gain", "0.9"])
    assert not (tmp_path / "regression.safetensors").exists()


def test_exporting_a_checkpoint_that_is_not_there_names_those_that_are(exported, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "last.pt").write_bytes(b"")
    with pytest.raises(SystemExit, match=r"no checkpoint .*step0000009.pt \(there: last\)"):
        training_main(["export", str(run), "--to", str(tmp_path / "m" / "regression"), "--checkpoint", "step0000009"])


def test_an_ablation_run_is_listed_in_the_card_and_its_log_kept_beside_it(exported, tmp_path):
    run = exported.parent.parent / "run"
    other = tmp_path / "other-loss"
    data = write_photos(tmp_path / "train", 6)
    assert training_main(["train", "regression", "--data", str(data), "--val", str(data), "--out", str(other),
                          "--size", "64", "--crop", "48", "--batch-size", "3", "--steps", "2", "--val-every", "2",
                          "--workers", "0", "--no-pretrained", "--no-progress", "--loss", "smooth_l1"]) == 0
    target = tmp_path / "models" / "regression"
    assert training_main(["export", str(run), "--to", str(target), "--checkpoint", "last", "--ablation", str(other)]) == 0
    card = json.loads(target.with_suffix(".json").read_text())
    [ablation] = card["ablations"]
    assert ablation["run"] == "other-loss" and ablation["step"] == 2
    assert "--loss smooth_l1" in ablation["commands"][0] and ablation["validation"]["step"] == "2"
    logged = target.with_suffix(".ablations.csv").read_text().splitlines()
    assert logged[0].startswith("source,step") and all(line.startswith("other-loss,") for line in logged[1:])
    assert ablation["validation"]["val_psnr"] in logged[-1]
    markdown = target.with_suffix(".md").read_text()
    assert "## Ablations" in markdown and "`regression.ablations.csv`" in markdown and "--loss smooth_l1" in markdown
    # the weights themselves are the exported run's, not the ablation's
    assert card["sha256"] == json.loads(exported.with_suffix(".json").read_text())["sha256"]


def test_a_card_keeps_the_ablations_of_the_weights_its_run_started_from(exported, tmp_path):
    data = write_photos(tmp_path / "train", 6)
    small = ["--data", str(data), "--val", str(data), "--size", "64", "--crop", "48", "--batch-size", "3", "--steps", "2",
             "--val-every", "2", "--workers", "0", "--no-pretrained", "--no-progress"]
    for name, loss in (("first-ablation", "smooth_l1"), ("second-ablation", "l1")):
        assert training_main(["train", "regression", "--out", str(tmp_path / name), "--loss", loss, *small]) == 0
    target = tmp_path / "models" / "regression"
    assert training_main(["export", str(exported.parent.parent / "run"), "--to", str(target), "--checkpoint", "last",
                          "--ablation", str(tmp_path / "first-ablation")]) == 0
    first_sha = json.loads(target.with_suffix(".json").read_text())["sha256"]
    later = tmp_path / "later"
    assert training_main(["train", "regression", "--out", str(later), "--loss", "l2", "--init-from",
                          str(target.with_suffix(".safetensors")), *small]) == 0
    assert training_main(["export", str(later), "--to", str(target), "--checkpoint", "last",
                          "--ablation", str(tmp_path / "second-ablation")]) == 0
    card = json.loads(target.with_suffix(".json").read_text())
    assert card["sha256"] != first_sha
    earlier, own = card["ablations"]
    assert earlier["run"] == "first-ablation" and earlier["against"] == f"regression.safetensors {first_sha[:12]}"
    assert own["run"] == "second-ablation" and "against" not in own
    sources = {line.split(",")[0] for line in target.with_suffix(".ablations.csv").read_text().splitlines()[1:]}
    assert sources == {"first-ablation", "second-ablation"}
    assert f"tried against earlier weights, regression.safetensors {first_sha[:12]}" in target.with_suffix(".md").read_text()
    # exported once more (the weights it started from are gone now): the earlier ablation stays
    assert training_main(["export", str(later), "--to", str(target), "--checkpoint", "last"]) == 0
    again = json.loads(target.with_suffix(".json").read_text())
    assert [a["run"] for a in again["ablations"]] == ["first-ablation"] and again["sha256"] == card["sha256"]
    assert "first-ablation," in target.with_suffix(".ablations.csv").read_text()


def test_an_ablation_folder_that_is_not_a_run_fails_before_anything_is_written(exported, tmp_path):
    target = tmp_path / "models" / "regression"
    with pytest.raises(SystemExit, match="is not a training run"):
        training_main(["export", str(exported.parent.parent / "run"), "--to", str(target), "--checkpoint", "last",
                       "--ablation", str(tmp_path)])
    assert not target.parent.exists()


SHIPPED_CARDS = sorted((Path(__file__).resolve().parents[1] / "resources" / "models").glob("*.json"))


@pytest.mark.parametrize("card", SHIPPED_CARDS, ids=lambda p: p.stem)
def test_every_shipped_markdown_card_is_written_from_its_json_record(card):
    assert training_main(["card", "--check", str(card)]) == 0
    record = json.loads(card.read_text())
    assert record["training"]["runs"], "a card lists the runs that built its weights"
    assert hashlib.sha256(card.with_suffix(".safetensors").read_bytes()).hexdigest() == record["sha256"]


def test_card_check_finds_a_hand_edited_markdown_card_and_card_rewrites_it(exported, tmp_path, capsys):
    json_path = tmp_path / "regression.json"
    json_path.write_text(exported.with_suffix(".json").read_text())
    markdown = json_path.with_suffix(".md")
    markdown.write_text(exported.with_suffix(".md").read_text().replace("| 1 |", "| 1 (edited) |"))
    assert training_main(["card", "--check", str(json_path)]) == 1
    assert "differs from its JSON" in capsys.readouterr().err
    assert training_main(["card", str(json_path)]) == 0
    assert markdown.read_text() == exported.with_suffix(".md").read_text()
    assert training_main(["card", "--check", str(json_path)]) == 0


def test_a_card_whose_runs_left_no_log_says_so_instead_of_naming_a_log_file(exported, tmp_path):
    record = json.loads(exported.with_suffix(".json").read_text())
    record["training"]["log_kept"] = False
    (tmp_path / "regression.json").write_text(json.dumps(record))
    assert training_main(["card", str(tmp_path / "regression.json")]) == 0
    text = (tmp_path / "regression.md").read_text()
    assert "their training logs were not kept" in text and "regression.log.csv" not in text
