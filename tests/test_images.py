"""The one decoder: every photo mode decodes to what a viewer shows, as uint8 (64, 64, 3)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from tinylib.data import ImageDecodeError, decode, load_images

pytestmark = pytest.mark.versions

RED, BLUE, GREEN = (220, 20, 20), (20, 20, 220), (20, 200, 20)


def _saved(image: Image.Image, path, **options):
    image.save(path, **options)
    return path


def _red_top(size=(64, 64)) -> Image.Image:
    """A picture whose stored top half is red and bottom half blue."""
    image = Image.new("RGB", size, BLUE)
    image.paste(RED, (0, 0, size[0], size[1] // 2))
    return image


def _is(pixels: np.ndarray, colour, tolerance=30) -> bool:
    return bool(np.abs(pixels.reshape(-1, 3).mean(0) - np.asarray(colour)).max() < tolerance)


@pytest.mark.parametrize("orientation, red_side", [(6, "right"), (8, "left")])
def test_exif_rotated_jpeg_decodes_as_a_viewer_shows_it(tmp_path, orientation, red_side):
    exif = Image.Exif()
    exif[0x0112] = orientation  # 6: the camera was turned right; 8: turned left
    path = _saved(_red_top(), tmp_path / "phone.jpg", exif=exif.tobytes(), quality=95)
    image = decode(path)
    assert image.shape == (64, 64, 3) and image.dtype == np.uint8
    left, right = image[:, 8:24], image[:, 40:56]
    assert _is(right if red_side == "right" else left, RED)
    assert _is(left if red_side == "right" else right, BLUE)
    assert _is(decode(_saved(_red_top(), tmp_path / "plain.jpg", quality=95))[:24], RED)  # no EXIF: as stored


def test_transparent_pixels_of_an_rgba_png_are_white(tmp_path):
    image = Image.new("RGBA", (64, 64), (0, 0, 0, 0))  # transparent black
    image.paste((*BLUE, 255), (32, 0, 64, 64))
    decoded = decode(_saved(image, tmp_path / "logo.png"))
    assert (decoded[:, :30] == 255).all()
    assert tuple(decoded[10, 50]) == BLUE


def test_a_palette_png_with_a_transparent_index_is_white_there(tmp_path):
    image = Image.new("P", (64, 64), 0)
    image.putpalette([0, 0, 0, *RED])
    image.paste(1, (0, 0, 32, 64))
    decoded = decode(_saved(image, tmp_path / "sticker.png", transparency=0))
    assert tuple(decoded[5, 5]) == RED and (decoded[:, 33:] == 255).all()


def test_gray_with_alpha_and_plain_grayscale(tmp_path):
    image = Image.new("LA", (64, 64), (50, 255))
    image.paste((50, 0), (0, 0, 64, 32))
    decoded = decode(_saved(image, tmp_path / "la.png"))
    assert (decoded[:30] == 255).all() and (decoded[34:] == 50).all()
    gray = decode(_saved(Image.linear_gradient("L").resize((64, 64)), tmp_path / "gray.jpg"))
    assert np.array_equal(gray[..., 0], gray[..., 1]) and np.array_equal(gray[..., 1], gray[..., 2])
    assert gray[..., 0].std() > 10


def test_a_cmyk_jpeg_keeps_its_colour(tmp_path):
    path = _saved(Image.new("RGB", (64, 64), (200, 60, 30)).convert("CMYK"), tmp_path / "print.jpg", quality=95)
    assert Image.open(path).mode == "CMYK"
    assert _is(decode(path), (200, 60, 30), tolerance=12)


def test_a_16_bit_png_is_scaled_not_clipped(tmp_path):
    image = Image.new("I;16", (64, 64))
    image.putdata([65535] * (64 * 32) + [32768] * (64 * 32))
    path = _saved(image, tmp_path / "scan.png")
    assert Image.open(path).mode.startswith("I")
    decoded = decode(path)
    assert (decoded[:32] == 255).all() and (decoded[32:] == 128).all()


def test_a_float_tiff_is_scaled(tmp_path):
    image = Image.new("F", (64, 64), 0.25)
    image.paste(1.0, (0, 0, 64, 16))
    decoded = decode(_saved(image, tmp_path / "depth.tif"))
    assert (decoded[:14] == 255).all() and (decoded[18:] == 64).all()


def test_a_wide_photo_is_centre_cropped_not_squashed(tmp_path):
    image = Image.new("RGB", (192, 128), GREEN)  # 3:2, green centre square between red and blue borders
    image.paste(RED, (0, 0, 32, 128))
    image.paste(BLUE, (160, 0, 192, 128))
    decoded = decode(_saved(image, tmp_path / "wide.png")).astype(int)
    assert decoded.shape == (64, 64, 3)
    # The borders are gone (the filter's edge pulls in a trace of them); a squash would keep 11 columns of each.
    assert np.abs(decoded - GREEN).max() <= 15 and np.abs(decoded[:, 2:-2] - GREEN).max() <= 3
    tall = decode(image.rotate(90, expand=True))  # a PIL image works too; portrait: top and bottom cut
    assert np.abs(tall.astype(int) - GREEN).max() <= 15


def test_bytes_and_path_give_the_same_pixels(tmp_path):
    path = _saved(_red_top((120, 90)), tmp_path / "photo.jpg", quality=90)
    np.testing.assert_array_equal(decode(path), decode(path.read_bytes()))
    np.testing.assert_array_equal(decode(str(path)), load_images([path])[0])


def test_a_64x64_jpeg_is_returned_pixel_for_pixel(synthetic_root):
    for path in sorted(synthetic_root.rglob("*.JPEG"))[:20]:
        with Image.open(path) as image:
            plain = np.asarray(image.convert("RGB"))
        np.testing.assert_array_equal(decode(path), plain)


def test_empty_and_truncated_files_name_the_file(tmp_path, synthetic_root):
    empty = tmp_path / "empty.JPEG"
    empty.write_bytes(b"")
    with pytest.raises(ImageDecodeError, match=rf"^{empty} is empty \(0 bytes\) — re-save it"):
        decode(empty)
    source = next(synthetic_root.rglob("*.JPEG")).read_bytes()
    cut = tmp_path / "cut.JPEG"
    cut.write_bytes(source[: len(source) // 2])
    with pytest.raises(ImageDecodeError, match=rf"^{cut} does not decode \(.*; {len(source) // 2:,} bytes starting"):
        decode(cut)
    with pytest.raises(ImageDecodeError, match=r"^the uploaded file does not decode \(not an image format"):
        decode(b"Mac OS X        \x00\x02\x00\x00")  # an AppleDouble file, as the Finder writes ._name.JPEG
    with pytest.raises(ImageDecodeError, match=r"^holiday\.heic is empty"):
        decode(b"", name="holiday.heic")
    with pytest.raises(ValueError):  # ImageDecodeError is a ValueError: the CLI prints it as one line
        decode(io.BytesIO(b"").getvalue())
