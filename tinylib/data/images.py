"""The one image decoder: any photo or dataset file to the uint8 64x64 RGB array a model sees.

Packing the dataset, `load_images`, `tinylib predict` and the upload widget all decode
through `decode`, so one photo gets the same pixels (and the same prediction) everywhere.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

IMAGE_SIZE = 64
RESAMPLE = Image.Resampling.LANCZOS
WHITE = (255, 255, 255, 255)
_ALPHA_MODES = ("RGBA", "LA", "PA", "RGBa", "La")


class ImageDecodeError(ValueError):
    """A file is not an image PIL can decode (empty, cut short, another format); the
    message names the file, what was found in it, and what to do. `reason`: the short
    cause alone ("empty (0 bytes)", "image file is truncated ..."), for lists of files."""

    def __init__(self, message: str, reason: str = ""):
        super().__init__(message)
        self.reason = reason or message


def decode(
    source: str | os.PathLike | bytes | Image.Image, size: int = IMAGE_SIZE, name: str | None = None
) -> np.ndarray:
    """One image as uint8 (size, size, 3) RGB, as an image viewer shows it.

    source: a path, the bytes of an image file (an upload), or an open PIL image.
    name: how messages call the source (default: the path, or "the uploaded file").

    Steps: EXIF orientation applied (phone photos stand upright); transparency (alpha or a
    palette's transparent colour) composited over white; grayscale, palette, CMYK (through
    its ICC profile when it has one), 16/32-bit integer and float images converted to RGB,
    high bit depths scaled to 0..255 (16-bit by 1/257, float in [0, 1] by 255, any other
    range stretched from its min..max), never clipped.

    Geometry: centre crop, then resize. The largest centred square is cut out and resized to
    size x size with one resampler (Lanczos). Training images are undistorted photos, so a
    crop keeps a photo's objects in the proportions the network learned; squashing a 4:3
    photo would stretch them by a third. Images already size x size (every Tiny ImageNet
    file) are not resampled at all: their pixels are exactly PIL's plain RGB decode.

    Raises ImageDecodeError naming the file, its size and first bytes, and what to do.
    """
    label = name or (str(source) if isinstance(source, (str, os.PathLike)) else "the uploaded file")
    image = open_image(source, label)
    try:
        rgb = _to_rgb(image)
    except (ValueError, OSError) as error:  # a mode PIL cannot turn into RGB, e.g. LAB
        raise ImageDecodeError(
            f"{label} has pixel mode {image.mode}, which cannot be shown as RGB ({error}) — "
            "re-save it as an RGB JPEG or PNG"
        ) from None
    return np.array(_square(rgb, size), dtype=np.uint8)


def open_image(source: str | os.PathLike | bytes | Image.Image, name: str | None = None) -> Image.Image:
    """The image fully loaded and upright (EXIF orientation applied), in its own mode and
    size: what `decode` starts from (and what `verify` inspects). Raises ImageDecodeError
    (see `decode`); a missing path raises FileNotFoundError."""
    if isinstance(source, Image.Image):
        return _upright(source)
    label = name or (str(source) if isinstance(source, (str, os.PathLike)) else "the uploaded file")
    data = Path(source).read_bytes() if isinstance(source, (str, os.PathLike)) else bytes(source)
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()  # a cut-off file fails here ("image file is truncated")
            return _upright(image)
    except Exception as error:  # PIL raises OSError, SyntaxError, ValueError, EOFError... for broken files
        if not data:
            reason = "is empty (0 bytes)"
        else:
            cause = " ".join(str(error).split()) or type(error).__name__
            if isinstance(error, UnidentifiedImageError):
                cause = "not an image format PIL can read"
            reason = f"does not decode ({cause}; {len(data):,} bytes starting {data[:8]!r})"
        raise ImageDecodeError(f"{label} {reason} — re-save it as JPEG or PNG, or delete it", reason) from None


def _upright(image: Image.Image) -> Image.Image:
    """The image turned as its EXIF orientation says (a copy; unchanged if it has none)."""
    try:
        return ImageOps.exif_transpose(image)
    except Exception:  # a damaged EXIF block: show the pixels as stored
        return image.copy()


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode in _ALPHA_MODES or "transparency" in image.info:
        rgba = image.convert("RGBA")
        return Image.alpha_composite(Image.new("RGBA", rgba.size, WHITE), rgba).convert("RGB")
    if image.mode == "CMYK":
        return _cmyk_to_rgb(image)
    if image.mode.startswith("I") or image.mode == "F":
        return Image.fromarray(_scaled_to_bytes(np.asarray(image), image.mode), "L").convert("RGB")
    return image.convert("RGB")


def _cmyk_to_rgb(image: Image.Image) -> Image.Image:
    profile = image.info.get("icc_profile")
    if profile:
        try:
            from PIL import ImageCms

            source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
            return ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode="RGB")
        except Exception:  # no littlecms, or a broken profile: PIL's plain formula below
            pass
    return image.convert("RGB")


def _scaled_to_bytes(values: np.ndarray, mode: str) -> np.ndarray:
    """Integer or float pixels of any depth as uint8, scaled (not clipped) to 0..255: float
    in [0, 1] times 255, integers in 0..65535 (16-bit) divided by 257, any other range
    stretched from its min..max."""
    values = np.asarray(values, np.float64)
    low, high = (float(values.min()), float(values.max())) if values.size else (0.0, 0.0)
    if mode == "F" and 0.0 <= low and high <= 1.0:
        scale, offset = 255.0, 0.0
    elif mode != "F" and 0.0 <= low and high <= 65535.0:
        scale, offset = 255.0 / 65535.0, 0.0
    else:
        scale, offset = (255.0 / (high - low) if high > low else 0.0), low
    return np.clip(np.round((values - offset) * scale), 0, 255).astype(np.uint8)


def _square(image: Image.Image, size: int) -> Image.Image:
    """The largest centred square, resized to size x size (not resampled when already so)."""
    width, height = image.size
    if (width, height) == (size, size):
        return image
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    return image.resize((size, size), RESAMPLE, box=(left, top, left + side, top + side), reducing_gap=3.0)
