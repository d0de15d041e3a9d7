"""``python -m training pack``: photos → compact centre squares for a training carry."""

from __future__ import annotations

import numpy as np
from PIL import Image

from fakes import synthetic_color_photo
from training.__main__ import main as training_main
from training.data import PhotoFolder


def test_pack_makes_centre_squares_of_the_color_photos_only(tmp_path, capsys):
    source = tmp_path / "photos"
    (source / "nested").mkdir(parents=True)
    rng = np.random.default_rng(0)
    wide = synthetic_color_photo(rng, 120, 200)
    wide[:, :40] = wide[:, -40:] = 0  # what the centre square leaves out
    Image.fromarray(wide).save(source / "wide.png")
    Image.fromarray(synthetic_color_photo(rng, 90, 60)).save(source / "nested" / "tall.jpg")
    Image.fromarray(synthetic_color_photo(rng, 80, 80)[..., 0]).save(source / "gray.png")
    (source / "broken.jpg").write_bytes(b"\xff\xd8 not a photo")

    assert training_main(["pack", str(source), "--to", str(tmp_path / "packed"), "--side", "64", "--workers", "1"]) == 0
    packed = sorted((tmp_path / "packed" / "photos").glob("*.webp"))
    assert len(packed) == 2 and "2 photos packed" in capsys.readouterr().out
    for path in packed:
        with Image.open(path) as im:
            assert im.format == "WEBP" and im.size == (64, 64)
    with Image.open(next(p for p in packed if "wide" in p.name)) as im:
        wide_packed = np.asarray(im.convert("RGB"), dtype=float)
    assert wide_packed[:, :4].mean() > 10  # the black side bands were cut, not squeezed in
    assert len(PhotoFolder(tmp_path / "packed", size=64, crop=48)) == 2  # training reads it as it is
