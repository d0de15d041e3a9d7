"""The hand-tinting backend: washes of color chosen by lightness, painted on softly.

Before color film, photographers' studios colored prints by hand with translucent washes: a
colourist chose one color per tone (warm browns in the shadows, flesh and ochre in the
mid-tones, cream in the highlights, blue for open sky) and brushed it on loosely. This backend
does the same. Its palettes come from ``palettes.safetensors``, shipped inside this package
(package data) and checked by sha256 before ``load``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from plugins import BackendOption, ColorizeOptions, Colorizer, ColorizerInfo, Progress, Sample, WeightsFile
from plugins.color import fit_working_size
from plugins.weights import load_arrays

PALETTES = ("postcard", "portrait", "autochrome")
PALETTES_FILE = WeightsFile(
    Path(__file__).parent / "palettes.safetensors",  # absolute: beside this module, wherever it is installed
    "c9c0eb8ea979194510976c7c05bb41dddd4554ff418beab6d05157853d0be1aa",
)
SKY_TOP = 0.45
"""Open sky is looked for in the top 45 % of the photo, where it is in most old landscapes."""


class HandTint(Colorizer):
    info = ColorizerInfo(
        id="handtint",
        name="Hand-tinted",
        version="1.0.0",
        license="MIT",
        description="The look of a hand-tinted postcard: soft washes of color by tone, blue skies.",
        devices=("cpu",),
        weights=(PALETTES_FILE,),
        default_working_size=256,
        params=(
            BackendOption.choice("palette", "Palette", "postcard", PALETTES,
                                 help="Whose box of colors: postcard browns, portrait flesh tones or autochrome ochres."),
            BackendOption("strength", "Strength", 1.0, 0.0, 1.5, help="How strong the washes are; 0 leaves the print gray."),
            BackendOption.integer("wash", "Brush softness", 4, 0, 16,
                                  help="How far each wash spreads past edges, in working-size pixels."),
        ),
    )

    def __init__(self) -> None:
        self.palettes: dict[str, np.ndarray] | None = None

    def load(self, device: str) -> None:
        arrays = load_arrays(PALETTES_FILE)  # checks the sha256 again; never unpickles
        missing = [name for name in PALETTES if f"{name}.tones" not in arrays or f"{name}.sky" not in arrays]
        if missing:
            raise ValueError(f"palettes.safetensors lacks {', '.join(missing)}")
        self.palettes = arrays

    def unload(self) -> None:
        self.palettes = None

    def colorize(self, lightness: np.ndarray, options: ColorizeOptions):
        palette = options.params["palette"]
        small = fit_working_size(lightness, options.working_size)
        yield Progress(0.2, f"mixing the {palette} washes")
        ab = tone_washes(small, self.palettes[f"{palette}.tones"])
        sky = sky_weight(small)[..., None]
        ab = ab * (1.0 - sky) + self.palettes[f"{palette}.sky"] * sky
        yield Progress(0.6, "brushing them on")
        ab = soften(ab, options.params["wash"]) * options.params["strength"]
        yield Sample(0, ab.astype(np.float32))
        yield Progress(1.0, "done")


def tone_washes(lightness: np.ndarray, tones: np.ndarray) -> np.ndarray:
    """Each pixel's wash from the palette's table of 101 lightness levels, interpolated."""
    levels = np.arange(tones.shape[0], dtype=np.float32)
    a = np.interp(lightness, levels, tones[:, 0])
    b = np.interp(lightness, levels, tones[:, 1])
    return np.stack([a, b], axis=-1).astype(np.float32)


def sky_weight(lightness: np.ndarray) -> np.ndarray:
    """0..1: how much a pixel looks like open sky: bright, smooth, and near the top."""
    import cv2

    height = lightness.shape[0]
    bright = np.clip((lightness - 60.0) / 25.0, 0.0, 1.0)
    mean = cv2.blur(lightness, (5, 5))
    spread = np.sqrt(np.maximum(cv2.blur(lightness * lightness, (5, 5)) - mean * mean, 0.0))
    smooth = np.clip(1.0 - spread / 6.0, 0.0, 1.0)
    rows = np.arange(height, dtype=np.float32) / max(height - 1, 1)
    top = np.clip(1.0 - rows / SKY_TOP, 0.0, 1.0)[:, None]
    return (bright * smooth * top).astype(np.float32)


def soften(ab: np.ndarray, radius: int) -> np.ndarray:
    """The washes spread like a loaded brush: a Gaussian of ``radius`` px (0: crisp)."""
    if radius <= 0:
        return ab
    import cv2

    return cv2.GaussianBlur(ab, (0, 0), sigmaX=radius / 2.0, borderType=cv2.BORDER_REFLECT)
