"""The photo upload on the installed ipywidgets (7 on Colab, in `make test`'s Colab leg; 8 in the
main leg): the real FileUpload widget gets a file the way that version delivers an upload, and
the UploadPredictor shows a prediction. Under ipywidgets 8 the version-7 value (a dict) is
still fed to the predictor, as a plain dict."""

import tinylib  # noqa: F401  first: it turns TensorFlow's oneDNN kernels off before keras loads TensorFlow

# isort: split
import datetime
import io

import ipywidgets
import pytest
from PIL import Image

from tinylib.models import resnet
from tinylib.widgets import UploadPredictor
from tinylib.widgets.upload import uploaded_files

pytestmark = [pytest.mark.backend, pytest.mark.versions]

MAJOR = int(ipywidgets.__version__.split(".")[0])
NAMES = [f"class {c}" for c in range(6)]


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (90, 70), (200, 50, 50)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def predictor():
    tinylib.train.devices.seed_everything(0)
    return UploadPredictor(resnet(depth=10, width=8, stem="imagenet", num_classes=6), NAMES, top=3)


def _upload_like_the_browser(upload, name: str, content: bytes) -> None:
    """What the installed ipywidgets' front end does when a learner picks a file."""
    if MAJOR == 7:  # the browser sends metadata + data, then bumps _counter; the widget builds the dict
        upload.metadata = [{"name": name, "type": "image/png", "size": len(content), "lastModified": 1767225600000}]
        upload.data = [content]
        upload._counter += 1
    else:
        stamp = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
        item = {"name": name, "type": "image/png", "size": len(content), "content": memoryview(content),
                "last_modified": stamp}  # fmt: skip
        upload.value = (item,)


def test_the_real_upload_widget_shows_a_prediction(predictor):
    widget = predictor.widget
    assert widget.children[0] is predictor.upload and isinstance(predictor.upload, ipywidgets.FileUpload)
    _upload_like_the_browser(predictor.upload, "cat.png", _png())
    if MAJOR == 7:
        assert isinstance(predictor.upload.value, dict) and list(predictor.upload.value) == ["cat.png"]
    assert isinstance(predictor.latest, list) and len(predictor.latest) == 3, predictor.latest
    assert {name for name, _ in predictor.latest} <= set(NAMES)
    assert abs(sum(p for _, p in predictor.latest)) <= 1.0 + 1e-6


def test_an_ipywidgets_7_value_shows_a_prediction(predictor):
    """Version 7's value, {name: {"metadata": ..., "content": bytes}}, as a plain dict."""
    content = _png()
    metadata = {"name": "cat.png", "type": "image/png", "size": len(content)}
    value = {"cat.png": {"metadata": metadata, "content": content}}
    assert uploaded_files(value) == [("cat.png", content)]
    predictor.latest = None
    predictor.show(value, ipywidgets.Output())
    assert isinstance(predictor.latest, list) and len(predictor.latest) == 3


def test_ipywidgets_floor_is_the_version_colab_ships():
    from pathlib import Path

    import tomllib

    project = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())["project"]
    assert "ipywidgets>=7.7" in project["dependencies"]
