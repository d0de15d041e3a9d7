"""Writes src/tinct_handtint/palettes.safetensors, the palettes the plugin ships as package data.

Each palette is what a colourist's box of washes held: for every lightness L* from 0 to 100 the
a*, b* painted over it (``<palette>.tones``, float32 (101, 2)), and the wash for open sky
(``<palette>.sky``, float32 (2,)). Control points are interpolated linearly in L*. Run it again
after changing a palette, then paste the printed sha256 into ``PALETTES_SHA256`` in colorizer.py.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file

# L*: (a*, b*), from the deep shadows to paper white.
PALETTES = {
    # Tinted picture postcards, c. 1900-1920: earthy browns, warm mid-tones, cream highlights.
    "postcard": ({0: (2, 4), 25: (8, 14), 55: (13, 24), 80: (4, 18), 100: (0, 0)}, (-6, -26)),
    # Studio portraits: rosy flesh in the mid-tones, warm shadows, a grey-blue backdrop.
    "portrait": ({0: (3, 3), 30: (11, 12), 60: (17, 19), 85: (8, 11), 100: (0, 0)}, (-3, -12)),
    # Autochrome plates: muted olive shadows, orange-ochre mid-tones, pale highlights.
    "autochrome": ({0: (-2, 5), 35: (-6, 14), 60: (7, 26), 85: (-1, 12), 100: (0, 0)}, (-5, -18)),
}


def tones(points: dict[int, tuple[float, float]]) -> np.ndarray:
    levels = sorted(points)
    lightness = np.arange(101, dtype=np.float32)
    a = np.interp(lightness, levels, [points[k][0] for k in levels])
    b = np.interp(lightness, levels, [points[k][1] for k in levels])
    return np.stack([a, b], axis=-1).astype(np.float32)


def main() -> None:
    tensors = {}
    for name, (points, sky) in PALETTES.items():
        tensors[f"{name}.tones"] = tones(points)
        tensors[f"{name}.sky"] = np.asarray(sky, dtype=np.float32)
    target = Path(__file__).parent / "src" / "tinct_handtint" / "palettes.safetensors"
    save_file(tensors, str(target), metadata={"format": "tinct-handtint palettes v1"})
    print(target, hashlib.sha256(target.read_bytes()).hexdigest())


if __name__ == "__main__":
    main()
