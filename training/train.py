"""Train a built-in backend's model on a folder of color photos.

    python -m training train regression --data /work/shared/data/train \\
        --val /work/shared/data/val --out runs/regression-blurred \\
        --crop 176 --batch-size 16 --steps 8000 --loss blurred --encoder finetune

    # continue exactly where it stopped (Ctrl-C or SIGTERM saves RUN_DIR/last.pt first):
    python -m training train regression --data … --val … --out runs/regression-blurred --resume

    # several folders; start from shipped weights, or resume the run if its folder is still there
    # (the same command in every session, so that a model trains for many hours in pieces):
    python -m training train regression --data ../shared/data/train ../shared/data/train-extra \
        --val ../shared/data/val-extra --out ~/tinct-runs/regression --resume \
        --init-from resources/models/regression.safetensors

    # several processes (gloo on CPU, nccl on CUDA; --batch-size is per process):
    torchrun --nproc_per_node 2 -m training train regression --data … --out …

    # the cic backend (classification over ab bins); without --prior the color prior
    # is computed from --data first and saved as RUN_DIR/prior.npz:
    python -m training train cic --data … --val … --out runs/cic --prior runs/cic-prior.npz

    # the pixcolor backend (PixelCNN over ab bins at 1/8 resolution + refinement, trained jointly):
    python -m training train pixcolor --data … --val … --out runs/pixcolor --size 224 --crop 224

    # the palette backend (a U-Net classifying pixels into a k-means palette's colors):
    python -m training prior --palette 24 --data … --out runs/palette24.npz
    python -m training train palette --data … --val … --out runs/palette24 --prior runs/palette24.npz

    # the deepcolor backend (Cheng et al.: per-pixel features, a small network trained on sampled pixels):
    python -m training train deepcolor --data … --val … --out runs/deepcolor --pixels 1024

    # the guided backend (ideepcolor's simulated hints), warm-started from the regression trunk:
    python -m training train guided --data … --val … --out runs/guided \
        --init-from resources/models/regression.safetensors

    # the learned restoration step (a U-Net that removes grain, dust and scratches; training/restorer.py):
    python -m training train restorer --data … --val … --out runs/restorer --size 256 --crop 160

RUN_DIR gets log.csv (losses, val PSNR on sRGB 0..255, val ab L2, val AuC; the guided backend's
scores with 10 hints in val_extra),
samples_stepNNNNNNN.png (gray | prediction | truth) at every validation, and the
checkpoints last.pt and best.pt (best val PSNR; guided: the best mean of its 0- and 10-hint
PSNR). Each checkpoint lists the runs that made its weights (training/runs.py), for the model card.
"""

from __future__ import annotations

import argparse
import csv
import logging
import math
import os
import signal
import time
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch.utils.data import DataLoader
from tqdm import tqdm

from plugins.backbones import load_pretrained_weights
from training import checkpoint, metrics, runs
from training.data import EpochSampler, PhotoFolder, source_weights
from training.losses import LIGHTNESS_LOSSES, LOSSES
from training.tasks import TASKS

BACKENDS = TASKS  # backend → its task: model classes, loss and decoding (training/tasks.py)
# Arguments that decide the numbers a run computes: a resumed run keeps the saved ones.
RUN_KEYS = ("backend", "size", "crop", "batch_size", "epochs", "steps", "lr", "encoder_lr_mult",
            "weight_decay", "warmup", "loss", "encoder", "finetune_from", "seed", "prior", "critic_steps",
            "critic_lr_mult", "recon_weight", "noisy_recon_weight", "diversity_weight", "class_weight", "critic_sees_noisy",
            "palette", "rebalance", "pixels", "freeze_trunk", "propagate", "hint_input", "hint_placement",
            "learned_affinity", "learned_spread_limit", "learned_spread_hints", "learned_spread_spot", "gate_penalty",
            "recolor", "colorfulness_floor", "skin_tone_weight", "source_weight")
LOG_FIELDS = ["step", "epoch", "time_s", "lr", "train_loss", "images_per_s", "val_psnr", "val_ab_l2", "val_auc", "val_cf",
              "loss_parts", "val_extra"]


def _split_source_weight(text: str) -> tuple[str, float]:
    """``SOURCE=W`` → ``(SOURCE, W)``; a ValueError unless W is a finite number ≥ 0."""
    source, _, weight = text.rpartition("=")
    if not source or not 0 <= float(weight) < math.inf:
        raise ValueError(text)
    return source, float(weight)


def _source_weight(text: str) -> str:
    """``--source-weight``'s items, checked and kept as text (so the card's command repeats them)."""
    try:
        source, weight = _split_source_weight(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give SOURCE=W with W >= 0") from None
    return f"{source}={weight:g}"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("backend", choices=sorted(BACKENDS), help="a backend, or restorer: the learned restoration step")
    p.add_argument("--data", required=True, nargs="+", help="folders of color photos (searched recursively)")
    p.add_argument("--val", nargs="+", help="folders of validation photos")
    p.add_argument("--out", required=True, help="run directory")
    p.add_argument("--source-weight", nargs="+", action="extend", metavar="SOURCE=W", type=_source_weight,
                   help="draw the photos of a source set (the file-name prefix before __, e.g. caltech101) "
                        "W times as often as those of the sets not named")
    p.add_argument("--size", type=int, default=256, help="working size: short side photos are scaled to")
    p.add_argument("--crop", type=int, default=176, help="square training crop (validation: --size)")
    p.add_argument("--batch-size", type=int, default=16, help="per process")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--steps", type=int, help="optimizer steps in all (overrides --epochs)")
    p.add_argument("--time-budget", type=float, metavar="MINUTES",
                   help="train for about this long (this run's wall clock, validations included): the step count "
                        "comes from the measured speed, so the learning-rate schedule ends on time (overrides --steps)")
    p.add_argument("--lr", type=float, default=1e-3, help="peak learning rate (decoder)")
    p.add_argument("--encoder-lr-mult", type=float, default=0.1, help="encoder lr = lr × this")
    p.add_argument("--weight-decay", type=float, default=1e-4)
    p.add_argument("--warmup", type=int, default=200, help="linear warm-up steps, then cosine decay")
    p.add_argument("--loss", choices=sorted(LOSSES | LIGHTNESS_LOSSES),
                   help="regression (default blurred; log_srgb: the mean over photos of the log sRGB error, as mean PSNR "
                        "counts it), pixcolor's refinement (default smooth_l1), deepcolor (default l2)")
    p.add_argument("--colorfulness-floor", type=float, default=None, metavar="CF",
                   help="regression and gan, with --loss log_srgb: also pay for the batch's mean colorfulness below CF, "
                        "so that the model puts color where it costs the fewest decibels")
    p.add_argument("--skin-tone-weight", type=float, default=None, metavar="W",
                   help="regression and gan, with --loss log_srgb: count pixels whose true color is a skin tone "
                        "1 + W times, so that faces do not turn red")
    p.add_argument("--prior", help="cic: the .npz of `python -m training prior`; palette: of `prior --palette K` "
                   "(default: computed from --data)")
    p.add_argument("--encoder", choices=["freeze", "finetune"], default="finetune")
    p.add_argument("--finetune-from", type=int, default=5, help="first encoder block fine-tuned (0: all)")
    p.add_argument("--no-pretrained", action="store_true", help="random encoder (tests)")
    gan = p.add_argument_group("gan")
    gan.add_argument("--critic-steps", type=int, default=0, help="first steps of this run that train the critic alone")
    gan.add_argument("--critic-lr-mult", type=float, default=4.0, help="critic lr = lr × this")
    gan.add_argument("--recon-weight", type=float, default=100.0, help="λ of the zero-noise sample's --loss")
    gan.add_argument("--noisy-recon-weight", type=float, default=10.0, help="λ of the noisy sample's --loss")
    gan.add_argument("--diversity-weight", type=float, default=20.0, help="weight of the diversity-sensitive term")
    gan.add_argument("--class-weight", type=float, default=0.003, help="ChromaGAN's class-distribution KL (0: off)")
    gan.add_argument("--critic-sees-noisy", action="store_true", help="the critic also learns from the noisy samples")
    palette = p.add_argument_group("palette")
    palette.add_argument("--palette", type=int, default=24, help="colors of the palette computed from --data without --prior")
    palette.add_argument("--rebalance", type=float, default=0.0,
                         help="class rebalancing, 0..1: 0 weighs every pixel alike (the report's), 0.5 as cic")
    deepcolor = p.add_argument_group("deepcolor")
    deepcolor.add_argument("--pixels", type=int, default=1024, help="pixels sampled per photo and step")
    guided = p.add_argument_group("guided")
    guided.add_argument("--freeze-trunk", action="store_true",
                        help="train only the hint branch; the trunk's weights and BatchNorm statistics stay as loaded")
    guided.add_argument("--hint-placement", choices=["centre", "uniform"], default=None,
                        help="where simulated hints fall: ideepcolor's Gaussian around the centre (default) "
                             "or anywhere alike, as users and `training eval --hints` place them")
    guided.add_argument("--hint-input", action="store_true",
                        help="the hints also enter the encoder at its stem, as in ideepcolor (needs --finetune-from 0)")
    guided.add_argument("--propagate", action="store_true",
                        help="start from the host's edge-aware propagation of the hints; the refiner learns to correct it "
                             "(with --freeze-trunk: the propagation is outside the gradient)")
    guided.add_argument("--learned-affinity", action="store_true",
                        help="with --propagate: learn each link between cells, from the host's to Levin's, from the "
                             "decoder's features (plugins/backends/guided/affinity.py)")
    guided.add_argument("--gate-penalty", type=float, default=None, metavar="MU",
                        help="with --learned-affinity: add MU × how open the learnt links are (0..1) to the loss, so that "
                             "hints spread only where it pays (in a trial, 0.001 left them 0.15 open, 0.01 closed them all)")
    guided.add_argument("--learned-spread-limit", type=float, default=None, metavar="AB",
                        help="with --learned-affinity: only the first AB of each hint's change of chroma spreads over the "
                             "learnt links, the rest over the host's (a hint that says a thing is another color "
                             "then tints what lies beyond it by AB at most)")
    guided.add_argument("--learned-spread-hints", type=float, default=None, metavar="N0",
                        help="with --learned-spread-limit: the limit is AB · n / (n + N0) for a photo's n hints, so "
                             "that one hint spreads mostly over its object and many over the photo that agree correct all of it")
    guided.add_argument("--learned-spread-spot", type=float, default=None, metavar="SHARE",
                        help="with --learned-spread-hints: hints closer than SHARE of the photo's short side count as "
                             "one (several clicks on one thing are one thing's color)")
    guided.add_argument("--recolor", type=float, default=None, metavar="P",
                        help="the share of training photos whose first hint gives its object (the region of like truth "
                             "chroma around it) a random new color, in the hint and the truth: it teaches a hint to "
                             "recolor its object and no more, as a user's contrary hint should")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    p.add_argument("--amp", action="store_true", help="mixed precision (CUDA only)")
    p.add_argument("--workers", type=int, default=1, help="DataLoader worker processes")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    p.add_argument("--val-every", type=int, default=500, help="steps between validations")
    p.add_argument("--val-limit", type=int, default=0, help="validate on the first N photos only (0: all)")
    p.add_argument("--keep-checkpoints", action="store_true", help="also keep RUN_DIR/stepNNNNNNN.pt at every validation")
    p.add_argument("--save-every-min", type=float, default=10.0, help="minutes between checkpoints")
    p.add_argument("--log-every", type=int, default=50)
    p.add_argument("--samples", type=int, default=4, help="photos in the sample grid")
    p.add_argument("--resume", action="store_true",
                   help="continue from RUN_DIR/last.pt (with --init-from: start from those weights when there is none)")
    p.add_argument("--init-from", metavar="WEIGHTS", help="start from these .safetensors weights (e.g. the shipped ones); "
                   "their card's runs are carried into this run's record")
    p.add_argument("--no-progress", action="store_true")


def setup_distributed(device_arg: str) -> tuple[int, int, torch.device]:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    cuda = device_arg == "cuda" or (device_arg == "auto" and torch.cuda.is_available())
    local = int(os.environ.get("LOCAL_RANK", "0"))
    device = torch.device("cuda", local) if cuda else torch.device("cpu")
    if cuda:
        torch.cuda.set_device(device)
    if world > 1:
        dist.init_process_group("nccl" if cuda else "gloo")
        return dist.get_rank(), world, device
    return 0, 1, device


def _photo_weights(args, photos: PhotoFolder, n: int) -> list[float] | None:
    """``--source-weight``'s sampling weights for the ``n`` items the loader draws from (None: each
    once per epoch)."""
    if not args.source_weight:
        return None
    if n != len(photos.files):
        raise SystemExit(f"error: --source-weight: {args.backend} does not draw one item per photo")
    try:
        return source_weights(photos.files, dict(map(_split_source_weight, args.source_weight)))
    except ValueError as error:
        raise SystemExit(f"error: --source-weight: {error}") from error


def build_model(args, task, pretrained: bool = True) -> torch.nn.Module:
    """``pretrained``: the encoder starts from ImageNet (pointless when a checkpoint or --init-from replaces it)."""
    config = task.config_cls(finetune_from=-1 if args.encoder == "freeze" else args.finetune_from, working_size=args.size)
    model = task.model_cls(config)
    if pretrained and task.pretrained_encoder and not args.no_pretrained:
        load_pretrained_weights(model.trunk.encoder)
    return model


def make_optimizer(model, args, task):
    """AdamW with a linear warm-up, then a cosine decay that ends at ``args.total_steps``, read at
    every step: a time budget may re-target it."""
    opt = torch.optim.AdamW(task.param_groups(model, args), weight_decay=args.weight_decay, betas=task.betas)

    def factor(step: int) -> float:
        total = args.total_steps
        warm = min(args.warmup, max(1, total // 10))
        if step < warm:
            return (step + 1) / warm
        return 0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(1.0, (step - warm) / max(1, total - warm))))

    return opt, torch.optim.lr_scheduler.LambdaLR(opt, factor)


@torch.no_grad()
def validate(model, loader, device, n_samples: int, grid_path, decode=lambda pred, size: pred,
             inputs=lambda lightness, ab: (lightness,)) -> dict:
    model.eval()
    results, rows = [], []
    for lightness, ab_true in loader:
        pred = model(*inputs(lightness.to(device), ab_true.to(device)))
        ab_pred = decode(pred, lightness.shape[-2:]).float().cpu()
        for L, p, t in zip(lightness[:, 0].numpy(), ab_pred.permute(0, 2, 3, 1).numpy(), ab_true.permute(0, 2, 3, 1).numpy()):
            results.append(metrics.scores(L, p, t))
            if len(rows) < n_samples:
                rows.append((L, p, t))
    model.train()
    if rows:
        metrics.sample_grid(rows, grid_path)
    return {f"val_{k}": float(np.mean([r[k] for r in results])) for k in ("psnr", "ab_l2", "auc", "cf")}


class TimeBudget:
    """Re-targets the run's step count so that it ends ``minutes`` after it started, from the speed
    measured so far (validations included) after the first ``settle`` steps, which pay for warm-up."""

    def __init__(self, minutes: float, first_step: int, settle: int = 20):
        self.seconds, self.first_step, self.settle = minutes * 60.0, first_step, settle
        self.t_start = time.time()
        self.mark: tuple[int, float] | None = None

    def total_steps(self, step: int, current_total: int) -> int:
        now = time.time()
        if self.mark is None:
            if step - self.first_step >= self.settle:
                self.mark = (step, now)
            return current_total
        done, spent = step - self.mark[0], now - self.mark[1]
        if done <= 0 or spent <= 0:
            return current_total
        left = self.seconds - (now - self.t_start)
        return step + max(0, int(left * done / spent))  # over the budget: this step is the last


def across_ranks(value: int, op, world: int, device: torch.device) -> int:
    """``value`` reduced over the processes by ``op`` (``dist.ReduceOp``), so that every rank takes
    the same decision (when to stop); ``value`` itself with one process."""
    if world == 1:
        return value
    tensor = torch.tensor([value], dtype=torch.int64, device=device)
    dist.all_reduce(tensor, op=op)
    return int(tensor.item())


def trim_log(path: Path, step: int) -> None:
    """Drop the log's rows after ``step``: a resumed run logs those steps again."""
    if not path.exists():
        return
    with open(path, newline="") as f:
        table = list(csv.reader(f))
    kept = [table[0]] + [row for row in table[1:] if row and row[0].isdigit() and int(row[0]) <= step]
    if len(kept) < len(table):
        tmp = path.with_name(path.name + ".part")
        with open(tmp, "w", newline="") as f:
            csv.writer(f).writerows(kept)
        os.replace(tmp, path)


def log_columns(path: Path) -> list[str]:
    """The columns of an existing log (runs from before a column existed lack it), else today's."""
    with open(path, newline="") as f:
        header = next(csv.reader(f), None)
    return header or LOG_FIELDS


class StopTraining(Exception):
    """Raised between steps once a stop was asked for: the state is consistent and gets saved."""


class StopFlag:
    """The first Ctrl-C or SIGTERM asks to stop after the current step (which then
    saves a consistent checkpoint); a second one interrupts at once, unsaved."""

    def __init__(self):
        self.requested = False
        self.previous = {sig: signal.signal(sig, self._handle) for sig in (signal.SIGINT, signal.SIGTERM)}

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def restore(self) -> None:
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)


def _ignore_stop_signals(worker_id: int) -> None:
    # Ctrl-C, or a SIGTERM sent to the whole process group (a session ending, `kill -- -PGID`), reaches the
    # workers too: only the main process stops, saves, then shuts them down. A worker killed first made the
    # main process fail with "DataLoader worker is killed" before it could save.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def stop_requested(stop: StopFlag, world: int, device: torch.device) -> bool:
    return bool(across_ranks(int(stop.requested), dist.ReduceOp.MAX, world, device))  # one rank asked: all stop


def main(args) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    out = Path(args.out)
    ckpt = None
    if args.resume and (out / "last.pt").exists():
        ckpt = checkpoint.load(out / "last.pt")
    elif args.resume and not args.init_from:
        raise SystemExit(f"error: --resume: there is no {out / 'last.pt'} to resume")
    elif args.resume:
        print(f"resume: no {out / 'last.pt'}; starting from {args.init_from}", flush=True)
    if ckpt:  # the saved run decides everything that changes the numbers
        new_steps = args.steps
        for key in RUN_KEYS:
            if key in ckpt["args"]:  # runs from before a key existed lack it
                setattr(args, key, ckpt["args"][key])
        if new_steps and new_steps != args.steps:
            # Shortening or lengthening a run re-targets the cosine decay from this step on.
            print(f"resume: total steps {args.steps} -> {new_steps}", flush=True)
            args.steps = new_steps
    rank, world, device = setup_distributed(args.device)
    main_proc = rank == 0
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    for flag, value in (("--colorfulness-floor", args.colorfulness_floor), ("--skin-tone-weight", args.skin_tone_weight)):
        if value is not None and args.backend not in ("regression", "gan"):
            raise SystemExit(f"error: {flag} is for the regression and gan backends, not {args.backend}")
    task = BACKENDS[args.backend](args, main_proc)

    photos = PhotoFolder(args.data, args.size, args.crop, train=True)
    train_set = task.wrap_dataset(photos, True, out)
    sampler = EpochSampler(len(train_set), args.seed, rank, world, weights=_photo_weights(args, photos, len(train_set)))
    steps_per_epoch = len(sampler) // args.batch_size
    if steps_per_epoch < 1:
        raise SystemExit(f"{len(train_set)} photos make no batch of {args.batch_size} per process")
    args.total_steps = args.steps or args.epochs * steps_per_epoch
    if args.time_budget:
        args.total_steps = 10**9  # until the budget has measured the speed
    # Each new iterator draws its workers' base seed from `generator`: from the global RNG (which the
    # models' training noise uses) it would make a resumed run's noise differ from the uninterrupted one.
    loader = DataLoader(train_set, args.batch_size, sampler=sampler, num_workers=args.workers,
                        drop_last=True, worker_init_fn=_ignore_stop_signals, persistent_workers=args.workers > 0,
                        generator=torch.Generator().manual_seed(args.seed))
    val_loader = None
    if args.val and main_proc:
        val_set = PhotoFolder(args.val, args.size, args.size, train=False)
        if args.val_limit:
            val_set.files = val_set.files[: args.val_limit]
        val_set = task.wrap_dataset(val_set, False, out)
        val_loader = DataLoader(val_set, 8, num_workers=0, generator=torch.Generator())

    model = build_model(args, task, pretrained=not (ckpt or args.init_from))
    task.init_model(model)
    init_from = None
    if args.init_from and not ckpt:
        task.load_init_weights(model, runs.load_init_weights(Path(args.init_from)))
        init_from = runs.weights_identity(Path(args.init_from))
    model = model.to(device)
    opt, sched = make_optimizer(model, args, task)
    amp = args.amp and device.type == "cuda"
    scaler = torch.amp.GradScaler("cuda", enabled=amp)
    step, epoch, best = 0, 0, -math.inf
    if ckpt:
        model.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["optimizer"])
        sched.load_state_dict(ckpt["scheduler"])
        scaler.load_state_dict(ckpt["scaler"])
        step, epoch, best = ckpt["step"], ckpt["epoch"], ckpt["best_psnr"]
        checkpoint.set_rng_state(ckpt["rng"])
    if ckpt:  # a checkpoint from before runs were recorded stands for one run from step 0
        run_records = ckpt["runs"] if "runs" in ckpt else [runs.legacy_record(ckpt, out)]
    else:
        run_records = runs.runs_of_card(runs.card_of(args.init_from)) if args.init_from else []
    clock = runs.RunClock(runs.new_record(runs.command_line(getattr(args, "argv", None)), step, runs.hardware_name(device, world), init_from))
    run_records = [*run_records, clock.record]
    net = torch.nn.parallel.DistributedDataParallel(model, find_unused_parameters=task.ddp_find_unused) if world > 1 else model
    args.train_photos, args.world_size = len(train_set), world  # for the model card's epochs
    run_args = {k: v for k, v in vars(args).items()
                if isinstance(v, (int, float, str, bool, type(None))) or (isinstance(v, list) and all(isinstance(x, str) for x in v))}
    clock.record["settings"] = runs.training_command(run_args)  # the defaults it ran with, spelled out

    def save(name: str) -> None:
        clock.update(step, args.batch_size * world)
        checkpoint.save(out / name, {
            "runs": run_records,
            "model_args": {"backend": args.backend, "config": model.config.to_dict()},
            "args": run_args, "model": model.state_dict(), "optimizer": opt.state_dict(),
            "scheduler": sched.state_dict(), "scaler": scaler.state_dict(), "step": step,
            "epoch": epoch, "best_psnr": best, "rng": checkpoint.rng_state(),
        })

    log_file = writer = bar = None
    if main_proc:
        out.mkdir(parents=True, exist_ok=True)
        if ckpt:
            trim_log(out / "log.csv", step)  # rows past the checkpoint were lost with the stopped process
        elif (out / "log.csv").exists():  # a fresh start in a folder with an old log: keep it apart
            (out / "log.csv").rename(out / f"log-before-{time.strftime('%Y%m%d-%H%M%S')}.csv")
        new_log = not (out / "log.csv").exists()
        fields = LOG_FIELDS if new_log else log_columns(out / "log.csv")  # a run's older log keeps its columns
        log_file = open(out / "log.csv", "a", newline="")
        writer = csv.DictWriter(log_file, fields, extrasaction="ignore")
        if new_log:
            writer.writeheader()
        skipped = train_set.skipped
        length = f"about {args.time_budget:g} min" if args.time_budget else f"{args.total_steps} steps"
        print(f"{len(train_set)} training photos ({skipped} skipped), {world} process(es) on {device}, "
              f"{steps_per_epoch} steps/epoch, {length}", flush=True)
        bar = tqdm(total=args.total_steps, initial=step, disable=args.no_progress, dynamic_ncols=True, mininterval=2)

    model.train()
    budget = TimeBudget(args.time_budget, step) if args.time_budget else None
    stop = StopFlag()
    t_start = t_saved = time.time()
    t_mark, seen, loss_sum, loss_n, parts, parts_n = time.time(), 0, 0.0, 0, {}, {}
    try:
        while step < args.total_steps:
            done_in_epoch = step - epoch * steps_per_epoch
            if done_in_epoch >= steps_per_epoch:
                epoch, done_in_epoch = epoch + 1, 0
            sampler.set_epoch(epoch, start=done_in_epoch * args.batch_size)
            for lightness, ab in loader:
                lightness, ab = lightness.to(device, non_blocking=True), ab.to(device, non_blocking=True)
                loss = task.step(net, lightness, ab, opt, scaler, amp, step)
                sched.step()
                step += 1
                seen += lightness.shape[0] * world
                if budget and (step % args.log_every == 0 or budget.mark is None):
                    args.total_steps = across_ranks(budget.total_steps(step, args.total_steps), dist.ReduceOp.MIN, world, device)
                    if bar:
                        bar.total = args.total_steps
                loss_sum, loss_n = loss_sum + loss.item(), loss_n + 1
                for key, value in task.loss_parts(model).items():
                    parts[key] = parts.get(key, 0.0) + value
                    parts_n[key] = parts_n.get(key, 0) + 1
                if main_proc:
                    ips = seen / max(time.time() - t_mark, 1e-9)
                    bar.update(1)
                    bar.set_postfix(loss=f"{loss_sum / loss_n:.5f}", img_s=f"{ips:.1f}", refresh=False)
                    row = None
                    if step % args.log_every == 0 or step % args.val_every == 0 or step == args.total_steps:
                        row = {"step": step, "epoch": epoch, "time_s": round(time.time() - t_start, 1),
                               "lr": f"{sched.get_last_lr()[0]:.3g}", "train_loss": f"{loss_sum / loss_n:.6f}",
                               "images_per_s": f"{ips:.2f}",
                               "loss_parts": " ".join(f"{k}={parts[k] / parts_n[k]:.4g}" for k in parts)}
                        t_mark, seen, loss_sum, loss_n, parts, parts_n = time.time(), 0, 0.0, 0, {}, {}
                    if val_loader and (step % args.val_every == 0 or step == args.total_steps):
                        grid = out / f"samples_step{step:07d}.png"
                        result = (task.validate(model, val_loader, device, args.samples, grid) if task.validate
                                  else validate(model, val_loader, device, args.samples, grid, task.decode, task.inputs))
                        row.update({k: f"{v:.4f}" for k, v in result.items()})
                        extra = {}
                        for name, inputs in task.extra_validations().items():  # e.g. guided: with 10 hints
                            more = validate(model, val_loader, device, args.samples,
                                            out / f"samples_step{step:07d}_{name}.png", task.decode, inputs)
                            extra.update({f"{name}_{k.removeprefix('val_')}": v for k, v in more.items()})
                        if extra:
                            row["val_extra"] = " ".join(f"{k}={v:.4f}" for k, v in extra.items())
                        result.update({f"val_{k}": v for k, v in extra.items()})
                        bar.write(f"step {step}: " + ", ".join(f"{k} {v:.4f}" for k, v in result.items()))
                        if task.selection_score(result) > best:
                            best = task.selection_score(result)
                            save("best.pt")
                        save("last.pt")
                        if args.keep_checkpoints:  # to choose from later by eye and by several scores
                            save(f"step{step:07d}.pt")
                        t_saved = time.time()
                    if row:
                        writer.writerow(row)
                        log_file.flush()
                    if time.time() - t_saved > args.save_every_min * 60:
                        save("last.pt")
                        t_saved = time.time()
                # Only now, after this step's log row, validation and checkpoints: a stop loses none of them.
                if stop_requested(stop, world, device):
                    raise StopTraining
                if step >= args.total_steps:
                    break
        if main_proc:
            save("last.pt")
        if world > 1:
            # Rank 0 still validates and saves after the last step; a rank that tears its
            # gloo connections down meanwhile can abort the others.
            dist.barrier()
    except StopTraining:
        if main_proc:
            save("last.pt")
            print(f"\nstopped: saved {out / 'last.pt'} at step {step}", flush=True)
        return 130
    except KeyboardInterrupt:  # a second Ctrl-C: at once, leaving the last consistent checkpoint as it was
        if main_proc:
            print(f"\ninterrupted: not saved; {out / 'last.pt'} holds the last consistent checkpoint", flush=True)
        return 130
    finally:
        stop.restore()
        if bar:
            bar.close()
        if log_file:
            log_file.close()
        if world > 1 and dist.is_initialized():
            dist.destroy_process_group()
    return 0
