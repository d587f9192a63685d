"""Upload your own photo and see what the model says: a thin ipywidgets UI (ipywidgets 7 and 8)
over `tinylib.predict.Predictor`."""

from __future__ import annotations

import os

from tinylib.data.images import decode


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

    def predict(self, photo, name: str | None = None) -> list[tuple[str, float]]:
        """The top-k (class name, probability) for a photo (bytes, path or PIL image), most
        probable first, decoded by the kit's one decoder (`tinylib.data.decode`), as
        `tinylib predict` does. Raises ImageDecodeError (a ValueError) naming `name`."""
        return self.predictor.ranked(self.predictor.predict(decode(photo, name=name)[None])[0], self.top)

    def figure(self, photo, name: str | None = None):
        """The photo as the model sees it (64x64) beside a bar chart of its top-k classes."""
        from matplotlib.figure import Figure

        image, ranked = decode(photo, name=name), self.predict(photo, name)
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
                    display(self.figure(content, name))
                except ValueError as error:  # the decoder's one line, naming the file
                    self.latest = str(error)
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
