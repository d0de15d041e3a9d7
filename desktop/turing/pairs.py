"""Each round's two pictures: the real photo, and a colorization of its gray version by the round's
contender, in the same crop at the same size (no Qt; the job runs on a worker thread, in the backend lane).

Both pictures go through the same steps after the colorization (one resize, one center crop) so that
nothing but the colors tells them apart. The backend sees the whole photo, as when colorizing it in the
app; the square crop comes after.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping, Sequence

import cv2
import numpy as np
from PIL import Image, ImageCms, ImageOps

from desktop.turing.plan import Round
from plugins.color import fit_short_side, srgb_to_lab, srgb_to_lightness
from plugins.errors import ImageError, TinctError
from plugins.host import PluginHost, build_options
from plugins.host.discovery import describe
from plugins.host.merge import Merger
from plugins.host.pipeline import colorize_samples
from plugins.imageio import icc, limits
from plugins.imageio.lightness import COLOR_CHROMA
from plugins.types import Sample

DISPLAY_SIDE = 384
"""Each picture of a pair is a square this many px wide (Zhang et al. showed 256 px)."""
COLORIZE_SIDE = 768
"""The gray version's short side: what the backend gets (it works at its own size from there)."""


@dataclass(frozen=True, eq=False)
class Pair:
    number: int
    """The round's number."""
    real: np.ndarray
    """``uint8 (side, side, 3)``"""
    colorized: np.ndarray


@dataclass(frozen=True)
class PairFailed:
    number: int
    reason: str


@dataclass(frozen=True)
class PairsProgress:
    done: int
    total: int


def read_color_photo(path: Path, short_side: int = COLORIZE_SIDE) -> np.ndarray:
    """A photo as sRGB ``uint8 (h, w, 3)``, upright, its short side at most ``short_side``.

    Raises ImageError (one line) for a file that cannot be read or has no color."""
    path = Path(path)
    limits.check_file(path)
    try:
        with limits.pillow_size_check_disabled(), Image.open(path) as image:
            limits.check_size(image.size, limits.pixel_limit(None))
            image.draft("RGB", (short_side, short_side))  # JPEG: decode at a fraction of the size
            image = ImageOps.exif_transpose(image)
            profile = image.info.get("icc_profile") if image.mode in ("RGB", "RGBA") else None
            rgb = np.asarray(image.convert("RGB"))
            if profile and icc.color_space(icc.load_profile(profile)) == "RGB" and not icc.is_srgb_like(profile):
                rgb = icc.to_srgb8(rgb, icc.load_profile(profile))
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError, ImageCms.PyCMSError) as error:
        raise ImageError(f"cannot read it: {error}") from error
    if min(rgb.shape[:2]) > short_side:
        rgb = fit_short_side(rgb, short_side)
    if not has_color(rgb):
        raise ImageError("it is not a color photo")
    return np.ascontiguousarray(rgb)


def has_color(rgb: np.ndarray) -> bool:
    """Real color (the reader's own rule for a color photo): the 99th percentile of Lab chroma."""
    small = fit_short_side(rgb, 128) if min(rgb.shape[:2]) > 128 else rgb
    lab = srgb_to_lab(small.astype(np.float32) / 255.0)
    return float(np.percentile(np.hypot(lab[..., 1], lab[..., 2]), 99)) > COLOR_CHROMA


def for_display(rgb: np.ndarray, side: int = DISPLAY_SIDE) -> np.ndarray:
    """The short side to ``side`` px (shrinking only), then the centered square."""
    h, w = rgb.shape[:2]
    if min(h, w) > side:
        rgb = cv2.resize(rgb, (round(w * side / min(h, w)), round(h * side / min(h, w))), interpolation=cv2.INTER_AREA)
        h, w = rgb.shape[:2]
    square = min(h, w, side)
    top, left = (h - square) // 2, (w - square) // 2
    return np.ascontiguousarray(rgb[top:top + square, left:left + square])


def make_pair(backend, options, round_: Round, side: int = DISPLAY_SIDE) -> Iterator[Pair | None]:
    """Yields None at the backend's progress events (cancel points), then the round's Pair."""
    real = read_color_photo(round_.photo)
    lightness = srgb_to_lightness(real.astype(np.float32) / 255.0)  # the gray version
    ab = None
    events = colorize_samples(backend, lightness, options)
    try:
        for event in events:
            if isinstance(event, Sample):
                ab = event.ab
                break
            yield None
    finally:
        events.close()
    if ab is None:
        raise TinctError(f"{backend.info.id} made no colorization")
    colorized = Merger(lightness).merge_uint8(ab)
    yield Pair(round_.number, for_display(real, side), for_display(colorized, side))


def make_pairs(host: PluginHost, rounds: Sequence[Round], contenders: Mapping[str, object],
               side: int = DISPLAY_SIDE) -> Iterator[Pair | PairFailed | PairsProgress | None]:
    """The job: every round's Pair (or PairFailed, with a one-line reason), one contender after another
    so each backend loads once. Progress says only how many are done: not which photo goes to which backend."""
    total, done = len(rounds), 0
    yield PairsProgress(done, total)
    for label, settings in contenders.items():
        its_rounds = [r for r in rounds if r.contender == label]
        if not its_rounds:
            continue
        try:
            backend = host.loaded(settings.backend_id, settings.device)
            options, _notes = build_options(backend.info, device=backend.device, samples=1, seed=settings.seed,
                                            working_size=settings.working_size or None,
                                            temperature=settings.temperature, params=settings.params)
        except Exception as error:  # noqa: BLE001 - a contender that cannot run loses its rounds, nothing more
            reason = f"{label}: {error if isinstance(error, TinctError) else describe(error)}"
            for round_ in its_rounds:
                yield PairFailed(round_.number, reason)
            done += len(its_rounds)
            yield PairsProgress(done, total)
            continue
        for round_ in its_rounds:
            try:
                yield from make_pair(backend, options, round_, side)
            except TinctError as error:
                yield PairFailed(round_.number, f"{round_.photo.name}: {error}")
            except Exception as error:  # noqa: BLE001 - one bad photo never stops the test
                yield PairFailed(round_.number, f"{round_.photo.name}: internal error: {describe(error)}")
            done += 1
            yield PairsProgress(done, total)
