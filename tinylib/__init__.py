"""tinylib: the Tiny ImageNet residual-network teaching kit (data, models, training, analysis).

Submodules are imported on first use (``tinylib.models`` imports Keras only when touched),
so ``import tinylib`` stays fast and never pulls TensorFlow in by itself.
"""

from __future__ import annotations

import importlib
import os
import sys

__version__ = "0.1.0"

# TensorFlow reads these once, when it is first imported. Set defaults here (never override
# a user's choice): quieter logs, and oneDNN off. oneDNN was ~1.8x faster on this project's
# 2-core AMD EPYC machines, but with it TensorFlow 2.21 corrupted memory and crashed while
# training narrow ResNets there (malloc assertion, seen repeatedly on 2026-11-26 on machines
# reporting AVX-512; not reproduced on 2026-11-30 on one without it); without it, training is sound.
# TensorFlow reads TF_ENABLE_ONEDNN_OPTS only while it is imported: after `import tensorflow`
# (or `import keras`) the switch below comes too late, so say so, once, in one line.
LATE_IMPORT_WARNING = (
    "tinylib: warning: TensorFlow was imported before tinylib, too late for tinylib to turn its oneDNN "
    "kernels off (on some CPUs they crash training); import tinylib first, or set TF_ENABLE_ONEDNN_OPTS=0 "
    "before Python starts"
)
if "tensorflow" in sys.modules and "TF_ENABLE_ONEDNN_OPTS" not in os.environ:
    print(LATE_IMPORT_WARNING, file=sys.stderr)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

_SUBMODULES = (
    "analysis",
    "checks",
    "cli",
    "course",
    "config",
    "data",
    "demo",
    "doctor",
    "export",
    "inference",
    "predict",
    "workdir",
    "models",
    "plots",
    "report",
    "train",
    "widgets",
)

__all__ = ["__version__", *_SUBMODULES]


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'tinylib' has no attribute {name!r}")
