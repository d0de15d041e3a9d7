"""Color leaking across an object's outline: the combine brush feathered (as before) vs edge-aware.

A user combining two samples paints inside one object, close to its outline: the
brush's disc crosses the outline, and with a plain feathered mask the painted
sample's color spills into the neighbour. The figure is the *leak*: the share of
the stroke's weight (its coverage on the combine mask, summed over the photo) that
lands outside the object. 0 is a perfect stroke; a disc centred half a radius
inside a straight outline puts about 20 % of its weight outside.

Objects whose outline is known exactly:

* ``synthetic``: blobs on a background of another lightness (steps of 8 to 40 L*),
  with shading, grain, stripes ("hair") inside, and an outline blurred by 1 px
  as a lens would; the object is the blob before blurring.
* ``photos``: the bench photos (``../shared/data/bench``), each split into two regions by
  thresholding its L* (Otsu's threshold of a slightly smoothed L*, cleaned up with a
  3 px opening and closing); the object is the largest connected part of the darker
  region. Where the threshold runs through a soft gradient rather than an edge there
  is nothing to snap to: an honest, harder case.

Each photo gets STROKES strokes, each along the object's outline at half a brush radius
inside it, six radii long, with the app's default brush (size and softness); the mask
is at the photo's size (the app's masks are at the preview's, up to 1600 px). The
table gives the median leak over the photos, feathered vs edge-aware, and how often
edge-aware leaked less.

    .venv/bin/python bench/brush_leak.py                     # both sets, the default brush
    .venv/bin/python bench/brush_leak.py --radius 0.0157     # the old default brush
    .venv/bin/python bench/brush_leak.py --folder DIR --set photos
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from desktop.state.combine import DEFAULT_SIZE, DEFAULT_SOFTNESS, MAX_RADIUS, MIN_RADIUS, size_to_radius  # noqa: E402
from desktop.state.combine import CombineMask, Stroke, guided_filter, stroke_alpha  # noqa: E402
from plugins import color  # noqa: E402

STROKES = 3
INSIDE = 0.5  # the stroke's path lies this many brush radii inside the outline
LENGTH = 6.0  # and runs this many radii along it
SYNTHETIC_PHOTOS = 24
DEFAULT_FOLDER = REPO.parent / "shared" / "data" / "bench"


# -- objects with a known outline ----------------------------------------------------------------


def synthetic(seed: int, size: int = 500) -> tuple[np.ndarray, np.ndarray]:
    """L* (float32) and the object (bool) of one synthetic photo."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    blob = np.zeros((size, size), np.float32)
    for _ in range(3):  # a union of soft ellipses, thresholded: an irregular outline
        cx, cy = rng.uniform(0.3, 0.7, 2) * size
        rx, ry = rng.uniform(0.12, 0.25, 2) * size
        angle = rng.uniform(0, np.pi)
        u = (x - cx) * np.cos(angle) + (y - cy) * np.sin(angle)
        v = -(x - cx) * np.sin(angle) + (y - cy) * np.cos(angle)
        blob = np.maximum(blob, 1.0 - (u / rx) ** 2 - (v / ry) ** 2)
    wobble = cv2.GaussianBlur(rng.normal(0, 1, (size, size)).astype(np.float32), (0, 0), size / 25)
    inside = blob + 0.6 * wobble / max(float(np.abs(wobble).max()), 1e-6) * 0.3 > 0.0
    background = rng.uniform(30, 80)
    step = rng.choice([8.0, 15.0, 25.0, 40.0]) * rng.choice([-1.0, 1.0])
    if not 5 < background + step < 95:
        step = -step
    shading = 6.0 * (x / size - 0.5) + 4.0 * (y / size - 0.5)
    stripes = 4.0 * np.sin((x * np.cos(0.7) + y * np.sin(0.7)) / rng.uniform(2.0, 6.0))  # hair, cloth
    lightness = background + shading + np.where(inside, step + stripes, 0.0)
    lightness = cv2.GaussianBlur(lightness.astype(np.float32), (0, 0), 1.0)  # the lens
    lightness += rng.normal(0, 1.5, lightness.shape).astype(np.float32)  # grain
    return np.clip(lightness, 0, 100).astype(np.float32), inside


def photo_object(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """L* of a bench photo and its object: the largest part of the darker side of Otsu's threshold."""
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise SystemExit(f"cannot read {path}")
    lab = color.srgb_to_lab(bgr[..., ::-1].astype(np.float32) / 255.0)
    lightness = np.ascontiguousarray(lab[..., 0], np.float32)
    smooth = cv2.GaussianBlur(lightness, (0, 0), 2.0)
    threshold, dark = cv2.threshold(np.clip(smooth * 2.55, 0, 255).astype(np.uint8), 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7))
    dark = cv2.morphologyEx(cv2.morphologyEx(dark, cv2.MORPH_OPEN, kernel), cv2.MORPH_CLOSE, kernel)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(dark, connectivity=8)
    if count < 2:
        return lightness, np.zeros(lightness.shape, bool)
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    return lightness, labels == largest


# -- strokes ---------------------------------------------------------------------------------------------


def strokes_along_outline(inside: np.ndarray, radius_px: float, count: int, seed: int) -> list[np.ndarray]:
    """``count`` paths (N×2 pixel coordinates) at INSIDE radii inside the outline, each LENGTH radii long."""
    depth = cv2.distanceTransform(inside.astype(np.uint8), cv2.DIST_L2, 5)
    core = (depth >= INSIDE * radius_px).astype(np.uint8)
    contours, _ = cv2.findContours(core, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    height, width = inside.shape
    usable = []
    for contour in contours:
        points = contour[:, 0, :].astype(np.float64)
        # not along the photo's border: the object goes on outside the frame there
        on_border = (points[:, 0] < radius_px) | (points[:, 1] < radius_px) | \
                    (points[:, 0] > width - 1 - radius_px) | (points[:, 1] > height - 1 - radius_px)
        if len(points) > LENGTH * radius_px and not on_border.all():
            usable.append((points, on_border))
    if not usable:
        return []
    rng = np.random.default_rng(seed)
    paths = []
    for _ in range(count * 20):
        points, on_border = usable[rng.integers(len(usable))]
        steps = np.linalg.norm(np.diff(points, axis=0), axis=1)
        arc = np.concatenate([[0.0], np.cumsum(steps)])
        if arc[-1] < LENGTH * radius_px:
            continue
        start = rng.uniform(0, arc[-1] - LENGTH * radius_px)
        chosen = (arc >= start) & (arc <= start + LENGTH * radius_px)
        if on_border[chosen].any():
            continue
        path = points[chosen][:: max(1, int(radius_px / 4))]  # a mouse reports every few pixels
        paths.append(path)
        if len(paths) == count:
            break
    return paths


METHODS = ("feathered", "guided", "edge-aware")
"""feathered: the brush before (and with Snap to edges off); guided: the feathered coverage through a plain
guided filter with L as the guide (window 0.6 radius, eps 0.03², L/100), the first idea, for the record;
edge-aware: the app's Snap to edges (``desktop.state.combine.follow_edges``)."""


def coverage(method: str, lightness: np.ndarray, stroke: Stroke) -> np.ndarray:
    mask = CombineMask(lightness.shape, base=0, guide=lightness)
    if method == "guided":
        rows, cols, alpha = stroke_alpha(stroke, lightness.shape)
        window = max(1, round(0.6 * stroke.radius * max(lightness.shape)))
        weight = np.zeros(lightness.shape, np.float32)
        weight[rows, cols] = alpha
        return guided_filter(weight, lightness / np.float32(100), window, 0.03**2)
    mask.paint(Stroke(stroke.source, stroke.points, stroke.radius, stroke.softness, edge_aware=method == "edge-aware"))
    return mask.weight(stroke.source)


def leak(lightness: np.ndarray, inside: np.ndarray, paths: list[np.ndarray], radius: float, softness: float,
         method: str) -> tuple[float, float, float]:
    """The share of the strokes' weight outside the object; the mean coverage inside the object where the
    plain brush is solid (1.0: the paint inside is not thinned); the time per stroke in ms."""
    height, width = inside.shape
    outside_weight = total_weight = solid_weight = solid_pixels = 0.0
    elapsed = 0.0
    for path in paths:
        stroke = Stroke(1, tuple((float(x) / width, float(y) / height) for x, y in path), radius, softness)
        started = time.perf_counter()
        weight = coverage(method, lightness, stroke)
        elapsed += time.perf_counter() - started
        plain = coverage("feathered", lightness, stroke)
        solid = (plain > 0.999) & inside
        outside_weight += float(weight[~inside].sum())
        total_weight += float(weight.sum())
        solid_weight += float(weight[solid].sum())
        solid_pixels += float(solid.sum())
    return (outside_weight / max(total_weight, 1e-9), solid_weight / max(solid_pixels, 1.0),
            elapsed / max(len(paths), 1) * 1000)


# -- the table ----------------------------------------------------------------------------------------------


def measure(name: str, photos, radius: float, softness: float, verbose: bool) -> None:
    results: dict[str, list[tuple[float, float, float]]] = {method: [] for method in METHODS}
    for seed, (label, lightness, inside) in enumerate(photos):
        radius_px = radius * max(inside.shape)
        if inside.mean() < 0.02 or inside.mean() > 0.98:
            print(f"  {label}: skipped (no object)")
            continue
        paths = strokes_along_outline(inside, radius_px, STROKES, seed)
        if not paths:
            print(f"  {label}: skipped (no room for a stroke)")
            continue
        for method in METHODS:
            results[method].append(leak(lightness, inside, paths, radius, softness, method))
        if verbose:
            print(f"  {label:48s} " + "  ".join(f"{m} {results[m][-1][0]:6.1%}" for m in METHODS))
    count = len(results["feathered"])
    if not count:
        print(f"{name}: nothing measured")
        return
    print(f"{name}: {count} photos, {STROKES} strokes each, brush radius {radius:.4f} of the long side "
          f"({radius * 500:.0f} px on 500 px), softness {softness:.2f}")
    print(f"  {'':22s}" + "".join(f"{method:>12s}" for method in METHODS))
    rows = (("leak, median", lambda r: statistics.median(x[0] for x in r), "%"),
            ("leak, mean", lambda r: statistics.fmean(x[0] for x in r), "%"),
            ("leak, worst photo", lambda r: max(x[0] for x in r), "%"),
            ("paint kept inside", lambda r: statistics.median(x[1] for x in r), "%"),
            ("ms per stroke", lambda r: statistics.median(x[2] for x in r), "ms"))
    for title, statistic, unit in rows:
        values = [statistic(results[method]) for method in METHODS]
        print(f"  {title:22s}" + "".join(f"{v:12.1%}" if unit == "%" else f"{v:12.1f}" for v in values))
    better = sum(a[0] < f[0] for f, a in zip(results["feathered"], results["edge-aware"]))
    print(f"  edge-aware leaked less than feathered on {better} of {count} photos")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=DEFAULT_FOLDER, help="the bench photos")
    parser.add_argument("--set", choices=("synthetic", "photos", "both"), default="both")
    parser.add_argument("--radius", type=float, default=size_to_radius(DEFAULT_SIZE),
                        help=f"brush radius, fraction of the long side ({MIN_RADIUS}..{MAX_RADIUS}); the app's default")
    parser.add_argument("--softness", type=float, default=DEFAULT_SOFTNESS)
    parser.add_argument("--verbose", action="store_true", help="one line per photo")
    args = parser.parse_args()
    if args.set in ("synthetic", "both"):
        photos = [(f"synthetic {seed}", *synthetic(seed)) for seed in range(SYNTHETIC_PHOTOS)]
        measure("synthetic", photos, args.radius, args.softness, args.verbose)
    if args.set in ("photos", "both"):
        paths = sorted(p for p in args.folder.iterdir() if p.suffix.lower() in (".png", ".jpg", ".tif"))
        if not paths:
            raise SystemExit(f"no photos in {args.folder}")
        photos = [(path.name, *photo_object(path)) for path in paths]
        measure(f"photos ({args.folder.name}, Otsu regions)", photos, args.radius, args.softness, args.verbose)


if __name__ == "__main__":
    main()
