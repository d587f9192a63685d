"""The mistake browser and the upload predictor: any photo in, 64x64 RGB and named top-5 out."""

import tinylib  # noqa: F401  first: it turns TensorFlow's oneDNN kernels off before keras loads TensorFlow

# isort: split
import datetime
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tinylib import analysis
from tinylib.data import decode
from tinylib.inference import predict_probabilities
from tinylib.models import resnet
from tinylib.widgets import MistakeBrowser, UploadPredictor, uploaded_files

pytestmark = [pytest.mark.backend, pytest.mark.versions]

NAMES = ("cat", "dog", "fox")
PROBABILITIES = np.array(
    [[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.05, 0.9, 0.05], [0.2, 0.5, 0.3], [0.8, 0.1, 0.1], [0.1, 0.1, 0.8]],
    np.float32,
)  # mistakes: row 2 (cat as dog, 90 %), row 4 (fox as cat, 80 %), row 1 (dog as fox, 60 %)
RESULT = analysis.Predictions(
    PROBABILITIES,
    np.array([0, 1, 0, 1, 2, 2]),
    NAMES,
    np.random.default_rng(0).integers(0, 256, (6, 64, 64, 3), dtype=np.uint8),
    tuple(Path(f"val_{i}.JPEG") for i in range(6)),
    np.tile([[4, 4, 40, 40]], (6, 1)),
)


def _encoded(image: Image.Image, format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format, **options)
    return buffer.getvalue()


def _halves(left, right, size=(80, 40)) -> np.ndarray:
    pixels = np.zeros((size[1], size[0], 3), np.uint8)
    pixels[:, : size[0] // 2], pixels[:, size[0] // 2 :] = left, right
    return pixels


def test_photo_modes_become_64x64_rgb():
    grey = decode(_encoded(Image.new("L", (120, 90), 100), "PNG"))
    assert grey.shape == (64, 64, 3) and grey.dtype == np.uint8 and np.all(grey == 100)
    rgba = np.zeros((64, 64, 4), np.uint8)
    rgba[:, :32] = (0, 0, 255, 255)  # opaque blue left, transparent right -> white
    photo = decode(_encoded(Image.fromarray(rgba, "RGBA"), "PNG"))
    assert photo[10, 10].tolist() == [0, 0, 255] and photo[10, 50].tolist() == [255, 255, 255]
    cmyk = decode(_encoded(Image.new("CMYK", (64, 64), (0, 255, 255, 0)), "JPEG", quality=95))
    assert cmyk[32, 32, 0] > 200 and cmyk[32, 32, 1:].max() < 60  # red
    palette = Image.new("P", (50, 50), 1)
    palette.putpalette([0, 0, 0, 0, 200, 0] + [0] * 762)
    assert decode(_encoded(palette, "GIF"))[5, 5].tolist() == [0, 200, 0]
    transparent = Image.new("P", (50, 50), 1)
    transparent.putpalette([0, 0, 0, 0, 200, 0] + [0] * 762)
    assert decode(_encoded(transparent, "PNG", transparency=1))[5, 5].tolist() == [255, 255, 255]


def test_sixteen_bit_greys_are_scaled_not_clipped():
    values = np.zeros((64, 64), np.uint16)
    values[:, :32], values[:, 32:] = 65535, 32768
    image = Image.fromarray(values)
    assert image.mode == "I;16"
    photo = decode(_encoded(image, "PNG"))
    assert photo[10, 10].tolist() == [255, 255, 255] and photo[10, 50].tolist() == [128, 128, 128]
    wide = Image.fromarray(values.astype(np.int32))  # mode "I", as some 16-bit TIFFs open
    assert decode(wide)[10, 50].tolist() == [128, 128, 128]


def test_exif_orientation_is_applied_and_the_centre_square_kept():
    image = Image.fromarray(_halves((255, 0, 0), (0, 0, 255)))  # stored: red left, blue right (80x40)
    exif = image.getexif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display": the left edge becomes the top
    photo = decode(_encoded(image, "JPEG", exif=exif.tobytes(), quality=95))
    assert photo.shape == (64, 64, 3)
    assert photo[2, 32, 0] > 200 and photo[2, 32, 2] < 60  # top: red
    assert photo[61, 32, 2] > 200 and photo[61, 32, 0] < 60  # bottom: blue
    upright = decode(Image.fromarray(_halves((255, 0, 0), (0, 0, 255))))  # no EXIF: centre crop, sides kept
    assert upright[32, 2].tolist() == [255, 0, 0] and upright[32, 61].tolist() == [0, 0, 255]


def test_a_file_that_is_not_an_image_gets_a_clear_error(tmp_path):
    with pytest.raises(
        ValueError, match=r"the uploaded file does not decode .*26 bytes starting b'hello, t'.*re-save it as JPEG"
    ):
        decode(b"hello, this is a text file")
    notes = tmp_path / "notes.txt"
    notes.write_text("not a picture")
    with pytest.raises(ValueError, match=f"{notes} does not decode"):
        decode(notes)


@pytest.fixture(scope="module")
def model():
    tinylib.train.devices.seed_everything(0)
    return resnet(depth=10, width=8, stem="imagenet", num_classes=6)


def test_upload_predictor_names_the_top_five(model, tmp_path):
    names = [f"class {c}" for c in range(6)]
    predictor = UploadPredictor(model, names)
    photo = tmp_path / "photo.png"
    Image.fromarray(_halves((250, 120, 0), (0, 90, 200), size=(300, 200))).save(photo)
    ranked = predictor.predict(photo)
    probabilities = predict_probabilities(model, decode(photo)[None])[0]
    assert [name for name, _ in ranked] == [names[c] for c in np.argsort(-probabilities)[:5]]
    np.testing.assert_allclose([p for _, p in ranked], np.sort(probabilities)[::-1][:5], rtol=1e-5)
    figure = predictor.figure(photo.read_bytes())
    picture, bars = figure.axes
    assert picture.images[0].get_array().shape == (64, 64, 3) and len(bars.patches) == 5
    assert [label.get_text() for label in bars.get_yticklabels()] == [name for name, _ in ranked]
    with pytest.raises(ValueError, match="predicts 6 classes but 2 names"):
        UploadPredictor(model, ["a", "b"])


def test_upload_widget_shows_predictions_and_explains_bad_files(model):
    import ipywidgets

    if int(ipywidgets.__version__.split(".")[0]) < 8:
        pytest.skip("ipywidgets 7's FileUpload.value is read-only: tests/test_widgets_ipywidgets7.py covers it")
    predictor = UploadPredictor(model, [f"class {c}" for c in range(6)], top=3)
    widget = predictor.widget
    assert widget.children[0] is predictor.upload

    def upload(name: str, content: bytes) -> None:
        stamp = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
        item = {"name": name, "type": "", "size": len(content), "content": memoryview(content), "last_modified": stamp}
        predictor.upload.value = (item,)

    upload("cat.png", _encoded(Image.new("RGB", (90, 90), (200, 50, 50)), "PNG"))
    assert isinstance(predictor.latest, list) and len(predictor.latest) == 3
    upload("essay.docx", b"PK\x03\x04 not a photo")
    assert isinstance(predictor.latest, str) and predictor.latest.startswith("essay.docx does not decode")


def test_mistake_browser_selections_and_pages(model):
    browser = MistakeBrowser(RESULT, per_page=2)
    assert browser.mistakes(("all",)).tolist() == [2, 4, 1]  # most confidently wrong first
    assert browser.mistakes(("class", 0)).tolist() == [2] and browser.mistakes(("pair", 1, 2)).tolist() == [1]
    assert browser.options()[0] == ("all mistakes (3)", ("all",))
    assert ("cat → dog (1)", ("pair", 0, 1)) in browser.options()
    assert browser.options()[-1] == ("true: fox (1)", ("class", 2))
    assert browser.pages(("all",)) == 2 and browser.pages(("class", 1)) == 1
    figure = browser.figure(("all",), page=1)
    assert [axis.get_title().split("\n")[0] for axis in figure.axes if axis.images] == ["val_1"]
    assert figure.get_suptitle() == "mistakes 3-3 of 3"
    with pytest.raises(ValueError, match="Grad-CAM needs the model"):
        browser.figure(("all",), cam="predicted")
    with pytest.raises(ValueError, match="a selection is"):
        browser.mistakes(("wolf",))


def test_mistake_browser_widget_with_grad_cam():
    small = resnet(depth=10, width=8, stem="imagenet", num_classes=3)
    browser = MistakeBrowser(RESULT, model=small, per_page=2)
    assert browser.widget.children[1] is browser.cam and browser.shown == (("all",), 0, None)
    browser.cam.value = "predicted"
    assert browser.shown == (("all",), 0, "predicted")
    browser.choice.value = ("pair", 2, 0)
    assert browser.shown == (("pair", 2, 0), 0, "predicted") and browser.page.max == 0
    figure = browser.figure(("all",), cam="true")
    assert all(len(axis.images) == 2 for axis in figure.axes if axis.images)  # image + heat-map
    assert "Grad-CAM of the true class" in figure.get_suptitle()
    assert [label for label, _ in MistakeBrowser(RESULT)._build().children[1].options] == ["off"]


def test_the_widget_and_tinylib_predict_see_the_same_pixels(model, tmp_path):
    """One decoder: a non-square photo gets the same probabilities in the upload widget and in
    `tinylib predict` (predict_files over the same model)."""
    from tinylib.predict import Predictor, predict_files

    rng = np.random.default_rng(3)
    photo = tmp_path / "wide.jpg"
    Image.fromarray(rng.integers(0, 256, (90, 170, 3), dtype=np.uint8)).save(photo, quality=90)
    names = [f"class {c}" for c in range(6)]
    from_widget = UploadPredictor(model, names, top=6).predict(photo.read_bytes(), "wide.jpg")
    from_cli = predict_files(Predictor.from_model(model, tuple(names)), [photo], top=6)[0]["top"]
    assert [name for name, _ in from_widget] == [name for name, _ in from_cli]
    np.testing.assert_allclose([p for _, p in from_widget], [p for _, p in from_cli], rtol=1e-6)


def test_uploaded_files_reads_ipywidgets_7_and_8_values():
    version_8 = ({"name": "cat.png", "type": "image/png", "size": 3, "content": memoryview(b"abc")},)
    version_7 = {"cat.png": {"metadata": {"name": "cat.png", "type": "image/png", "size": 3}, "content": b"abc"}}
    assert uploaded_files(version_8) == uploaded_files(version_7) == [("cat.png", b"abc")]
