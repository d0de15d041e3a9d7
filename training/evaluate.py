"""``python -m training eval``: score installed backends through the same host API the app uses.

Protocol of the literature: short side scaled to 256 px, 256×256 center crop, sRGB.
Every backend is compared with the grayscale baseline (ab = 0) on the same images.

    python -m training eval --data ../shared/data/test --samples 8 --json

Guided colorization: ``--hints 0 1 2 5 10 20`` scores each backend once per count N, with N
hints per photo drawn from the truth (seeded positions, each the mean ab of a 5×5 patch;
the first N of a photo's hints are the same for every N); ``--reference-truth`` gives each
photo itself, in color, as the reference photo.

    python -m training eval --data ../shared/data/test --backends regression --hints 0 1 2 5 10 20
    python -m training eval --data ../shared/data/test --backends regression --reference-truth
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps
from tqdm import tqdm

from plugins.color import lightness_to_gray, srgb_to_lab, srgb_to_lightness
from plugins.host import PluginHost, build_options
from plugins.errors import TinctError
from plugins.host.pipeline import MergedSample, colorize_lightness
from plugins.host.reference import fit_reference
from plugins.host.runner import parse_param
from plugins.types import ColorHint
from training import quality as metrics
from training.semantic import TopOneClassifier, top1_agreement

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".bmp"}
HINT_PATCH = 5
"""Side in px of the truth's patch whose mean ab a drawn hint carries; the hint's radius is half of it."""


@dataclass
class SampleScores:
    psnr: float
    auc: float
    colorfulness: float
    delta_cf: float = 0.0
    top1_agreement: float | None = None  # with --semantic: the classifier's top-1 class as on the truth


@dataclass
class Report:
    backend: str
    images: int
    samples: list[SampleScores] = field(default_factory=list)
    best_of_n_psnr: float | None = None
    diversity: float | None = None
    seconds_per_image: float | None = None
    truth_colorfulness: float = 0.0
    hints: int | None = None  # with --hints: hints drawn per photo
    reference: str | None = None  # with --reference-truth: "truth"


def photo_paths(folder: Path) -> list[Path]:
    """The photos under ``folder`` (recursive), sorted by path."""
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in PHOTO_SUFFIXES and p.is_file())


def load_eval_image(path: Path, size: int = 256) -> np.ndarray:
    """Short side to ``size`` px (bilinear, antialiased), then a ``size``×``size`` center crop: ``uint8 (size, size, 3)``."""
    with Image.open(path) as image:
        image = ImageOps.exif_transpose(image).convert("RGB")
        scale = size / min(image.size)
        resized = image.resize((max(size, round(image.width * scale)), max(size, round(image.height * scale))), Image.BILINEAR)
    left, top = (resized.width - size) // 2, (resized.height - size) // 2
    return np.asarray(resized.crop((left, top, left + size, top + size)))


def to_uint8(rgb: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(rgb * 255.0), 0, 255).astype(np.uint8)


def scores_of(results: list[np.ndarray], truths: list[np.ndarray]) -> SampleScores:
    return SampleScores(
        psnr=float(np.mean([metrics.psnr(r, t) for r, t in zip(results, truths)])),
        auc=float(np.mean([metrics.auc(r, t) for r, t in zip(results, truths)])),
        colorfulness=float(np.mean([metrics.colorfulness(r) for r in results])),
    )


def finish(report: Report, per_sample: list[list[np.ndarray]], truths: list[np.ndarray], semantic=None) -> Report:
    """``semantic``: (a TopOneClassifier, the truths' top-1 labels), to score semantic plausibility."""
    report.truth_colorfulness = float(np.mean([metrics.colorfulness(t) for t in truths]))
    for results in per_sample:
        scores = scores_of(results, truths)
        scores.delta_cf = abs(scores.colorfulness - report.truth_colorfulness)
        if semantic:
            classify, truth_labels = semantic
            scores.top1_agreement = top1_agreement(truth_labels, classify(results))
        report.samples.append(scores)
    if len(per_sample) > 1:
        best = [max(metrics.psnr(s[i], truths[i]) for s in per_sample) for i in range(len(truths))]
        report.best_of_n_psnr = float(np.mean(best))
    return report


def grayscale_of(truth: np.ndarray) -> np.ndarray:
    """The black-and-white version of an 8-bit sRGB photo (ab = 0), ``uint8 (H, W, 3)``."""
    return to_uint8(np.repeat(lightness_to_gray(srgb_to_lightness(truth / 255.0))[..., None], 3, -1))


def evaluate_grayscale(truths: list[np.ndarray], semantic=None) -> Report:
    results = [grayscale_of(t) for t in truths]
    return finish(Report("grayscale", len(truths)), [results], truths, semantic)


def draw_hints(truth: np.ndarray, count: int, rng: np.random.Generator) -> tuple[ColorHint, ...]:
    """``count`` hints at random positions of an 8-bit sRGB ``truth``, each the mean ab of the
    :data:`HINT_PATCH` × :data:`HINT_PATCH` patch around it, radius half the patch.

    Positions are drawn one hint at a time, so a generator seeded alike gives the same first hints for any count.
    """
    lab = srgb_to_lab(truth / 255.0)
    half = HINT_PATCH // 2
    height, width = truth.shape[:2]
    hints = []
    for _ in range(count):
        x, y = int(rng.integers(half, width - half)), int(rng.integers(half, height - half))
        a, b = lab[y - half : y + half + 1, x - half : x + half + 1, 1:].reshape(-1, 2).mean(axis=0)
        hints.append(ColorHint(x, y, (float(a), float(b)), radius=half))
    return tuple(hints)


def evaluate_backend(host: PluginHost, backend_id: str, truths: list[np.ndarray], samples: int, seed: int, device: str,
                     temperature: float | None = None, params: dict[str, float] | None = None, semantic=None,
                     hints: int | None = None, reference_truth: bool = False) -> Report:
    """Score one backend; ``hints`` draws that many hints per photo (:func:`draw_hints`, seeded by
    ``seed`` and the photo's position), ``reference_truth`` gives each photo itself as the reference."""
    backend = host.loaded(backend_id, device)
    options, _ = build_options(backend.info, device=backend.device, samples=samples, seed=seed, temperature=temperature,
                               params=params)
    per_sample: list[list[np.ndarray]] = [[] for _ in range(options.samples)]
    diversity, seconds = [], []
    for number, truth in enumerate(tqdm(truths, desc=backend_id, disable=not sys.stderr.isatty(), leave=False)):
        lightness = srgb_to_lightness(truth / 255.0)
        guided = options
        if hints:
            guided = replace(guided, hints=draw_hints(truth, hints, np.random.default_rng([seed, number])))
        if reference_truth:
            guided = replace(guided, reference=fit_reference(srgb_to_lab(truth / 255.0), options.working_size))
        start = time.perf_counter()
        merged = [e for e in colorize_lightness(backend, lightness, guided) if isinstance(e, MergedSample)]
        seconds.append(time.perf_counter() - start)
        results = [to_uint8(m.rgb) for m in merged]
        for index, result in enumerate(results):
            per_sample[index].append(result)
        if len(results) > 1:
            diversity.append(metrics.mean_pairwise_ab_distance([metrics.ab_of(r) for r in results]))
    report = finish(Report(backend_id, len(truths)), per_sample, truths, semantic)
    report.hints, report.reference = hints, "truth" if reference_truth else None
    report.seconds_per_image = float(np.median(seconds))
    report.diversity = float(np.mean(diversity)) if diversity else None
    return report


def markdown_table(reports: list[Report]) -> str:
    """One row per report and sample; a ``hints`` column when any report was scored with hints."""
    semantic = any(s.top1_agreement is not None for r in reports for s in r.samples)
    guided = any(r.hints is not None for r in reports)
    lines = [
        "| backend |" + (" hints |" if guided else "") + " sample | PSNR dB | AuC | colorfulness | ΔCF | best-of-N PSNR | diversity | s/image |"
        + (" top-1 agreement |" if semantic else ""),
        "|---|" + ("---|" if guided else "") + "---|---|---|---|---|---|---|---|" + ("---|" if semantic else ""),
    ]
    for report in reports:
        name = report.backend + (f" + reference ({report.reference})" if report.reference else "")
        if guided:
            name += f" | {'' if report.hints is None else report.hints}"
        for k, s in enumerate(report.samples, start=1):
            extra = ["", "", ""]
            if k == 1:
                extra = [
                    f"{report.best_of_n_psnr:.2f}" if report.best_of_n_psnr else "",
                    f"{report.diversity:.1f}" if report.diversity else "",
                    f"{report.seconds_per_image:.3f}" if report.seconds_per_image else "",
                ]
            label = str(k) if len(report.samples) > 1 else ""
            agreement = [f"{s.top1_agreement:.3f}" if s.top1_agreement is not None else ""] if semantic else []
            lines.append(f"| {name} | {label} | {s.psnr:.2f} | {s.auc:.3f} | {s.colorfulness:.1f} | {s.delta_cf:.1f} | "
                         + " | ".join(extra + agreement) + " |")
    truth = reports[0].truth_colorfulness if reports else 0.0
    lines.append("| ground truth |" + (" |" if guided else "") + f" | | 1 | {truth:.1f} | 0 | | | |" + (" 1 |" if semantic else ""))
    return "\n".join(lines)


def param_value(text: str) -> tuple[str, float]:
    try:
        return parse_param(text)
    except TinctError as error:
        raise argparse.ArgumentTypeError(f"{error}, not {text}") from None


def hint_count(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        count = -1
    if count < 0:
        raise argparse.ArgumentTypeError(f"a number of hints is a whole number of at least 0, not {text}")
    return count


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True, type=Path, help="folder of color photos (recursive)")
    parser.add_argument("--backends", nargs="*", help="backend ids (default: every installed backend with weights)")
    parser.add_argument("--samples", type=int, default=1, help="samples per photo for backends that make several")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--temperature", type=float, help="sampling temperature (default: each backend's own)")
    parser.add_argument("--param", action="append", default=[], type=param_value, metavar="NAME=VALUE",
                        help="a backend option, e.g. smoothing=0.5 (repeatable; every backend evaluated must have it)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--limit", type=int, help="only the first N photos (sorted by name)")
    parser.add_argument("--semantic", action="store_true",
                        help="also score semantic plausibility: Lite0's ImageNet top-1 class as on the true photo")
    parser.add_argument("--hints", nargs="+", type=hint_count, metavar="N",
                        help="score each backend once per N, with N hints per photo drawn from the truth, e.g. 0 1 2 5 10 20")
    parser.add_argument("--reference-truth", action="store_true",
                        help="give each photo itself, in color, as the reference photo")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a markdown table")


def main(args: argparse.Namespace) -> int:
    paths = photo_paths(args.data)[: args.limit]
    if not paths:
        print(f"error: {args.data}: no photos found", file=sys.stderr)
        return 2
    truths = []
    for path in paths:
        try:
            truths.append(load_eval_image(path))
        except (OSError, ValueError, Image.DecompressionBombError) as error:  # PIL's unreadable-file errors
            print(f"warning: skipping {path}: {error}", file=sys.stderr)
    if len(truths) < len(paths):
        print(f"{len(paths) - len(truths)} of {len(paths)} photos skipped", file=sys.stderr)
    if not truths:
        print(f"error: {args.data}: no readable photos", file=sys.stderr)
        return 2
    host = PluginHost.discover()
    backend_ids = args.backends if args.backends is not None else [
        e.info.id for e in host.backends if e.info.weights and host.weights_status(e).ok
    ]
    semantic = None
    if args.semantic:
        classify = TopOneClassifier()
        semantic = (classify, classify(truths))
    reports = [evaluate_grayscale(truths, semantic)]
    params = dict(args.param)
    counts = args.hints if args.hints is not None else [None]
    reports += [evaluate_backend(host, b, truths, args.samples, args.seed, args.device, args.temperature, params, semantic,
                                 hints=n, reference_truth=args.reference_truth)
                for b in backend_ids for n in counts]
    print(json.dumps([asdict(r) for r in reports], indent=2, allow_nan=False) if args.json else markdown_table(reports))
    return 0
