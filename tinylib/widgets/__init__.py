"""Interactive widgets for notebooks: browse a dataset, browse a model's mistakes with
Grad-CAM, and predict your own photos. Each is a small object with a `figure(...)` method
(a plain matplotlib Figure, testable without a notebook) and a `widget`; evaluating the
object in a notebook cell shows the widget."""

from tinylib.widgets.browsers import ClassBrowser, MistakeBrowser
from tinylib.widgets.upload import UploadPredictor, uploaded_files

__all__ = ["ClassBrowser", "MistakeBrowser", "UploadPredictor", "uploaded_files"]
