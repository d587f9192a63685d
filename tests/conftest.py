"""Shared fixtures: a tiny synthetic dataset, the real sample (skipped where absent)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# Before anything imports TensorFlow or starts a notebook kernel (kernels inherit these).
os.environ.setdefault("TINYLIB_PROFILE", "quick")
os.environ.setdefault("TINYLIB_DATA", str(Path(tempfile.gettempdir()) / "tinylib-test-data"))
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # as `import tinylib` sets it, whichever test imports Keras first

REPOSITORY_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPOSITORY_ROOT.parent / "shared" / "data"
SAMPLE = SHARED_DATA / "tiny-imagenet-sample"
# The notebook whose cells the Colab leg runs under Colab's versions (marker `versions`).
VERSIONS_NOTEBOOK = "colab_quickstart.ipynb"


def pytest_collection_modifyitems(config, items) -> None:
    """Notebook cells (nbval items) get the marker `notebook`; the quickstart's also `versions`."""
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.notebook)
            if item.path.name == VERSIONS_NOTEBOOK:
                item.add_marker(pytest.mark.versions)


@pytest.fixture(scope="session")
def synthetic_root(tmp_path_factory) -> Path:
    """4 classes, 12 train / 5 val per class, 3 test per class; many hard and grayscale
    images so every kind shows up."""
    from tinylib.data import make_synthetic

    root = tmp_path_factory.mktemp("synthetic") / "tiny-synthetic"
    return make_synthetic(
        root,
        num_classes=4,
        train_per_class=12,
        val_per_class=5,
        test_per_class=3,
        seed=7,
        hard_fraction=0.5,
        grayscale_fraction=0.2,
        workers=1,
        progress=False,
    )


@pytest.fixture(scope="session")
def sample_root() -> Path:
    if not (SAMPLE / "wnids.txt").is_file():
        pytest.skip(f"real Tiny ImageNet sample not found at {SAMPLE} (only present on the project's machines)")
    return SAMPLE


@pytest.fixture(scope="session")
def real_zip() -> Path:
    """The real 20-class zip in the official layout (../shared/data), skipped where absent."""
    path = SHARED_DATA / "tiny-imagenet-20.zip"
    if not path.is_file():
        pytest.skip(f"real 20-class zip not found at {path} (only present on the project's machines)")
    return path


@pytest.fixture(scope="session")
def real_root(tmp_path_factory, real_zip) -> Path:
    """The 20-class zip prepared (extracted + verified) once per session, outside the repository."""
    from tinylib.data import prepare

    return prepare(real_zip, tmp_path_factory.mktemp("real"), progress=False)
