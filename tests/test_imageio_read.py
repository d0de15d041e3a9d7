"""Tests for plugins.imageio.read_photo; every fixture is made in tmp_path."""

from __future__ import annotations

import builtins
import errno
import os
import struct
import time
import warnings
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageCms, ImageOps, TiffImagePlugin

from plugins import color
from plugins.errors import ImageError
from plugins.imageio import DEFAULT_MAX_PIXELS, Photo, encoders, icc, read_photo, save_photo

RNG = np.random.default_rng(7)


def gray8(height: int = 24, width: int = 32) -> np.ndarray:
    return RNG.integers(0, 256, (height, width), dtype=np.uint8)


def gray16(height: int = 24, width: int = 32) -> np.ndarray:
    return RNG.integers(0, 65536, (height, width), dtype=np.uint16)


def save(tmp_path: Path, name: str, image: Image.Image, **options) -> Path:
    path = tmp_path / name
    image.save(path, **options)
    return path


def png_bytes(width: int, height: int, bit_depth: int, color_type: int, rows: bytes) -> bytes:
    """A PNG built chunk by chunk, for headers and sample layouts Pillow will not write."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    header = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def expected_gray(pixels: np.ndarray) -> np.ndarray:
    top = 65535 if pixels.dtype == np.uint16 else 255
    return color.gray_to_lightness(pixels.astype(np.float32) / np.float32(top))


def gamma_profile(space: str, gamma: float) -> bytes:
    """A gray or RGB (sRGB primaries) profile with a pure gamma tone curve: clearly not sRGB."""
    tags = {"desc": icc.text_tag(f"test gamma {gamma}"), "wtpt": icc.xyz_tag((0.9642, 1.0, 0.8249))}
    if space == "GRAY":
        tags["kTRC"] = icc.curve_tag(gamma)
        return icc.make_profile("GRAY", tags)
    srgb = ImageCms.createProfile("sRGB")
    for channel, colorant in zip("rgb", (srgb.red_colorant, srgb.green_colorant, srgb.blue_colorant)):
        tags[f"{channel}XYZ"] = icc.xyz_tag(colorant[0])
        tags[f"{channel}TRC"] = icc.curve_tag(gamma)
    return icc.make_profile("RGB ", tags)


def exif_bytes(orientation: int, make: str = "TestCam") -> bytes:
    exif = Image.Exif()
    exif[0x010F] = make
    exif[0x0112] = orientation
    exif[0x8769] = {0x9003: "1931:05:04 12:00:00"}
    return exif.tobytes()


# --- gray and bit depth -------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["png", "tif", "jpg-lossless-ish"])
def test_gray_8bit_lightness_is_exact(tmp_path, suffix):
    pixels = gray8()
    if suffix == "jpg-lossless-ish":
        path = save(tmp_path, "a.jpg", Image.fromarray(pixels), quality=100)
        pixels = np.asarray(Image.open(path))
    else:
        path = save(tmp_path, f"a.{suffix}", Image.fromarray(pixels))
    photo = read_photo(path)
    assert isinstance(photo, Photo)
    assert photo.lightness.dtype == np.float32 and photo.lightness.shape == (24, 32)
    np.testing.assert_array_equal(photo.lightness, expected_gray(pixels))
    assert (photo.bit_depth, photo.alpha, photo.was_color, photo.notes) == (8, None, False, [])
    assert photo.size == (32, 24)
    assert photo.path == path


@pytest.mark.parametrize("suffix", ["png", "tif"])
def test_gray_16bit_keeps_16bit_precision(tmp_path, suffix):
    pixels = gray16()
    path = save(tmp_path, f"a.{suffix}", Image.fromarray(pixels))
    photo = read_photo(path)
    assert photo.bit_depth == 16
    np.testing.assert_array_equal(photo.lightness, expected_gray(pixels))


def test_16bit_rgb_png_is_read_at_16_bits(tmp_path):
    pixels = RNG.integers(0, 65536, (24, 32, 3), dtype=np.uint16)
    path = tmp_path / "rgb16.png"
    cv2.imwrite(str(path), pixels[..., ::-1])
    photo = read_photo(path)
    assert photo.bit_depth == 16 and photo.was_color
    expected = color.srgb_to_lightness(pixels.astype(np.float32) / 65535)
    np.testing.assert_allclose(photo.lightness, expected, atol=1e-4)


def test_16bit_color_falls_back_to_8_bits_with_a_note(tmp_path, monkeypatch):
    pixels = RNG.integers(0, 65536, (24, 32, 3), dtype=np.uint16)
    path = tmp_path / "rgb16.png"
    cv2.imwrite(str(path), pixels[..., ::-1])
    monkeypatch.setattr(cv2, "imdecode", lambda *args: None)
    photo = read_photo(path)
    assert photo.bit_depth == 8
    assert "16-bit color could only be read at 8-bit precision" in photo.notes


def test_16bit_neutral_rgb_tiff_is_gray_at_16_bits(tmp_path):
    gray = np.tile(np.linspace(0, 65535, 32).astype(np.uint16), (24, 1))
    path = tmp_path / "neutral16.tif"
    cv2.imwrite(str(path), np.dstack([gray] * 3))
    photo = read_photo(path)
    assert photo.bit_depth == 16 and not photo.was_color
    np.testing.assert_array_equal(photo.lightness, expected_gray(gray))


def test_16bit_rgba_keeps_16bit_alpha(tmp_path):
    pixels = RNG.integers(0, 65536, (24, 32, 4), dtype=np.uint16)
    for suffix in ("png", "tif"):
        path = tmp_path / f"rgba16.{suffix}"
        cv2.imwrite(str(path), pixels[..., [2, 1, 0, 3]])
        photo = read_photo(path)
        assert photo.alpha is not None and photo.alpha.dtype == np.uint16
        np.testing.assert_array_equal(photo.alpha, pixels[..., 3])


def test_16bit_gray_with_alpha_png(tmp_path):
    gray, alpha = gray16(), gray16()
    samples = np.dstack([gray, alpha]).astype(">u2").reshape(24, -1)
    rows = b"".join(b"\x00" + row.tobytes() for row in samples)
    path = tmp_path / "la16.png"
    path.write_bytes(png_bytes(32, 24, 16, 4, rows))
    photo = read_photo(path)
    assert photo.bit_depth == 16 and not photo.was_color
    np.testing.assert_array_equal(photo.alpha, alpha)
    np.testing.assert_array_equal(photo.lightness, expected_gray(gray))


def test_one_bit_image_is_read_with_a_note(tmp_path):
    pixels = gray8() > 127
    path = save(tmp_path, "bw.png", Image.fromarray(pixels))
    photo = read_photo(path)
    assert set(np.unique(photo.lightness)) <= {0.0, 100.0}
    assert any("1-bit" in note for note in photo.notes)


# --- orientation and metadata -------------------------------------------------------------


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_matches_pillow(tmp_path, orientation):
    pixels = gray8(40, 20)
    path = save(tmp_path, "o.jpg", Image.fromarray(pixels), quality=100, exif=exif_bytes(orientation))
    photo = read_photo(path)
    with Image.open(path) as image:
        upright = np.asarray(ImageOps.exif_transpose(image))
    np.testing.assert_array_equal(photo.lightness, expected_gray(upright))
    exif = Image.Exif()
    exif.load(photo.exif)
    assert exif[0x0112] == 1 and exif[0x010F] == "TestCam"
    assert exif.get_ifd(0x8769)[0x9003] == "1931:05:04 12:00:00"


def test_orientation_6_turns_portrait_into_landscape(tmp_path):
    pixels = np.full((40, 20), 128, np.uint8)
    pixels[0, 0] = 255  # stored top-left corner
    path = save(tmp_path, "o6.png", Image.fromarray(pixels), exif=exif_bytes(6))
    photo = read_photo(path)
    assert photo.size == (40, 20)
    assert photo.lightness[0, 39] == pytest.approx(100.0)  # rotated clockwise: now top-right
    assert photo.lightness[0, 0] < 60


@pytest.mark.parametrize("writer", [encoders.write_tiff, encoders.write_png])
def test_orientation_applies_to_opencv_decoded_16bit_color_and_alpha(tmp_path, writer):
    # OpenCV turns TIFFs upright itself but not PNGs; Pillow does the opposite.
    pixels = RNG.integers(0, 65536, (40, 20, 4), dtype=np.uint16)
    path = tmp_path / "o16.img"
    with path.open("wb") as file:
        writer(file, pixels, None, exif_bytes(8), (300.0, 150.0))
    photo = read_photo(path)
    assert photo.bit_depth == 16 and photo.size == (40, 20)
    np.testing.assert_array_equal(photo.alpha, np.rot90(pixels[..., 3], 1))
    expected = color.srgb_to_lightness(np.rot90(pixels[..., :3], 1).astype(np.float32) / 65535)
    np.testing.assert_allclose(photo.lightness, expected, atol=1e-4)
    assert photo.dpi == pytest.approx((150.0, 300.0), abs=0.1)  # swapped with the axes


def test_tiff_structure_tags_are_not_copied_as_exif(tmp_path):
    path = save(tmp_path, "a.tif", Image.fromarray(gray8()), exif=exif_bytes(1, "Scanner"))
    exif = Image.Exif()
    exif.load(read_photo(path).exif)
    assert exif[0x010F] == "Scanner"
    assert not {256, 257, 258, 273, 279} & set(exif)


# --- alpha and palettes ---------------------------------------------------------------------


def test_rgba_and_la_alpha_is_kept(tmp_path):
    rgba = RNG.integers(0, 256, (24, 32, 4), dtype=np.uint8)
    photo = read_photo(save(tmp_path, "a.png", Image.fromarray(rgba)))
    np.testing.assert_array_equal(photo.alpha, rgba[..., 3])
    la = np.dstack([gray8(), gray8()])
    image = Image.merge("LA", [Image.fromarray(la[..., 0]), Image.fromarray(la[..., 1])])
    photo = read_photo(save(tmp_path, "la.png", image))
    np.testing.assert_array_equal(photo.alpha, la[..., 1])
    np.testing.assert_array_equal(photo.lightness, expected_gray(la[..., 0]))


@pytest.mark.parametrize("suffix", ["png", "gif"])
def test_palette_with_transparency(tmp_path, suffix):
    indices = RNG.integers(0, 4, (24, 32), dtype=np.uint8)
    image = Image.fromarray(indices, "P")
    image.putpalette([0, 0, 0, 85, 85, 85, 170, 170, 170, 255, 255, 255])
    path = save(tmp_path, f"p.{suffix}", image, transparency=2)
    photo = read_photo(path)
    np.testing.assert_array_equal(photo.alpha == 0, indices == 2)
    assert not photo.was_color
    np.testing.assert_allclose(photo.lightness, expected_gray((indices * 85).astype(np.uint8)), atol=1e-3)


# --- formats --------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["jpg", "tif"])
def test_cmyk_is_converted(tmp_path, suffix):
    cmyk = np.zeros((24, 32, 4), np.uint8)
    cmyk[:, 16:, 3] = 255  # right half: full black ink
    image = Image.frombytes("CMYK", (32, 24), cmyk.tobytes())
    photo = read_photo(save(tmp_path, f"c.{suffix}", image))
    assert "converted from CMYK" in photo.notes
    assert photo.lightness[:, :14].min() > 95 and photo.lightness[:, 18:].max() < 5


def test_webp(tmp_path):
    pixels = gray8()
    photo = read_photo(save(tmp_path, "a.webp", Image.fromarray(pixels).convert("RGB"), lossless=True))
    np.testing.assert_array_equal(photo.lightness, expected_gray(pixels))
    assert not photo.was_color


def test_animated_gif_uses_first_frame_with_a_note(tmp_path):
    frames = [Image.fromarray(np.full((24, 32), value, np.uint8)) for value in (40, 120, 200)]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100)
    photo = read_photo(path)
    assert "animated GIF: only the first of 3 frames is used" in photo.notes
    np.testing.assert_allclose(photo.lightness, expected_gray(np.full((24, 32), 40, np.uint8)), atol=1e-3)


def test_multipage_tiff_note(tmp_path):
    pages = [Image.fromarray(gray8()) for _ in range(2)]
    path = tmp_path / "pages.tif"
    pages[0].save(path, save_all=True, append_images=pages[1:])
    assert "multi-page TIFF: only the first of 2 pages is used" in read_photo(path).notes


# --- color sources --------------------------------------------------------------------------


def test_color_photo_is_noted_and_gives_its_lightness(tmp_path):
    rgb = RNG.integers(0, 256, (24, 32, 3), dtype=np.uint8)
    photo = read_photo(save(tmp_path, "c.png", Image.fromarray(rgb)))
    assert photo.was_color and "already in color: only its lightness is used, and the result replaces its colors" in photo.notes
    np.testing.assert_allclose(photo.lightness, color.srgb_to_lightness(rgb / 255.0), atol=1e-4)


def test_sepia_photo_counts_as_color_and_reads(tmp_path):
    lightness = np.tile(np.linspace(10, 95, 32, dtype=np.float32), (24, 1))
    ab = np.stack([np.full_like(lightness, 6.0), np.full_like(lightness, 18.0)], axis=-1)
    sepia = (color.lab_to_srgb(color.join_lab(lightness, ab)) * 255 + 0.5).astype(np.uint8)
    photo = read_photo(save(tmp_path, "sepia.jpg", Image.fromarray(sepia), quality=95))
    assert photo.was_color
    np.testing.assert_allclose(photo.lightness, lightness, atol=2.0)


def test_gray_stored_as_rgb_jpeg_is_not_color(tmp_path):
    pixels = gray8()
    photo = read_photo(save(tmp_path, "g.jpg", Image.fromarray(pixels).convert("RGB"), quality=80))
    assert not photo.was_color and photo.notes == []


# --- ICC profiles ---------------------------------------------------------------------------


def test_srgb_profile_reads_identically_and_is_kept(tmp_path):
    rgb = RNG.integers(0, 256, (24, 32, 3), dtype=np.uint8)
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    plain = read_photo(save(tmp_path, "plain.png", Image.fromarray(rgb)))
    tagged = read_photo(save(tmp_path, "tagged.png", Image.fromarray(rgb), icc_profile=srgb))
    np.testing.assert_array_equal(plain.lightness, tagged.lightness)
    assert tagged.icc_profile == srgb and plain.icc_profile is None


@pytest.mark.parametrize("bits", [8, 16])
def test_gray_profile_is_applied(tmp_path, bits):
    pixels = gray8() if bits == 8 else gray16()
    path = save(tmp_path, "g.png", Image.fromarray(pixels), icc_profile=gamma_profile("GRAY", 1.8))
    photo = read_photo(path)
    expected = color.luminance_to_lightness((pixels / float(np.iinfo(pixels.dtype).max)) ** 1.8)
    np.testing.assert_allclose(photo.lightness, expected, atol=0.05)
    assert photo.icc_profile == gamma_profile("GRAY", 1.8)


@pytest.mark.parametrize("bits", [8, 16])
def test_rgb_profile_is_applied(tmp_path, bits):
    gray = gray8() if bits == 8 else gray16()
    ramp = gray.astype(np.float32) / np.iinfo(gray.dtype).max
    rgb = np.dstack([gray, gray, gray])
    rgb[0, 0] = (np.iinfo(gray.dtype).max, 0, 0)  # one red pixel: not collapsed to gray
    path = tmp_path / "rgb.png"
    with path.open("wb") as file:
        encoders.write_png(file, rgb, gamma_profile("RGB", 1.8), None, None)
    photo = read_photo(path)
    assert photo.bit_depth == bits
    np.testing.assert_allclose(photo.lightness[1:], color.luminance_to_lightness(ramp**1.8)[1:], atol=0.1)


def test_broken_profile_is_ignored_with_a_note(tmp_path):
    pixels = gray8()
    photo = read_photo(save(tmp_path, "b.png", Image.fromarray(pixels), icc_profile=b"not a profile at all" * 8))
    assert photo.icc_profile is None
    assert any("profile is unreadable" in note for note in photo.notes)
    np.testing.assert_array_equal(photo.lightness, expected_gray(pixels))


def test_profile_of_the_wrong_kind_is_ignored_with_a_note(tmp_path):
    rgb = RNG.integers(0, 256, (24, 32, 3), dtype=np.uint8)
    photo = read_photo(save(tmp_path, "w.png", Image.fromarray(rgb), icc_profile=gamma_profile("GRAY", 1.8)))
    assert photo.icc_profile is None and any("does not fit" in note for note in photo.notes)


def cmyk_profile() -> bytes:
    """A CMYK printer profile whose ink lowers L* linearly and never adds color (a 2-point lut16)."""
    grid = []
    for c, m, y, k in np.ndindex(2, 2, 2, 2):
        lightness = 100.0 * (1 - 0.5 * c) * (1 - 0.5 * m) * (1 - 0.5 * y) * (1 - k)
        grid += [round(lightness / 100 * 0xFF00), 0x8000, 0x8000]
    identity = b"".join(struct.pack(">i", 65536 if row == col else 0) for row in range(3) for col in range(3))
    curves = struct.pack(">HH", 0, 65535)
    lut = b"mft2\0\0\0\0" + bytes([4, 3, 2, 0]) + identity + struct.pack(">HH", 2, 2)
    lut += curves * 4 + struct.pack(f">{len(grid)}H", *grid) + curves * 3
    tags = {"desc": icc.text_tag("test cmyk"), "wtpt": icc.xyz_tag((0.9642, 1.0, 0.8249)), "A2B0": lut}
    return icc.make_profile("CMYK", tags, device_class="prtr", pcs="Lab ")


@pytest.mark.parametrize("suffix", ["jpg", "tif"])
def test_cmyk_profile_is_applied(tmp_path, suffix):
    black = np.tile(np.linspace(0, 255, 32).astype(np.uint8), (24, 1))
    cmyk = np.zeros((24, 32, 4), np.uint8)
    cmyk[..., 3] = black
    image = Image.frombytes("CMYK", (32, 24), cmyk.tobytes())
    options = {"quality": 100} if suffix == "jpg" else {}
    path = save(tmp_path, f"c.{suffix}", image, icc_profile=cmyk_profile(), **options)
    photo = read_photo(path)
    assert "converted from CMYK" in photo.notes and photo.icc_profile == cmyk_profile()
    assert not photo.was_color
    np.testing.assert_allclose(photo.lightness, 100 * (1 - black / 255.0), atol=1.5)


# --- bad input ------------------------------------------------------------------------------


def assert_refused(path, fragment: str, **kwargs) -> str:
    with pytest.raises(ImageError) as caught:
        read_photo(path, **kwargs)
    message = str(caught.value)
    assert fragment in message and "\n" not in message and str(path) not in message
    return message


def test_bad_files(tmp_path):
    (tmp_path / "empty.png").write_bytes(b"")
    assert_refused(tmp_path / "empty.png", "file is empty")
    (tmp_path / "notes.jpg").write_text("shopping list: milk, eggs\n" * 20)
    assert_refused(tmp_path / "notes.jpg", "not an image file")
    assert_refused(tmp_path, "is a directory")
    assert_refused(tmp_path / "missing.png", "file not found")
    (tmp_path / "a.eps").write_text("%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 64 64\nshowpage\n")
    assert_refused(tmp_path / "a.eps", "not an image file")


@pytest.mark.parametrize("suffix", ["jpg", "png"])
def test_truncated_files(tmp_path, suffix):
    path = save(tmp_path, f"t.{suffix}", Image.fromarray(RNG.integers(0, 256, (64, 64, 3), dtype=np.uint8)))
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    assert_refused(path, "truncated or corrupt")


def test_corrupt_png_data(tmp_path):
    path = save(tmp_path, "c.png", Image.fromarray(gray8()))
    data = bytearray(path.read_bytes())
    data[60:80] = b"\xff" * 20  # inside IDAT
    path.write_bytes(bytes(data))
    assert_refused(path, "truncated or corrupt")


def test_damaged_metadata_is_skipped_with_a_note_not_a_warning(tmp_path):
    exif = Image.Exif()
    exif[0x010E] = "a description long enough to be stored apart"
    block = bytearray(exif.tobytes())
    tiff, order = block[6:], ">" if block[6:8] == b"MM" else "<"
    directory = struct.unpack_from(order + "I", tiff, 4)[0]
    struct.pack_into(order + "I", tiff, directory + 2 + 8, len(tiff) - 5)  # its text now runs past the end
    path = save(tmp_path, "d.jpg", Image.fromarray(gray8()), exif=bytes(block[:6] + tiff))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        photo = read_photo(path)
    assert "damaged metadata was skipped" in photo.notes


def test_pixel_limit_from_argument_and_environment(tmp_path, monkeypatch):
    path = save(tmp_path, "a.png", Image.fromarray(gray8(40, 40)))
    message = assert_refused(path, "over the limit", max_pixels=1000)
    assert message == "image is 40×40 = 0.0016 MP, over the limit of 0.001 MP (set TINCT_MAX_PIXELS to raise it)"
    monkeypatch.setenv("TINCT_MAX_PIXELS", "1000")
    assert_refused(path, "over the limit of 0.001 MP")
    assert read_photo(path, max_pixels=1600).size == (40, 40)
    monkeypatch.setenv("TINCT_MAX_PIXELS", "lots")
    assert_refused(path, "TINCT_MAX_PIXELS must be")
    assert DEFAULT_MAX_PIXELS == 200_000_000


def test_decompression_bomb_header_is_refused_fast(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(png_bytes(100_000, 100_000, 8, 0, b"\x00" * 1000))
    limit_before = Image.MAX_IMAGE_PIXELS
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        message = assert_refused(path, "over the limit")
    assert time.perf_counter() - started < 1.0
    assert message == "image is 100000×100000 = 10000 MP, over the limit of 200 MP (set TINCT_MAX_PIXELS to raise it)"
    assert Image.MAX_IMAGE_PIXELS == limit_before


def test_image_over_pillows_own_limit_reads_without_warnings(tmp_path, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 500)
    path = save(tmp_path, "a.png", Image.fromarray(gray8(40, 40)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_photo(path).size == (40, 40)
    assert Image.MAX_IMAGE_PIXELS == 500


@pytest.mark.parametrize(
    ("width", "height", "fragment"),
    [
        (1, 1, "image is 1×1 px; Tinct needs at least 16 px on each side"),
        (30000, 10, "image is 30000×10 px; Tinct needs at least 16 px"),
        (1000, 16, "longer than 50:1"),
    ],
)
def test_degenerate_sizes(tmp_path, width, height, fragment):
    path = save(tmp_path, "d.png", Image.new("L", (width, height), 128))
    assert_refused(path, fragment)


def test_unreadable_file(tmp_path, monkeypatch):
    path = save(tmp_path, "secret.png", Image.fromarray(gray8()))
    path.chmod(0)
    # Root may open a mode-000 file, so make opening it fail as the kernel does for everyone else
    # (PermissionError, EACCES): the test then runs, and means the same, for any user.
    real_open = builtins.open

    def open_refusing_the_secret(file, *args, **kwargs):
        if isinstance(file, (str, os.PathLike)) and Path(file) == path:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", open_refusing_the_secret)
    assert_refused(path, "permission denied")


def test_unicode_path_given_as_string(tmp_path):
    path = save(tmp_path, "ünïcode name.png", Image.fromarray(gray8()))
    assert read_photo(str(path)).size == (32, 24)


def test_dpi_is_kept(tmp_path):
    path = save(tmp_path, "a.png", Image.fromarray(gray8()), dpi=(600, 600))
    assert read_photo(path).dpi == pytest.approx((600, 600), abs=0.1)
    assert read_photo(save(tmp_path, "b.png", Image.fromarray(gray8()))).dpi is None


@pytest.mark.parametrize("resolution", [float("inf"), 1e300])
def test_a_resolution_no_encoder_can_write_is_dropped_and_the_photo_saves(tmp_path, resolution):
    tags = TiffImagePlugin.ImageFileDirectory_v2()
    tags[282], tags[283], tags[296] = resolution, resolution, 2  # x and y resolution, in inches
    tags.tagtype[282] = tags.tagtype[283] = 12  # double, so the value survives
    path = tmp_path / "odd.tif"
    Image.fromarray(gray8()).save(path, tiffinfo=tags)
    photo = read_photo(path)
    assert photo.dpi is None
    rgb = np.full(photo.lightness.shape + (3,), 0.5, np.float32)
    for fmt in ("png", "jpg"):
        assert save_photo(rgb, photo, tmp_path / f"out.{fmt}", fmt).exists()


def test_profile_helpers_tell_srgb_from_other_profiles():
    for space in ("RGB", "GRAY"):
        profile = gamma_profile(space, 1.8)
        assert icc.color_space(icc.load_profile(profile)) == space
        assert not icc.is_srgb_like(profile)
    assert icc.is_srgb_like(icc.srgb_profile_bytes())
