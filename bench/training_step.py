"""Where a training step's time goes, per backend, on this machine's CPU (or GPU).

    python bench/training_step.py [--backend regression|gan|palette|deepcolor|guided] [--crop 176] [--batch-size 16]
        [--repeats 5] [--pixels 1024]

Prints medians over the repeats of: one whole optimizer step, the encoder's forward pass alone
(what caching its features could save, were it frozen), the step with the encoder frozen, the
loss alone, and the data pipeline (decoding a photo of ../shared/data/train, cropping, Lab) per
photo. The model is randomly initialised: speed does not depend on what it learned. ``deepcolor``
trains on ``--pixels`` sampled pixels per photo: its step also counts pixels per second. ``guided``'s
step includes simulating the batch's hints (timed alone too).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def median_seconds(work, repeats: int) -> float:
    work()  # warm-up: allocations, first-call dispatch
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    from desktop.cli import positive_int

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["regression", "gan", "palette", "deepcolor", "guided"], default="regression")
    parser.add_argument("--crop", type=positive_int, default=176)
    parser.add_argument("--batch-size", type=positive_int, default=16)
    parser.add_argument("--repeats", type=positive_int, default=5)
    parser.add_argument("--pixels", type=positive_int, default=1024, help="deepcolor: pixels sampled per photo")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "train")
    args = parser.parse_args()

    import torch

    from plugins.backbones import normalize_lightness
    from plugins.backends.gan.model import GANConfig
    from plugins.backends.regression.model import RegressionConfig, RegressionModel
    from training.gan import GANTrainingModel
    from training.losses import LOSSES

    torch.manual_seed(0)
    n, crop = args.batch_size, args.crop
    lightness, ab = torch.rand(n, 1, crop, crop) * 100, torch.randn(n, 2, crop, crop) * 20
    blurred = LOSSES["blurred"]
    if args.backend == "gan":
        model = GANTrainingModel(GANConfig(), recon_loss=LOSSES["l1"], pretrained_teacher=False).train()
        opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], 1e-5)

        def step():
            for phase in ("critic", "generator"):
                loss = model(lightness, ab, phase)
                opt.zero_grad()
                loss.backward()
                opt.step()
        trunk = model.trunk
    elif args.backend == "palette":
        from plugins.backends.palette.model import PaletteConfig, PaletteModel
        from training.palette import palette_cross_entropy

        model = PaletteModel(PaletteConfig()).train()
        palette = torch.randn(model.config.colors, 2) * 30
        opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], 1e-5)

        def step():
            loss = palette_cross_entropy(model(lightness), ab, palette)
            opt.zero_grad()
            loss.backward()
            opt.step()
        trunk = model.trunk
    elif args.backend == "deepcolor":
        from plugins.backends.deepcolor.model import DeepColorConfig, DeepColorModel
        from training.deepcolor import ab_at, sample_pixels

        model = DeepColorModel(DeepColorConfig()).train()
        opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], 1e-5)

        def step():
            at = sample_pixels(n, crop, crop, args.pixels)
            loss = LOSSES["l2"](model(lightness, at), ab_at(ab, *at))
            opt.zero_grad()
            loss.backward()
            opt.step()
        trunk = model.trunk
    elif args.backend == "guided":
        from plugins.backends.guided.model import GuidedConfig, GuidedModel
        from training.guided import simulate_hints

        model = GuidedModel(GuidedConfig()).train()
        opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], 1e-5)

        def step():
            loss = blurred(model(lightness, *simulate_hints(ab)), ab)
            opt.zero_grad()
            loss.backward()
            opt.step()
        trunk = model.trunk
    else:
        model = RegressionModel(RegressionConfig()).train()
        opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], 1e-5)

        def step():
            loss = blurred(model(lightness), ab)
            opt.zero_grad()
            loss.backward()
            opt.step()
        trunk = model.trunk

    def encoder_forward():
        with torch.no_grad():
            trunk.encoder(normalize_lightness(lightness), grad_from=trunk.grad_from)

    def loss_alone():
        pred = torch.randn(n, 2, crop, crop, requires_grad=True)
        blurred(pred, ab).backward()

    whole = median_seconds(step, args.repeats)
    print(f"{args.backend}, batch {n} at {crop} px, {torch.get_num_threads()} threads:")
    print(f"  whole step           {whole:.3f} s  ({n / whole:.1f} photos/s, model only)")
    if args.backend == "deepcolor":
        print(f"                       ({n * min(args.pixels, crop * crop) / whole:.0f} pixels/s)")
    if args.backend == "guided":
        print(f"  hint simulation      {median_seconds(lambda: simulate_hints(ab), args.repeats):.3f} s")
    print(f"  encoder forward      {median_seconds(encoder_forward, args.repeats):.3f} s")
    print(f"  blurred loss (f+b)   {median_seconds(loss_alone, args.repeats):.3f} s")
    photos = sorted(args.data.glob("*.jpg"))[:100]
    if photos:
        from training.data import PhotoFolder

        data = PhotoFolder([args.data], 256, crop)
        start = time.perf_counter()
        for i in range(len(photos)):
            data[(i, i)]
        print(f"  data per photo       {(time.perf_counter() - start) / len(photos) * 1000:.1f} ms (decode, crop, Lab)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
