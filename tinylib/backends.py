"""Choosing Keras' backend (TensorFlow, JAX or PyTorch) in a notebook or script: Keras reads
KERAS_BACKEND once, when it is first imported, so the one setting must come before that.

Usage, in the first cell (before anything imports Keras)::

    import tinylib.backends
    tinylib.backends.use_backend("jax")      # or set KERAS_BACKEND=jax before Python starts
"""

from __future__ import annotations

import importlib.util
import os
import sys

BACKENDS = ("tensorflow", "jax", "torch")
# The package each backend needs (the `jax` and `torch` extras of pyproject.toml install them).
PACKAGES = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}


class BackendError(RuntimeError):
    """The backend cannot be chosen now (Keras already started with another, or it is not installed)."""


def is_installed(name: str) -> bool:
    """True when backend `name`'s package is importable here (looked up, not imported)."""
    return importlib.util.find_spec(PACKAGES[name]) is not None


def installed_backends() -> tuple[str, ...]:
    """The backends whose package is importable here, in BACKENDS order, e.g. ("tensorflow", "jax")."""
    return tuple(name for name in BACKENDS if is_installed(name))


def chosen_backend() -> str:
    """The backend Keras uses or will use: the running Keras' own once it is imported, else
    $KERAS_BACKEND, else "tensorflow" (Keras' default; ~/.keras/keras.json is not read here)."""
    keras = sys.modules.get("keras")
    if keras is not None and hasattr(keras, "config"):
        return keras.config.backend()
    return os.environ.get("KERAS_BACKEND", "tensorflow")


def use_backend(name: str | None = None) -> str:
    """Make Keras use backend `name` ("tensorflow", "jax" or "torch"; None: $KERAS_BACKEND or
    "tensorflow") by setting KERAS_BACKEND before Keras is imported. Returns the backend name.
    Calling it again with the backend already running does nothing.

    Raises ValueError for another name; BackendError when the backend's package is not
    installed (install the extra: `pip install 'tinylib-resnet-kit[jax]'`) or when Keras was
    already imported with another backend (a running Python cannot switch: restart the
    runtime, then choose the backend first)."""
    name = name or os.environ.get("KERAS_BACKEND") or "tensorflow"
    if name not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}; got {name!r}")
    if not is_installed(name):
        extra = f"pip install 'tinylib-resnet-kit[{name}]'" if name != "tensorflow" else "pip install tensorflow"
        raise BackendError(f"the {name} backend is not installed here: `{extra}`, restart the runtime, then retry")
    if "keras" in sys.modules and chosen_backend() != name:
        raise BackendError(
            f"Keras already started with the {chosen_backend()} backend in this Python, which cannot switch: "
            f"restart the runtime (Colab: Runtime > Restart session), then call use_backend({name!r}) "
            "before anything imports Keras"
        )
    os.environ["KERAS_BACKEND"] = name
    return name
