"""Shared fixtures and helpers, so that tests do not each build or train the same things: a tiny
synthetic dataset, the real sample (skipped where absent), a tiny model, random training data and
one tiny finished training run for the whole session."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

# Before anything imports TensorFlow or starts a notebook kernel (kernels inherit these).
os.environ.setdefault("TINYLIB_PROFILE", "quick")
os.environ.setdefault("TINYLIB_DATA", str(Path(tempfile.gettempdir()) / "tinylib-test-data"))
# One data folder per pytest-xdist worker (gw0, gw1, ...; the workers inherit the folder above from
# the process that starts them): two workers never write the same dataset at once.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if WORKER and not os.environ["TINYLIB_DATA"].endswith(f"-{WORKER}"):
    os.environ["TINYLIB_DATA"] += f"-{WORKER}"
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # as `import tinylib` sets it, whichever test imports Keras first

REPOSITORY_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPOSITORY_ROOT.parent / "shared" / "data"
SAMPLE = SHARED_DATA / "tiny-imagenet-sample"
# The notebook whose cells the Colab leg runs under Colab's versions (marker `versions`).
VERSIONS_NOTEBOOK = "colab_quickstart.ipynb"
# The notebooks the JAX leg runs too (marker `every_backend`): architecture, training, analysis, quickstart.
EVERY_BACKEND_NOTEBOOKS = {"02_residual_architecture.ipynb", "03_training_on_gpu.ipynb",
                           "04_inspecting_hard_examples.ipynb", VERSIONS_NOTEBOOK}  # fmt: skip
# Files whose tests share a folder outside tmp_path, which pytest-xdist (`-n 2`, README "Tests")
# must run in one worker, one after the other: notebook 03 trains the reference run that the
# quickstart then loads (notebooks/runs/reference-...).
SHARED_STATE = {"03_training_on_gpu.ipynb": "reference-run", VERSIONS_NOTEBOOK: "reference-run"}


def pytest_collection_modifyitems(config, items) -> None:
    """Notebook cells (nbval items) get the marker `notebook`; the quickstart's also `versions`,
    those of EVERY_BACKEND_NOTEBOOKS also `every_backend`.
    Under pytest-xdist the notebooks go first: they are the longest files, and the last file to
    start decides when the run ends."""
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.notebook)
            if item.path.name == VERSIONS_NOTEBOOK:
                item.add_marker(pytest.mark.versions)
            if item.path.name in EVERY_BACKEND_NOTEBOOKS:
                item.add_marker(pytest.mark.every_backend)
    if config.pluginmanager.hasplugin("xdist") and config.getoption("numprocesses", None):
        items.sort(key=lambda item: item.path.suffix != ".ipynb")  # stable: each file keeps its order


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """pytest-xdist sends whole files to a worker (a notebook's cells run in order in one kernel, a
    module's fixtures are built once), and the files of SHARED_STATE together."""
    from xdist.scheduler import LoadScopeScheduling

    class FileScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            file = nodeid.split("::", 1)[0]
            return SHARED_STATE.get(Path(file).name, file)

    return FileScheduling(config, log)


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


def small_model(num_classes: int = 4, width: int = 8):
    """A seeded (seed 0) ResNet-10, `width` channels in its first stage, 7x7 stem: the same
    weights on every call. Input (64, 64, 3) float32 in [0, 1]; output (num_classes,) softmax."""
    from tinylib.models import resnet10
    from tinylib.train import devices

    devices.seed_everything(0)
    return resnet10(width=width, stem="imagenet", num_classes=num_classes)


def random_data(train: int, val: int, seed: int = 0, labels: str = "random"):
    """TrainingData of random uint8 images (64, 64, 3) and 4 classes ("a" to "d"): `train` then
    `val` images drawn from one generator seeded `seed`, the labels after them, either random
    ("random") or cycling 0, 1, 2, 3, ... ("cycle", every class equally often).
    Raises ValueError for another `labels`."""
    import numpy as np

    from tinylib.train import TrainingData

    rng = np.random.default_rng(seed)
    count = train + val
    images = rng.integers(0, 256, (count, 64, 64, 3), dtype=np.uint8)
    if labels not in ("random", "cycle"):
        raise ValueError(f"labels must be 'random' or 'cycle', got {labels!r}")
    drawn = rng.integers(0, 4, count) if labels == "random" else np.arange(count) % 4
    return TrainingData(images[:train], drawn[:train], images[train:], drawn[train:], ("a", "b", "c", "d"),
                        source="random")  # fmt: skip


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory, synthetic_root) -> Path:
    """One finished work folder for the whole session: `small_model()` trained by `fit` for 2
    epochs of the demo recipe (batch 16) on a copy of the synthetic set (4 classes, 48 train /
    20 val images; the copy is named tiny-synthetic and run.json names it). Tests only read it:
    one that writes into a run folder copies it first (`copy_run`)."""
    from tinylib.train import TrainingData, fit
    from tinylib.workdir import Workdir

    base = tmp_path_factory.mktemp("trained-run")
    root = shutil.copytree(synthetic_root, base / "tiny-synthetic")  # packing writes into the dataset
    data = TrainingData.from_root(root, progress=False)
    run = fit(small_model(), data, trained_run_recipe(), base / "run", verbose=0)
    assert run["status"] == "complete" and Workdir(base / "run").run() == run, run
    return base / "run"


def trained_run_recipe():
    """The recipe `trained_run` was trained with: demo, 2 epochs, batch 16 (3 steps per epoch)."""
    from tinylib.train import recipe

    return recipe("demo", epochs=2, batch_size=16)


def copy_run(run: Path, destination: Path) -> Path:
    """A copy of the work folder `run` at `destination` (which must not exist), for a test that writes into it."""
    return Path(shutil.copytree(run, destination))


def run_on_backend(backend: str, script: str, *args: str, timeout: int) -> tuple[subprocess.CompletedProcess, dict]:
    """Run `script` (python -c, with `args`) in a fresh process with KERAS_BACKEND=`backend`; assert it
    exits 0 and return (the finished process, its last stdout line read as JSON). Skips the test
    when `backend` is not installed here (`make test-jax` / `make test-torch` install it)."""
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed here (make test-{backend} installs it)")
    result = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True,
                            timeout=timeout, env={**os.environ, "KERAS_BACKEND": backend})  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return result, json.loads(result.stdout.strip().splitlines()[-1])
