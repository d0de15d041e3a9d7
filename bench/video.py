"""Flicker, accuracy and speed of video colorization, temporal blending on against frame by frame.

    python bench/video.py [--data ../shared/data/test] [--clips 3] [--frames 60] [--backend regression]
                          [--size 640x360] [--working-size PX] [--seed 0] [--keep DIR]
    python bench/video.py --clip REAL.mp4 [--clip MORE.mp4] [--frames 150] [...]

Each clip is made from one photo (chosen by ``--seed``) by a smooth pan and zoom (cosine eased,
zooming 0-25 % in or out) with a little film grain (seeded Gaussian noise, slightly blurred, the
same on R, G and B), written losslessly (FFV1 in .mkv) so that its true colors are known. Both
modes colorize the clip's file through :func:`plugins.host.video.colorize_video`, exactly as
``tinct colorize clip.mkv`` does (read, colorize, flow, blend, merge, encode to H.264), and the
written .mp4 is read back. Per clip and mode it prints:

- the warping error of Lai et al. 2018 on the output's ab (mean over frame pairs of the mean
  squared ab difference between frame t and frame t+1 warped back, over the pixels of t still
  visible in t+1), once with the clip's true flow (known from the pan and zoom) and once with DIS
  flow estimated on the input lightness (medium preset, at full size, forward-backward checked),
  as one would on real footage; the true colors' own figure is the floor (interpolation and grain);
- PSNR (dB, sRGB) of each frame against its true colors, averaged;
- frames per second of the whole run (wall clock; the machine is shared, so medians over clips), and
  the CPU time it took per frame (this process's threads and ffmpeg's), which a busy machine inflates less.

With ``--clip`` (real footage, in place of the synthetic clips), the first ``--frames`` frames of each
color clip are shrunk to fit ``--size`` (area filter) and made black and white (each pixel's L* as a
neutral gray), written losslessly and colorized the same way. Its own colors are the truth, so only
DIS flow (on the gray clip's lightness) is known; the true colors' warping error after the same
H.264 encode is the floor the encoder alone puts under a written file, and each mode's figure is
also given above that floor.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from plugins.color import lightness_to_gray, srgb_to_lab  # noqa: E402
from plugins.host import PluginHost, build_options  # noqa: E402
from plugins.host.video import ClipReader, VideoProgress, colorize_video  # noqa: E402
from plugins.host.video.writer import ClipWriter  # noqa: E402
from plugins.host.video.ffmpeg import find_ffmpeg  # noqa: E402
from plugins.host.video.flicker import warping_error  # noqa: E402
from plugins.host.video.flow import DisFlow, flow_image, forward_backward_error, lands_inside  # noqa: E402
from plugins.host.video.frames import frame_lightness  # noqa: E402
from training.evaluate import photo_paths  # noqa: E402
from training.quality import psnr  # noqa: E402

FPS = 25
GRAIN_SIGMA = 2.5  # 8-bit codes
MAX_ZOOM = 1.25
OCCLUSION_PX = 1.0  # forward-backward mismatch above which estimated flow is not trusted


@dataclass(frozen=True)
class Clip:
    truth: list[np.ndarray]  # clean RGB frames
    noisy: list[np.ndarray]  # what is written and colorized
    flows: list[np.ndarray]  # true flow from frame t to t+1
    valid: list[np.ndarray]  # pixels of t visible in t+1


def _ease(t: np.ndarray) -> np.ndarray:
    return (1 - np.cos(np.pi * t)) / 2


def camera_path(photo_size: tuple[int, int], size: tuple[int, int], frames: int,
                rng: np.random.Generator) -> list[np.ndarray]:
    """Per frame, the 2×3 affine map from output pixels to photo pixels: a cosine-eased pan and zoom
    that keeps the window inside the photo."""
    photo, window = np.array(photo_size, float), np.array(size, float)
    base = min(photo / window)  # photo px per output px where the window just fits
    zooms = sorted((1.0, rng.uniform(1.1, MAX_ZOOM)), reverse=bool(rng.random() < 0.5))
    start, end = rng.uniform(-1, 1, 2), rng.uniform(-1, 1, 2)  # where the window is, as a share of the room to pan
    maps = []
    for eased in _ease(np.linspace(0, 1, frames)):
        scale = base / (zooms[0] + (zooms[1] - zooms[0]) * eased)
        room = (photo - window * scale) / 2
        center = photo / 2 + (start + (end - start) * eased) * room
        offset = center - scale * window / 2 + (scale - 1) / 2  # pixel centers at +0.5 in both images
        maps.append(np.array([[scale, 0, offset[0]], [0, scale, offset[1]]]))
    return maps


def true_flow(first: np.ndarray, second: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Flow from the frame of map ``first`` to that of ``second``, and where it stays inside the frame."""
    width, height = size
    columns, rows = np.meshgrid(np.arange(width, dtype=np.float64), np.arange(height, dtype=np.float64))
    photo_x = first[0, 0] * columns + first[0, 2]
    photo_y = first[1, 1] * rows + first[1, 2]
    flow = np.dstack([(photo_x - second[0, 2]) / second[0, 0] - columns,
                      (photo_y - second[1, 2]) / second[1, 1] - rows]).astype(np.float32)
    return flow, lands_inside(flow)


def make_clip(photo: np.ndarray, size: tuple[int, int], frames: int, rng: np.random.Generator) -> Clip:
    maps = camera_path((photo.shape[1], photo.shape[0]), size, frames, rng)
    truth, noisy = [], []
    for affine in maps:
        frame = cv2.warpAffine(photo, affine, size, flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP,
                               borderMode=cv2.BORDER_REFLECT)
        grain = cv2.GaussianBlur(rng.normal(0, GRAIN_SIGMA, size[::-1]).astype(np.float32), (0, 0), 0.7) * 1.6
        truth.append(frame)
        noisy.append(np.clip(frame.astype(np.float32) + grain[..., None], 0, 255).astype(np.uint8))
    flows, valid = zip(*(true_flow(a, b, size) for a, b in zip(maps, maps[1:])))
    return Clip(truth, noisy, list(flows), list(valid))


def write_lossless(frames: list[np.ndarray], path: Path, fps: Fraction | int = FPS) -> None:
    """FFV1 in .mkv through the bundled ffmpeg: the clip's pixels exactly."""
    height, width = frames[0].shape[:2]
    command = [find_ffmpeg().exe, "-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
               "-s", f"{width}x{height}", "-framerate", str(fps), "-i", "pipe:0", "-c:v", "ffv1", "-pix_fmt", "bgr0",
               str(path)]
    subprocess.run(command, input=b"".join(f.tobytes() for f in frames), check=True)


def read_frames(path: Path) -> list[np.ndarray]:
    with ClipReader(path) as reader:
        return list(reader.frames())


def real_clip(path: Path, size: tuple[int, int], frames: int) -> tuple[list[np.ndarray], Fraction]:
    """The first ``frames`` frames of a color clip, shrunk (area filter) to fit ``size`` with their aspect
    ratio and even sides, and its frame rate."""
    with ClipReader(path) as reader:
        width, height = reader.info.size
        scale = min(1.0, size[0] / width, size[1] / height)
        fit = (2 * round(width * scale / 2), 2 * round(height * scale / 2))
        chosen = []
        for frame in reader.frames():
            chosen.append(frame if fit == (width, height) else cv2.resize(frame, fit, interpolation=cv2.INTER_AREA))
            if len(chosen) == frames:
                break
        return chosen, reader.info.fps


def black_and_white(frames: list[np.ndarray]) -> list[np.ndarray]:
    """Each frame's L* as the neutral sRGB gray of that lightness: the clip as black-and-white film."""
    grays = (np.round(255 * lightness_to_gray(frame_lightness(f))).astype(np.uint8) for f in frames)
    return [np.repeat(gray[..., None], 3, axis=-1) for gray in grays]


def ab_frames(frames: list[np.ndarray]) -> list[np.ndarray]:
    return [srgb_to_lab(f.astype(np.float32) / 255.0)[..., 1:] for f in frames]


def estimated_flows(frames: list[np.ndarray]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """DIS flow (medium preset) of the input lightness from each frame to the next, and its non-occluded pixels."""
    forward, backward = DisFlow(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM), DisFlow(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    images = [flow_image(frame_lightness(f)) for f in frames]
    flows, valid = [], []
    for first, second in zip(images, images[1:]):
        there, back = forward(first, second), backward(second, first)
        flows.append(there)
        valid.append(lands_inside(there) & (forward_backward_error(there, back) < OCCLUSION_PX))
    return flows, valid


def mean_warping_error(abs_: list[np.ndarray], flows, valid) -> float:
    return float(np.mean([warping_error(a, b, f, v) for a, b, f, v in zip(abs_, abs_[1:], flows, valid)]))


def run_mode(backend, options, source: Path, target: Path, temporal: bool):
    """The frames as colorized (before encoding), as written (read back), frames per second (wall clock)
    and CPU seconds per frame."""
    start, cpu_start = time.perf_counter(), _cpu_seconds()
    colorized = []
    for event in colorize_video(backend, source, target, options, temporal=temporal, overwrite=True):
        if isinstance(event, VideoProgress):
            colorized.append(event.frame)
    rate = len(colorized) / (time.perf_counter() - start)
    return colorized, read_frames(target), rate, (_cpu_seconds() - cpu_start) / len(colorized)


def _cpu_seconds() -> float:
    """CPU time of this process (all threads) and its finished children (ffmpeg)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def as_written(frames: list[np.ndarray], source: Path, target: Path) -> list[np.ndarray]:
    """``frames`` through the same encoder as the results (H.264, 4:2:0), read back."""
    with ClipReader(source) as reader:
        info = reader.info
    with ClipWriter(target, info, find_ffmpeg(), overwrite=True) as writer:
        for frame in frames:
            writer.write(frame)
        writer.finish()
    return read_frames(target)


def bench_synthetic(args, size, backend, options, folder: Path) -> None:
    rng = np.random.default_rng(args.seed)
    paths = photo_paths(Path(args.data))
    chosen = [paths[i] for i in rng.choice(len(paths), args.clips, replace=False)]
    print(f"{args.clips} clips of {args.frames} frames at {size[0]}×{size[1]}, {FPS} fps, from {args.data}; "
          f"backend {args.backend} at working size {options.working_size}, seed {args.seed}")
    print("| clip | mode | warping error as colorized | as written (H.264 4:2:0) | as written, DIS flow "
          "| PSNR dB as written | frames/s | CPU ms/frame |")
    print("|---|---|---|---|---|---|---|---|")
    rows = []
    for number, path in enumerate(chosen, start=1):
        with Image.open(path) as image:
            photo = np.asarray(image.convert("RGB"))
        clip = make_clip(photo, size, args.frames, rng)
        source = folder / f"clip{number}.mkv"
        write_lossless(clip.noisy, source)
        dis_flows, dis_valid = estimated_flows(read_frames(source))
        truth_ab, written_ab = ab_frames(clip.truth), ab_frames(as_written(clip.truth, source, folder / "truth.mp4"))
        print(f"| {number} ({path.name}) | true colors | {mean_warping_error(truth_ab, clip.flows, clip.valid):.2f} "
              f"| {mean_warping_error(written_ab, clip.flows, clip.valid):.2f} "
              f"| {mean_warping_error(written_ab, dis_flows, dis_valid):.2f} | | | |")
        for mode, temporal in (("frame by frame", False), ("temporal", True)):
            target = folder / f"clip{number}.{mode.split()[0]}.mp4"
            colorized, written, rate, cpu = run_mode(backend, options, source, target, temporal)
            if len(written) != args.frames:
                raise SystemExit(f"clip {number}: {len(written)} frames written, not {args.frames}")
            written_ab = ab_frames(written)
            row = (mean_warping_error(ab_frames(colorized), clip.flows, clip.valid),
                   mean_warping_error(written_ab, clip.flows, clip.valid),
                   mean_warping_error(written_ab, dis_flows, dis_valid),
                   float(np.mean([psnr(f, t) for f, t in zip(written, clip.truth)])), rate, cpu)
            rows.append((temporal, row))
            print(f"| {number} | {mode} | {row[0]:.2f} | {row[1]:.2f} | {row[2]:.2f} | {row[3]:.2f} | {row[4]:.1f} "
                  f"| {1000 * row[5]:.0f} |")
    off = np.array([row for temporal, row in rows if not temporal])
    on = np.array([row for temporal, row in rows if temporal])
    reduction = 100 * np.median(1 - on[:, :3] / off[:, :3], axis=0)
    print(f"medians over {args.clips} clips, temporal against frame by frame: warping error {reduction[0]:.0f} % "
          f"lower as colorized, {reduction[1]:.0f} % as written ({reduction[2]:.0f} % with DIS flow); "
          f"PSNR {np.median(on[:, 3] - off[:, 3]):+.2f} dB; "
          f"{np.median(on[:, 4]):.1f} frames/s temporal, {np.median(off[:, 4]):.1f} frame by frame "
          f"(CPU {1000 * np.median(on[:, 5]):.0f} / {1000 * np.median(off[:, 5]):.0f} ms a frame)")


def bench_real(args, size, backend, options, folder: Path) -> None:
    print(f"{len(args.clip)} real clip(s), the first {args.frames} frames of each, fit to {size[0]}×{size[1]}, "
          f"made black and white; backend {args.backend} at working size {options.working_size}, seed {args.seed}; "
          "warping error with DIS flow of the gray clip")
    print("| clip | mode | warping error as colorized | as written (H.264 4:2:0) | as written, above the floor "
          "| PSNR dB as written | frames/s | CPU ms/frame |")
    print("|---|---|---|---|---|---|---|---|")
    rows = []
    for number, path in enumerate(map(Path, args.clip), start=1):
        truth, fps = real_clip(path, size, args.frames)
        source = folder / f"real{number}.mkv"
        write_lossless(black_and_white(truth), source, fps)
        flows, valid = estimated_flows(read_frames(source))
        floor = mean_warping_error(ab_frames(as_written(truth, source, folder / "truth.mp4")), flows, valid)
        height, width = truth[0].shape[:2]
        print(f"| {number} ({path.name}, {len(truth)} frames at {width}×{height}, {float(fps):g} fps) | true colors "
              f"| {mean_warping_error(ab_frames(truth), flows, valid):.2f} | {floor:.2f} (the floor) | | | | |")
        for mode, temporal in (("frame by frame", False), ("temporal", True)):
            target = folder / f"real{number}.{mode.split()[0]}.mp4"
            colorized, written, rate, cpu = run_mode(backend, options, source, target, temporal)
            if len(written) != len(truth):
                raise SystemExit(f"{path}: {len(written)} frames written, not {len(truth)}")
            written_error = mean_warping_error(ab_frames(written), flows, valid)
            row = (mean_warping_error(ab_frames(colorized), flows, valid), written_error, written_error - floor,
                   float(np.mean([psnr(f, t) for f, t in zip(written, truth)])), rate, cpu)
            rows.append((temporal, row))
            print(f"| {number} | {mode} | {row[0]:.2f} | {row[1]:.2f} | {row[2]:+.2f} | {row[3]:.2f} | {row[4]:.1f} "
                  f"| {1000 * row[5]:.0f} |")
    off = np.array([row for temporal, row in rows if not temporal])
    on = np.array([row for temporal, row in rows if temporal])
    reduction = 100 * np.median(1 - on[:, :2] / off[:, :2], axis=0)
    print(f"medians over {len(args.clip)} real clip(s), temporal against frame by frame: warping error "
          f"{reduction[0]:.0f} % lower as colorized, {reduction[1]:.0f} % as written; PSNR "
          f"{np.median(on[:, 3] - off[:, 3]):+.2f} dB; {np.median(on[:, 4]):.1f} frames/s temporal, "
          f"{np.median(off[:, 4]):.1f} frame by frame (CPU {1000 * np.median(on[:, 5]):.0f} / "
          f"{1000 * np.median(off[:, 5]):.0f} ms a frame)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "test"))
    parser.add_argument("--clips", type=int, default=3)
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--backend", default="regression")
    parser.add_argument("--size", default="640x360", help="clip size, WxH")
    parser.add_argument("--working-size", type=int, metavar="PX", help="the backend's working size (default: its own)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", metavar="DIR", help="keep the clips and results in DIR")
    parser.add_argument("--clip", action="append", metavar="PATH",
                        help="a real color clip to use instead of the synthetic ones (repeat for more)")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.lower().split("x"))
    host = PluginHost.discover()
    backend = host.loaded(args.backend, "cpu")
    options, _ = build_options(backend.info, device="cpu", seed=args.seed, working_size=args.working_size)
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="tinct-video-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    if args.clip:
        bench_real(args, size, backend, options, folder)
    else:
        bench_synthetic(args, size, backend, options, folder)
    if not args.keep:
        for file in folder.iterdir():
            file.unlink()
        folder.rmdir()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
