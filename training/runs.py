"""The record of every training run that built a weights file, and starting from shipped weights.

A weights file can take many runs to make: a run resumed across sessions, or a
new run started ``--init-from`` earlier weights (whose card lists the runs
that made them). Each process of ``training train`` adds one record to its
checkpoints' ``runs`` list; ``training export`` writes that list into the card,
which then adds up steps and hours over all of them.

A record: ``command`` (as typed), ``start_step``/``end_step`` (this run's own
step counter), ``images`` (photos seen), ``hours`` (wall clock, validation
included), ``hardware``, ``started`` (UTC, ISO 8601), ``init_from`` (the
weights' file name and sha256, for a run started from them).
"""

from __future__ import annotations

import csv
import json
import os
import platform
import shlex
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import torch

from plugins.weights import sha256_of


# Flags of `training train` that a card's command line repeats, in this order.
COMMAND_FLAGS = ("data", "val", "out", "size", "crop", "batch_size", "steps", "epochs", "lr", "encoder_lr_mult",
                 "weight_decay", "warmup", "loss", "colorfulness_floor", "skin_tone_weight", "encoder", "finetune_from", "no_pretrained", "source_weight", "seed", "prior", "init_from")
GAN_FLAGS = ("critic_steps", "critic_lr_mult", "recon_weight", "noisy_recon_weight", "diversity_weight", "class_weight",
             "critic_sees_noisy")
GUIDED_FLAGS = ("freeze_trunk", "propagate", "hint_input", "hint_placement", "learned_affinity", "learned_spread_limit",
                "learned_spread_hints", "learned_spread_spot", "gate_penalty", "recolor")
BACKEND_FLAGS = {"gan": GAN_FLAGS, "palette": ("palette", "rebalance"), "deepcolor": ("pixels",), "guided": GUIDED_FLAGS}


def training_command(args: dict) -> str:
    """The command a run's saved arguments stand for, every setting that decides its numbers spelled out."""
    parts = ["python -m training train", str(args["backend"])]
    for key in COMMAND_FLAGS + BACKEND_FLAGS.get(args["backend"], ()):
        value = args.get(key)
        if value is None or value is False:
            continue
        flag = f"--{key.replace('_', '-')}"
        if isinstance(value, list):
            value = " ".join(map(str, value))
        parts.append(flag if value is True else f"{flag} {value}")
    return " ".join(parts)


def command_line(argv: list[str] | None = None) -> str:
    """How this process was started, as a person would type it again."""
    argv = sys.argv[1:] if argv is None else argv
    runner = "torchrun ... -m training" if "LOCAL_RANK" in os.environ else "python -m training"
    return f"{runner} {shlex.join(argv)}"


def hardware_name(device: torch.device, world: int) -> str:
    if device.type == "cuda":
        return f"{world}x {torch.cuda.get_device_name(device)}, torch {torch.__version__}"
    return f"{world}x {os.cpu_count()}-core {platform.machine()} CPU (no GPU), torch {torch.__version__}"


def new_record(command: str, step: int, hardware: str, init_from: dict | None = None) -> dict:
    return {"command": command, "start_step": step, "end_step": step, "images": 0, "hours": 0.0,
            "hardware": hardware, "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "init_from": init_from}


class RunClock:
    """Keeps this process's record up to date: steps done, photos seen and hours since it started."""

    def __init__(self, record: dict):
        self.record, self.t0 = record, time.time()

    def update(self, step: int, images_per_step: int) -> dict:
        self.record["end_step"] = step
        self.record["images"] = (step - self.record["start_step"]) * images_per_step
        self.record["hours"] = (time.time() - self.t0) / 3600
        return self.record


def training_time(run_dir: Path) -> float | None:
    """Seconds of training a run folder's log.csv covers (each resume restarts its clock)."""
    try:
        with open(Path(run_dir) / "log.csv", newline="") as f:
            rows = list(csv.DictReader(f))
        times = [float(row["time_s"]) for row in rows]
    except (OSError, KeyError, ValueError):
        return None
    if not times:
        return None
    total = times[-1]
    for before, after in zip(times, times[1:]):
        if after < before:
            total += before
    return total


def legacy_record(ckpt: dict, run_dir: Path) -> dict:
    """The one run a checkpoint from before runs were recorded stands for, rebuilt from its arguments and log."""
    seconds = training_time(run_dir)
    args = ckpt["args"]
    return {"command": training_command(args), "start_step": 0, "end_step": ckpt["step"],
            "images": ckpt["step"] * args.get("batch_size", 1) * args.get("world_size", 1),
            "hours": seconds / 3600 if seconds else 0.0, "hardware": args.get("hardware") or f"{platform.machine()} CPU",
            "started": None, "init_from": None, "from_card": True}


def card_of(weights: Path) -> dict:
    """The card (``X.json``) beside the weights ``X.safetensors``; ``{}`` if there is none."""
    try:
        return json.loads(Path(weights).with_suffix(".json").read_text())
    except (OSError, ValueError):
        return {}


def runs_of_card(card: dict) -> list[dict]:
    """The runs a card lists. Cards written before runs were recorded describe one run in their
    ``training`` fields, which becomes one record (marked ``from_card``: its command may not reproduce it alone)."""
    training = card.get("training") or {}
    if "runs" in training:
        return [dict(r) for r in training["runs"]]
    if not training:
        return []
    steps = int(training.get("steps") or 0)
    return [{"command": training.get("command", ""), "start_step": 0, "end_step": steps,
             "images": steps * int(training.get("batch_size") or 0), "hours": float(training.get("time_h") or 0.0),
             "hardware": training.get("hardware", ""), "started": None, "init_from": None, "from_card": True}]


def weights_identity(path: Path) -> dict:
    return {"file": Path(path).name, "path": str(path), "sha256": sha256_of(Path(path))}


def load_init_weights(path: Path) -> dict[str, torch.Tensor]:
    """A safetensors file's tensors as float32 (shipped weights are fp16); never unpickles."""
    from safetensors.torch import load_file

    try:
        state = load_file(str(path))
    except Exception as error:  # noqa: BLE001 - safetensors raises its own error types
        raise SystemExit(f"error: --init-from {path}: cannot be read as safetensors: {error}") from error
    return {k: v.float() if v.is_floating_point() else v for k, v in state.items()}


def totals(runs: list[dict]) -> dict:
    """Steps, photos seen and hours over all runs."""
    return {"steps": sum(r["end_step"] - r["start_step"] for r in runs),
            "images": sum(r.get("images") or 0 for r in runs),
            "hours": sum(r.get("hours") or 0.0 for r in runs)}
