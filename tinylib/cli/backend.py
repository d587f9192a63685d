"""A Keras backend that cannot load is one line naming the value or the package to install.

Keras picks its backend from KERAS_BACKEND, else from ~/.keras/keras.json ("backend"), and
fails on import with a traceback when that backend's package is missing (`ModuleNotFoundError:
No module named 'jax'`) or with "Unable to import backend : tf" for a misspelt name.
"""

from __future__ import annotations

import importlib.util
import json
import os

PACKAGES = ("tensorflow", "jax", "torch", "numpy", "openvino")  # each backend's package has its name
ALIASES = {"tf": "tensorflow", "pytorch": "torch", "jax.numpy": "jax"}


def _settings() -> tuple[str | None, str]:
    """(the backend asked for, how it was asked) or (None, "") when Keras would use its default."""
    if os.environ.get("KERAS_BACKEND"):
        return os.environ["KERAS_BACKEND"], f"KERAS_BACKEND={os.environ['KERAS_BACKEND']}"
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    path = os.path.join(home, "keras.json")
    try:
        with open(path, encoding="utf-8") as handle:
            backend = json.load(handle).get("backend")
    except (OSError, ValueError, AttributeError):
        return None, ""
    return (backend, f'"backend": "{backend}" in {path}') if backend else (None, "")


def backend_problem() -> str | None:
    """One line saying why Keras' backend cannot load (an unknown name, its package missing),
    or None when it can (or Keras is already imported, so the choice is made)."""
    import sys

    if "keras" in sys.modules:
        return None
    name, said = _settings()
    if name is None:
        return None
    if name not in PACKAGES:
        suggestion = ALIASES.get(name.lower(), "tensorflow")
        return f"{said}: {name!r} is not a Keras backend: use {suggestion} (one of {', '.join(PACKAGES)})"
    if importlib.util.find_spec(name) is None:
        return f"{said}, but {name} is not installed: pip install {name}, or use tensorflow"
    return None
