"""Tests for plugins.imageio.save_photo; every fixture is made in tmp_path."""

from __future__ import annotations

import errno
import io
import os
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageCms

from plugins import color
from plugins.errors import ImageError
from plugins.imageio import OUTPUT_FORMATS, Photo, encoders, icc, output_bit_depth, read_photo, save_photo

RNG = np.random.default_rng(11)
SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def make_photo(tmp_path: Path, height: int = 24, width: int = 32, bit_depth: int = 8, **fields) -> Photo:
    values = dict(
        path=tmp_path / "source.png",
        lightness=RNG.uniform(0, 100, (height, width)).astype(np.float32),
        alpha=None,
        bit_depth=bit_depth,
        exif=None,
        icc_profile=None,
        was_color=False,
    )
    values.update(fields)
    return Photo(**values)


def random_rgb(height: int = 24, width: int = 32) -> np.ndarray:
    return RNG.uniform(0, 1, (height, width, 3)).astype(np.float32)


def quantized(rgb: np.ndarray, top: int) -> np.ndarray:
    return (np.clip(rgb, 0, 1) * np.float32(top) + np.float32(0.5)).astype(np.uint16 if top > 255 else np.uint8)


def read_unchanged(path: Path) -> np.ndarray:
    """Pixels as stored, RGB(A) order, any depth."""
    pixels = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    return pixels[..., [2, 1, 0, 3][: pixels.shape[2]]]


def embedded_profile(path: Path) -> bytes | None:
    with Image.open(path) as image:
        return image.info.get("icc_profile")


def exif_of(path: Path) -> Image.Exif:
    with Image.open(path) as image:
        image.load()
        return image.getexif()


def gamma_rgb_profile(gamma: float = 1.8) -> bytes:
    srgb = ImageCms.createProfile("sRGB")
    tags = {"desc": icc.text_tag("test rgb"), "wtpt": icc.xyz_tag((0.9642, 1.0, 0.8249))}
    for channel, colorant in zip("rgb", (srgb.red_colorant, srgb.green_colorant, srgb.blue_colorant)):
        tags[f"{channel}XYZ"] = icc.xyz_tag(colorant[0])
        tags[f"{channel}TRC"] = icc.curve_tag(gamma)
    return icc.make_profile("RGB ", tags)


def listing(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


# --- pixels and depth --------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["png", "tif"])
def test_8bit_lossless_output_is_exact(tmp_path, fmt):
    rgb = random_rgb()
    out = save_photo(rgb, make_photo(tmp_path), tmp_path / f"out.{fmt}", fmt)
    assert out == tmp_path / f"out.{fmt}"
    stored = read_unchanged(out)
    assert stored.dtype == np.uint8
    np.testing.assert_array_equal(stored, quantized(rgb, 255))


@pytest.mark.parametrize("fmt", ["png", "tif"])
def test_16bit_source_gives_16bit_output(tmp_path, fmt):
    rgb = random_rgb()
    out = save_photo(rgb, make_photo(tmp_path, bit_depth=16), tmp_path / f"out.{fmt}", fmt)
    stored = read_unchanged(out)
    assert stored.dtype == np.uint16
    np.testing.assert_array_equal(stored, quantized(rgb, 65535))


@pytest.mark.parametrize(("fmt", "bits"), [("png", 8), ("tif", 8), ("png", 16)])
def test_uint8_codes_are_written_as_they_are_or_widened(tmp_path, fmt, bits):
    codes = RNG.integers(0, 256, (24, 32, 3), dtype=np.uint8)
    out = save_photo(codes, make_photo(tmp_path, bit_depth=bits), tmp_path / f"codes.{fmt}", fmt)
    expected = codes.astype(np.uint16) * 257 if bits == 16 else codes
    np.testing.assert_array_equal(read_unchanged(out), expected)


def test_uint8_codes_are_composited_like_floats(tmp_path):
    codes = RNG.integers(0, 256, (24, 32, 3), dtype=np.uint8)
    alpha = RNG.integers(0, 256, (24, 32), dtype=np.uint8)
    photo = make_photo(tmp_path, alpha=alpha)
    from_codes = read_unchanged(save_photo(codes, photo, tmp_path / "codes.jpg", "jpg"))
    from_floats = read_unchanged(save_photo(codes / np.float32(255), photo, tmp_path / "floats.jpg", "jpg"))
    np.testing.assert_array_equal(from_codes, from_floats)


def test_output_bit_depth_follows_source_and_format(tmp_path):
    assert output_bit_depth(make_photo(tmp_path, bit_depth=16), "png") == 16
    assert output_bit_depth(make_photo(tmp_path, bit_depth=16), "jpeg") == 8
    assert output_bit_depth(make_photo(tmp_path, bit_depth=8), "tiff") == 8


def test_jpeg_is_8bit_and_close(tmp_path):
    rgb = np.tile(np.linspace(0, 1, 32, dtype=np.float32)[None, :, None], (24, 1, 3))
    out = save_photo(rgb, make_photo(tmp_path, bit_depth=16), tmp_path / "out.jpg", "jpg")
    stored = read_unchanged(out)
    assert stored.dtype == np.uint8
    assert np.abs(stored.astype(int) - quantized(rgb, 255)).max() <= 4


def test_gray_16bit_full_round_trip(tmp_path):
    gray = RNG.integers(0, 65536, (24, 32), dtype=np.uint16)
    source = tmp_path / "scan.png"
    Image.fromarray(gray).save(source)
    photo = read_photo(source)
    rgb = np.repeat(color.lightness_to_gray(photo.lightness)[..., None], 3, axis=2)
    out = save_photo(rgb, photo, tmp_path / "result.png")
    assert np.abs(read_unchanged(out)[..., 0].astype(int) - gray).max() <= 1
    assert read_photo(out).bit_depth == 16


def test_jpeg_quality_changes_size(tmp_path):
    rgb = random_rgb(64, 64)
    photo = make_photo(tmp_path, 64, 64)
    low = save_photo(rgb, photo, tmp_path / "low.jpg", "jpg", quality=30)
    high = save_photo(rgb, photo, tmp_path / "high.jpg", "jpeg", quality=95)
    assert low.stat().st_size < high.stat().st_size


def test_nan_and_out_of_range_values_are_clipped(tmp_path):
    rgb = random_rgb()
    rgb[0, 0] = (np.nan, -1.0, 2.0)
    stored = read_unchanged(save_photo(rgb, make_photo(tmp_path), tmp_path / "out.png"))
    assert tuple(stored[0, 0]) == (0, 0, 255)


# --- alpha ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "bits"), [("png", 8), ("tif", 8), ("png", 16), ("tif", 16)])
def test_alpha_is_kept(tmp_path, fmt, bits):
    dtype = np.uint16 if bits == 16 else np.uint8
    alpha = RNG.integers(0, np.iinfo(dtype).max + 1, (24, 32), dtype=dtype)
    out = save_photo(random_rgb(), make_photo(tmp_path, bit_depth=bits, alpha=alpha), tmp_path / f"a.{fmt}", fmt)
    stored = read_unchanged(out)
    assert stored.shape == (24, 32, 4) and stored.dtype == dtype
    np.testing.assert_array_equal(stored[..., 3], alpha)
    np.testing.assert_array_equal(read_photo(out).alpha, alpha)


def test_jpeg_composites_transparency_onto_white(tmp_path):
    rgb = np.zeros((24, 32, 3), np.float32)  # black
    alpha = np.full((24, 32), 255, np.uint8)
    alpha[:, 16:] = 0
    out = save_photo(rgb, make_photo(tmp_path, alpha=alpha), tmp_path / "a.jpg", "jpg")
    stored = read_unchanged(out)
    assert stored.shape == (24, 32, 3)
    assert stored[:, :12].max() < 10 and stored[:, 20:].min() > 245


# --- metadata ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "bits"), [("png", 8), ("jpg", 8), ("tif", 8), ("png", 16), ("tif", 16)])
def test_exif_icc_and_dpi_are_written(tmp_path, fmt, bits):
    exif = Image.Exif()
    exif[0x010F] = "TestCam"
    exif[0x0112] = 1
    exif[0x8769] = {0x9003: "1931:05:04 12:00:00"}
    photo = make_photo(tmp_path, bit_depth=bits, exif=exif.tobytes(), dpi=(300.0, 300.0))
    out = save_photo(random_rgb(), photo, tmp_path / f"m.{fmt}", fmt)
    written = exif_of(out)
    assert written[0x010F] == "TestCam" and written.get(0x0112) == 1
    assert written.get_ifd(0x8769)[0x9003] == "1931:05:04 12:00:00"
    assert embedded_profile(out) == icc.srgb_profile_bytes()
    with Image.open(out) as image:
        assert image.info["dpi"] == pytest.approx((300, 300), abs=0.1)


def test_exif_orientation_is_upright_after_a_read_and_save(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "TestCam"
    source = tmp_path / "portrait.jpg"
    Image.fromarray(RNG.integers(0, 256, (40, 20), dtype=np.uint8)).save(source, exif=exif.tobytes())
    photo = read_photo(source)
    out = save_photo(np.zeros((20, 40, 3), np.float32), photo, tmp_path / "out.jpg", "jpg")
    assert exif_of(out)[0x0112] == 1
    assert read_photo(out).size == (40, 20)


def test_srgb_source_profile_is_embedded_as_is(tmp_path):
    rgb = random_rgb()
    out = save_photo(rgb, make_photo(tmp_path, icc_profile=SRGB), tmp_path / "s.png")
    assert embedded_profile(out) == SRGB
    np.testing.assert_array_equal(read_unchanged(out), quantized(rgb, 255))


def test_gray_source_profile_gives_srgb_output(tmp_path):
    gray_profile = icc.make_profile(
        "GRAY", {"desc": icc.text_tag("g"), "wtpt": icc.xyz_tag((0.9642, 1.0, 0.8249)), "kTRC": icc.curve_tag(1.8)}
    )
    out = save_photo(random_rgb(), make_photo(tmp_path, icc_profile=gray_profile), tmp_path / "g.png")
    assert embedded_profile(out) == icc.srgb_profile_bytes()


@pytest.mark.parametrize("fmt", ["png", "jpg", "tif"])
def test_rgb_source_profile_is_converted_into_and_embedded(tmp_path, fmt):
    profile = gamma_rgb_profile()
    rgb = np.full((24, 32, 3), 0.5, np.float32)
    out = save_photo(rgb, make_photo(tmp_path, icc_profile=profile), tmp_path / f"p.{fmt}", fmt)
    assert embedded_profile(out) == profile
    stored = read_unchanged(out)
    # sRGB 0.5 has luminance 0.214; in a gamma-1.8 space that is 0.214 ** (1 / 1.8) = 0.425.
    assert np.abs(stored.astype(int) - round(0.214 ** (1 / 1.8) * 255)).max() <= 2
    source, srgb = (ImageCms.ImageCmsProfile(io.BytesIO(data)) for data in (profile, SRGB))
    back = ImageCms.profileToProfile(Image.fromarray(stored), source, srgb)
    assert np.abs(np.asarray(back).astype(int) - 128).max() <= 2


def test_16bit_output_with_rgb_source_profile_is_tagged_srgb(tmp_path):
    rgb = random_rgb()
    photo = make_photo(tmp_path, bit_depth=16, icc_profile=gamma_rgb_profile())
    out = save_photo(rgb, photo, tmp_path / "p16.png")
    assert embedded_profile(out) == icc.srgb_profile_bytes()
    np.testing.assert_array_equal(read_unchanged(out), quantized(rgb, 65535))


def test_broken_source_profile_gives_srgb_output(tmp_path):
    out = save_photo(random_rgb(), make_photo(tmp_path, icc_profile=b"garbage" * 30), tmp_path / "b.png")
    assert embedded_profile(out) == icc.srgb_profile_bytes()


# --- safety -----------------------------------------------------------------------------------


def test_no_temporary_files_after_success(tmp_path):
    for fmt in OUTPUT_FORMATS:
        save_photo(random_rgb(), make_photo(tmp_path), tmp_path / f"out.{fmt}", fmt)
    assert listing(tmp_path) == ["out.jpg", "out.png", "out.tif"]


def test_failed_encoding_leaves_nothing_behind(tmp_path, monkeypatch):
    target = tmp_path / "out.png"
    target.write_bytes(b"previous result")

    def broken(file, *args):
        file.write(b"half a PNG")
        raise ValueError("encoder exploded")

    monkeypatch.setattr(encoders, "write_png", broken)
    with pytest.raises(ImageError, match="cannot encode PNG: encoder exploded"):
        save_photo(random_rgb(), make_photo(tmp_path), target, overwrite=True)
    assert listing(tmp_path) == ["out.png"]
    assert target.read_bytes() == b"previous result"


def test_interrupted_write_leaves_nothing_behind(tmp_path, monkeypatch):
    def interrupted(file, *args):
        file.write(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(encoders, "write_tiff", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_photo(random_rgb(), make_photo(tmp_path), tmp_path / "out.tif", "tif")
    assert listing(tmp_path) == []


def test_existing_file_needs_overwrite(tmp_path):
    target = tmp_path / "out.png"
    target.write_bytes(b"keep me")
    with pytest.raises(ImageError, match=r"^already exists$"):
        save_photo(random_rgb(), make_photo(tmp_path), target)
    assert target.read_bytes() == b"keep me"
    save_photo(random_rgb(), make_photo(tmp_path), target, overwrite=True)
    assert target.read_bytes().startswith(b"\x89PNG")
    assert listing(tmp_path) == ["out.png"]


def test_input_photo_is_never_overwritten(tmp_path):
    source = tmp_path / "scan.png"
    Image.fromarray(RNG.integers(0, 256, (24, 32), dtype=np.uint8)).save(source)
    original = source.read_bytes()
    photo = read_photo(source)
    (tmp_path / "sub").mkdir()
    os.symlink(source, tmp_path / "link.png")
    os.link(source, tmp_path / "hard.png")
    for target in (source, tmp_path / "sub" / ".." / "scan.png", tmp_path / "link.png", tmp_path / "hard.png"):
        with pytest.raises(ImageError, match="would overwrite the input photo"):
            save_photo(random_rgb(), photo, target, overwrite=True)
    assert source.read_bytes() == original


def test_unwritable_destinations(tmp_path):
    not_a_folder = tmp_path / "file.txt"
    not_a_folder.write_text("x")
    with pytest.raises(ImageError, match=r"^cannot write to folder .*file\.txt: it is not a folder$"):
        save_photo(random_rgb(), make_photo(tmp_path), not_a_folder / "out.png")
    with pytest.raises(ImageError, match="no such folder"):
        save_photo(random_rgb(), make_photo(tmp_path), tmp_path / "missing" / "out.png")
    (tmp_path / "folder.png").mkdir()
    with pytest.raises(ImageError, match="^is a directory$"):
        save_photo(random_rgb(), make_photo(tmp_path), tmp_path / "folder.png")


def test_read_only_folder(tmp_path, monkeypatch):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    # Root may create files in a read-only folder, so make creating one there fail as the kernel does
    # for everyone else (PermissionError, EACCES): the test then runs, and means the same, for any user.
    real_open = os.open

    def open_refusing_the_folder(file, flags, *args, **kwargs):
        if flags & os.O_CREAT and Path(file).parent == folder:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(file))
        return real_open(file, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", open_refusing_the_folder)
    try:
        with pytest.raises(ImageError, match="cannot write to folder .*: permission denied"):
            save_photo(random_rgb(), make_photo(tmp_path), folder / "out.png")
    finally:
        folder.chmod(0o700)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_new_file_permissions_follow_the_umask(tmp_path):
    umask = os.umask(0o022)
    try:
        out = save_photo(random_rgb(), make_photo(tmp_path), tmp_path / "out.png")
    finally:
        os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o644


def test_bad_arguments(tmp_path):
    photo = make_photo(tmp_path)
    with pytest.raises(ImageError, match="unknown output format 'bmp'"):
        save_photo(random_rgb(), photo, tmp_path / "out.bmp", "bmp")
    with pytest.raises(ValueError, match="rgb must have shape"):
        save_photo(random_rgb(10, 10), photo, tmp_path / "out.png")
    with pytest.raises(ValueError, match="quality"):
        save_photo(random_rgb(), photo, tmp_path / "out.jpg", "jpg", quality=0)
    with pytest.raises(ValueError, match="floating point or uint8"):
        save_photo(np.zeros((24, 32, 3), np.uint16), photo, tmp_path / "out.png")
    assert listing(tmp_path) == []


def test_output_formats_describe_themselves():
    assert set(OUTPUT_FORMATS) == {"png", "jpg", "tif"}
    assert OUTPUT_FORMATS["jpg"].suffix == ".jpg" and not OUTPUT_FORMATS["jpg"].alpha
    assert OUTPUT_FORMATS["tif"].max_bit_depth == 16
