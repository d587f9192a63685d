"""Upload your own photo and see what the model says: a thin ipywidgets UI (ipywidgets 7 and 8)
over `tinylib.predict.Predictor`."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np

PHOTO_HINT = "upload a photo as JPEG, PNG, GIF, BMP, TIFF or WebP"


def _to_rgb(image):
    """Any PIL mode -> 8-bit RGB: 16/32-bit grey scaled (not clipped), transparency over white."""
    from PIL import Image

    if image.mode.startswith("I") or image.mode == "F":  # 16-bit PNG/TIFF ("I;16", "I"), float ("F")
        values = np.asarray(image, dtype=np.float64)
        if image.mode == "F":
            top = 1.0 if values.max(initial=0) <= 1.0 else 255.0
        else:
            top = 65535.0 if image.mode.startswith("I;16") or values.max(initial=0) > 255 else 255.0
        grey = np.clip(np.round(values / top * 255), 0, 255).astype(np.uint8)
        return Image.fromarray(grey).convert("RGB")
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        return Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba).convert("RGB")
    return image.convert("RGB")  # L, 1, P, CMYK, YCbCr, LAB, HSV, RGB


def prepare_photo(photo, size: int = 64) -> np.ndarray:
    """Any photo -> uint8 (size, size, 3) RGB as the models see it: turned upright by its EXIF
    orientation, converted from any mode (L, P, RGBA, CMYK, 16-bit, ...), the centre square
    cropped and resized. photo: file bytes, a path, or a PIL image. Raises ValueError, saying
    what was found, for a file that is not an image."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if isinstance(photo, Image.Image):
        image = photo
    else:
        data = bytes(photo) if isinstance(photo, (bytes, bytearray, memoryview)) else Path(photo).read_bytes()
        what = "the uploaded file" if isinstance(photo, (bytes, bytearray, memoryview)) else str(photo)
        try:
            image = Image.open(io.BytesIO(data))
            image.load()
        except (UnidentifiedImageError, OSError, SyntaxError) as error:
            raise ValueError(
                f"{what} is not an image this kit can read ({len(data)} bytes starting {data[:12]!r}; {error}): "
                f"{PHOTO_HINT}"
            ) from None
    image = _to_rgb(ImageOps.exif_transpose(image))
    return np.asarray(ImageOps.fit(image, (size, size), Image.Resampling.LANCZOS), np.uint8)


def uploaded_files(value) -> list[tuple[str, bytes]]:
    """(file name, content) of each file in a FileUpload's value, on ipywidgets 8 (a tuple of
    dicts with "name" and "content") and on ipywidgets 7, as on Colab (a dict
    {name: {"metadata": ..., "content": bytes}})."""
    if isinstance(value, dict):
        return [(name, bytes(item["content"])) for name, item in value.items()]
    return [(item["name"], bytes(item["content"])) for item in value]


class UploadPredictor:
    """Upload your own photo and see the model's top-k classes with their names: a thin UI
    over `tinylib.predict.Predictor`, with the one decoder every prediction uses.

    model: a Keras model, a work folder written by `tinylib.train.fit` (its best.keras, class
    names from its dataset), an export folder, or a Predictor. class_names: one name per class
    (needed for a Keras model). Raises ValueError when names and outputs disagree.
    """

    def __init__(self, model, class_names=None, top: int = 5):
        from tinylib.predict import Predictor, load_predictor

        if isinstance(model, (str, os.PathLike)):
            self.predictor = load_predictor(model)
        elif isinstance(model, Predictor):
            self.predictor = model
        elif class_names is None:
            raise ValueError("pass class_names=... (one name per class), e.g. read_layout(root).names")
        else:
            self.predictor = Predictor.from_model(model, tuple(class_names))
        self.class_names, self.top = self.predictor.names, min(top, len(self.predictor.names))
        self.latest: list[tuple[str, float]] | str | None = None  # the last upload's top-k, or why it failed
        self._widget = None

    def predict(self, photo) -> list[tuple[str, float]]:
        """The top-k (class name, probability) for a photo (bytes, path or PIL image), most probable first."""
        return self.predictor.ranked(self.predictor.predict(prepare_photo(photo)[None])[0], self.top)

    def figure(self, photo):
        """The photo as the model sees it (64x64) beside a bar chart of its top-k classes."""
        from matplotlib.figure import Figure

        image, ranked = prepare_photo(photo), self.predict(photo)
        self.latest = ranked
        figure = Figure(figsize=(8, 2.6), layout="constrained")
        picture, bars = figure.subplots(1, 2, width_ratios=[1, 2.2])
        picture.imshow(image, interpolation="nearest")
        picture.set_axis_off()
        picture.set_title("what the model sees (64x64)", fontsize=8)
        bars.barh(range(len(ranked)), [p for _, p in ranked], color="tab:blue")
        bars.set_yticks(range(len(ranked)), [name[:30] for name, _ in ranked], fontsize=8)
        bars.invert_yaxis()
        bars.set_xlim(0, 1)
        bars.set_xlabel("probability")
        bars.set_title(f"top {len(ranked)}", fontsize=9)
        return figure

    def show(self, value, output) -> None:
        """Draw the prediction of each uploaded file into `output` (a friendly line for a file
        that is not an image); `value` is a FileUpload's value on ipywidgets 7 or 8."""
        from IPython.display import display

        with output:
            output.clear_output(wait=True)
            for name, content in uploaded_files(value):
                try:
                    display(self.figure(content))
                except ValueError as error:
                    self.latest = f"{name}: {error}"
                    print(self.latest)

    @property
    def widget(self):
        """An upload button and the result area."""
        if self._widget is None:
            import ipywidgets as widgets

            self.upload = widgets.FileUpload(accept="image/*", multiple=False, description="your photo")
            output = widgets.Output()
            self.upload.observe(lambda change: self.show(change["new"], output), names="value")
            self._widget = widgets.VBox([self.upload, output])
        return self._widget

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)
