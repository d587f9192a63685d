"""The ground floor: the one source of sizes and run settings (profiles), where data lives,
which platform this is (Colab, Kaggle or a local machine) and which packages are installed.

Nothing here imports TensorFlow or Keras, so it is instant and works when the ML stack is broken.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import os
import sys
import types
from collections.abc import Mapping
from pathlib import Path

PROFILE_ENV = "TINYLIB_PROFILE"
DATA_ENV = "TINYLIB_DATA"
PLATFORM_ENV = "TINYLIB_PLATFORM"  # colab, kaggle or local: overrides detection (tests, unusual images)
DRIVE_ENV = "TINYLIB_DRIVE"  # the mounted MyDrive folder on Colab
DEFAULT_DRIVE = Path("/content/drive/MyDrive")
COLAB_LOCAL = Path("/content")  # Colab's fast local disk (gone when the session ends)
DATASET_ENV = "TINYLIB_DATASET"  # one official-layout folder or zip every notebook trains on instead
KAGGLE_WORKING = Path("/kaggle/working")
DATA_FOLDER = "tinylib-data"
# Keras dtype policies a run may ask for ("auto": mixed precision on GPUs/TPUs, float32 on CPUs).
PRECISIONS = ("auto", "float32", "mixed_float16", "mixed_bfloat16")


@dataclasses.dataclass(frozen=True)
class Profile:
    """Sizes and run settings for one way of running the kit; notebooks, the CLI, the demo,
    the experiments and evaluation read them here instead of branching on "am I in CI" or on
    the profile's name. `settings()` shows them all as one dict (as airbench's `hyp`).

    dataset: "tiny-imagenet-200" (real data) or "synthetic" (generated, offline).
    synthetic_*: size of the generated dataset (images per class; test is unlabeled); one set
        per profile, shared by the notebooks, `--data synthetic` and the demo.
    model_*: the residual network (depth, width in channels, stem) notebooks and `tinylib train`
        build by default; demo_*: the small network and training length of `tinylib demo`.
    epochs, batch_size: training length of the notebooks' runs (an epoch is one pass over train);
        `tinylib.train.recipe(name, profile=...)` applies them to a recipe, the learning rate
        scaled linearly with the batch size (the one way).
    eval_batch_size: images per batch when predicting and evaluating (memory only: every
        image is scored once whatever the batch).
    comparison_steps: training steps of the short side-by-side runs inside notebooks.
    full_size_train_images: cap on training images when a notebook trains a full-size model
        (seed_net, width-64 ResNets: ~5 img/s on 2 CPU cores); None means all.
    lr_finder: keyword arguments of `find_learning_rate` in notebook 03 ({}: its defaults).
    hard_examples_recipe: the recipe notebook 04 trains its model with before inspecting it.
    all_experiments: notebook 05 runs every experiment (True) or only the ones the learner chose.
    """

    name: str
    dataset: str
    synthetic_classes: int
    synthetic_train_per_class: int
    synthetic_val_per_class: int
    synthetic_test_per_class: int
    model_depth: int
    model_width: int
    model_stem: str
    demo_depth: int
    demo_width: int
    demo_epochs: int
    demo_batch_size: int
    epochs: int
    batch_size: int
    eval_batch_size: int
    comparison_steps: int
    full_size_train_images: int | None
    lr_finder: Mapping
    hard_examples_recipe: str
    all_experiments: bool

    def synthetic_sizes(self) -> dict:
        """Keyword arguments of `tinylib.data.make_synthetic` for this profile's synthetic set."""
        return {"num_classes": self.synthetic_classes, "train_per_class": self.synthetic_train_per_class,
                "val_per_class": self.synthetic_val_per_class, "test_per_class": self.synthetic_test_per_class}

    def model_size(self) -> dict:
        """Keyword arguments of `tinylib.models.resnet` for the default network: depth, width, stem."""
        return {"depth": self.model_depth, "width": self.model_width, "stem": self.model_stem}

    def demo_model_size(self) -> dict:
        """Keyword arguments of `tinylib.models.resnet` for the demo's network."""
        return {"depth": self.demo_depth, "width": self.demo_width, "stem": "imagenet"}

    def training_length(self) -> dict:
        """{"epochs", "batch_size"} of the notebooks' training runs."""
        return {"epochs": self.epochs, "batch_size": self.batch_size}

    def demo_length(self) -> dict:
        """{"epochs", "batch_size"} of the demo's training run."""
        return {"epochs": self.demo_epochs, "batch_size": self.demo_batch_size}

    def settings(self) -> dict:
        """Every size and setting of this profile as one nested dict: {"data", "model",
        "training", "evaluation", "demo", "notebooks"} (JSON-serialisable)."""
        return {
            "data": {"dataset": self.dataset, **self.synthetic_sizes()},
            "model": self.model_size(),
            "training": self.training_length(),
            "evaluation": {"batch_size": self.eval_batch_size},
            "demo": {**self.demo_model_size(), **self.demo_length()},
            "notebooks": {
                "comparison_steps": self.comparison_steps,
                "full_size_train_images": self.full_size_train_images,
                "lr_finder": dict(self.lr_finder),
                "hard_examples_recipe": self.hard_examples_recipe,
                "all_experiments": self.all_experiments,
            },
        }


PROFILES: dict[str, Profile] = {
    "full": Profile(
        name="full",
        dataset="tiny-imagenet-200",
        synthetic_classes=10,
        synthetic_train_per_class=500,  # the official per-class counts
        synthetic_val_per_class=50,
        synthetic_test_per_class=50,
        model_depth=18,
        model_width=64,
        model_stem="cifar",
        demo_depth=10,  # ~87 % val top-1 on the synthetic set in ~1.5 min on 2 CPU cores (README)
        demo_width=16,
        demo_epochs=12,
        demo_batch_size=64,
        epochs=30,
        batch_size=128,
        eval_batch_size=256,
        comparison_steps=1000,
        full_size_train_images=None,
        lr_finder=types.MappingProxyType({}),
        hard_examples_recipe="baseline",
        all_experiments=True,
    ),
    "quick": Profile(
        name="quick",
        dataset="synthetic",
        synthetic_classes=10,
        synthetic_train_per_class=100,
        synthetic_val_per_class=20,
        synthetic_test_per_class=2,
        model_depth=10,
        model_width=16,
        model_stem="imagenet",
        demo_depth=10,
        demo_width=16,
        demo_epochs=6,
        demo_batch_size=32,
        epochs=6,
        batch_size=32,
        eval_batch_size=256,
        comparison_steps=100,
        full_size_train_images=32,
        lr_finder=types.MappingProxyType({"steps": 60, "start": 1e-4, "smoothing": 0.9}),  # a short ramp
        hard_examples_recipe="demo",  # AdamW learns the small set in few epochs
        all_experiments=False,
    ),
}


def profile(name: str | None = None) -> Profile:
    """The active profile: `name`, else $TINYLIB_PROFILE, else "full".

    Raises ValueError naming the valid profiles for any other name."""
    chosen = (name or os.environ.get(PROFILE_ENV) or "full").strip().lower()
    if chosen not in PROFILES:
        raise ValueError(
            f"unknown profile {chosen!r} (from {PROFILE_ENV} or the argument); use one of: {', '.join(PROFILES)}"
        )
    return PROFILES[chosen]


def platform() -> str:
    """Where the kit runs: "kaggle", "colab" or "local"; $TINYLIB_PLATFORM overrides detection.

    Kaggle's image also sets Colab's COLAB_RELEASE_TAG, so Kaggle is recognised first (by its
    KAGGLE_KERNEL_RUN_TYPE, set in every Kaggle notebook). The bootstrap cell repeats this rule
    in one line (tinylib is not installed yet there); a test keeps the two in step.

    Raises ValueError for a $TINYLIB_PLATFORM other than colab, kaggle or local."""
    chosen = os.environ.get(PLATFORM_ENV, "").strip().lower()
    if chosen:
        if chosen not in ("colab", "kaggle", "local"):
            raise ValueError(f"{PLATFORM_ENV}={chosen!r}: use colab, kaggle or local (or leave it unset)")
        return chosen
    if "KAGGLE_KERNEL_RUN_TYPE" in os.environ:
        return "kaggle"
    if "COLAB_RELEASE_TAG" in os.environ:
        return "colab"
    return "local"


def installed_version(*distributions: str) -> str | None:
    """The installed version of the first of `distributions` that is installed (e.g.
    "tensorflow", "tensorflow-cpu"), or None when none is. Reads package metadata only."""
    for distribution in distributions:
        try:
            return importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


def _home_data_folder() -> Path:
    """~/tinylib-data; without a home folder (HOME unset, as in some containers and schedulers)
    <temp>/tinylib-data-<uid>, said once in one line on stderr."""
    try:
        return Path.home() / DATA_FOLDER
    except (RuntimeError, KeyError):  # Python cannot tell the home folder
        import tempfile

        fallback = Path(tempfile.gettempdir()) / f"{DATA_FOLDER}-{os.getuid() if hasattr(os, 'getuid') else 0}"
        if not _said_no_home:  # once per process
            _said_no_home.append(fallback)
            print(f"tinylib: note: no home folder (HOME is unset): datasets and caches go to {fallback}; "
                  f"set {DATA_ENV} to keep them elsewhere", file=sys.stderr)  # fmt: skip
        return fallback


_said_no_home: list[Path] = []


def dataset_setting() -> Path | None:
    """The dataset chosen by $TINYLIB_DATASET (an official-layout folder or zip, e.g. one written by
    `tinylib data subset`), which notebooks use in any profile instead of the profile's own; None
    when unset."""
    value = os.environ.get(DATASET_ENV, "").strip()
    return Path(value).expanduser() if value else None


def drive_folder() -> Path | None:
    """On Colab, the mounted Google Drive folder ($TINYLIB_DRIVE, default /content/drive/MyDrive)
    when it exists; None elsewhere or when Drive is not mounted."""
    drive = Path(os.environ.get(DRIVE_ENV) or DEFAULT_DRIVE).expanduser()
    return drive if platform() == "colab" and drive.is_dir() else None


def mount_drive() -> Path | None:
    """On Colab, mount Google Drive at /content/drive (Colab asks for permission once) unless it
    is mounted already or $TINYLIB_DRIVE names the folder, and return the MyDrive folder
    (`drive_folder()`: None if mounting did not give one). Elsewhere: nothing, None."""
    if platform() != "colab":
        return None
    if not os.environ.get(DRIVE_ENV) and not DEFAULT_DRIVE.is_dir():
        from google.colab import drive  # only exists on Colab

        drive.mount(str(DEFAULT_DRIVE.parent))
    return drive_folder()


def data_places() -> dict[str, tuple[Path, str]]:
    """Where the data lives on this platform, and why: {"data": (folder, reason), "extract":
    (folder, reason)}. "data" keeps downloads (the dataset zip; on Colab with Drive mounted, on
    Drive, so later sessions skip the download); "extract" holds extracted datasets and their
    packed caches (on Colab, the fast local disk). $TINYLIB_DATA overrides both."""
    if os.environ.get(DATA_ENV):
        chosen = Path(os.environ[DATA_ENV]).expanduser()
        return {"data": (chosen, f"${DATA_ENV}"), "extract": (chosen, f"${DATA_ENV}")}
    where, drive = platform(), drive_folder()
    if where == "colab":
        local = (COLAB_LOCAL / DATA_FOLDER, "Colab's fast local disk, gone when the session ends")
        if drive is None:
            return {"data": (local[0], "Colab without Drive: mount Drive to keep the zip"), "extract": local}
        return {"data": (drive / DATA_FOLDER, "Google Drive: kept between sessions"), "extract": local}
    if where == "kaggle":
        working = (KAGGLE_WORKING / DATA_FOLDER, "Kaggle's writable folder (attached datasets are read-only)")
        return {"data": working, "extract": working}
    home = (_home_data_folder(), f"the default (set ${DATA_ENV} to move it)")
    return {"data": home, "extract": home}


def data_dir() -> Path:
    """Where downloads (the dataset zip) are kept: $TINYLIB_DATA, else per platform (see
    `data_places`): on Colab MyDrive/tinylib-data when Drive is mounted, /content/tinylib-data
    without it; on Kaggle /kaggle/working/tinylib-data; else ~/tinylib-data. Not created here."""
    return data_places()["data"][0]


def extract_dir() -> Path:
    """Where extracted datasets and their packed caches go (fast local disk): $TINYLIB_DATA,
    else per platform (see `data_places`); the same as `data_dir()` except on Colab with Drive."""
    return data_places()["extract"][0]


def work_places() -> tuple[Path, str]:
    """The root of work folders (`Workdir.named`) on this platform, and why (str)."""
    where = platform()
    if where == "colab":
        drive = Path(os.environ.get(DRIVE_ENV) or DEFAULT_DRIVE).expanduser()
        return drive / "tinylib" / "runs", "Google Drive, mounted on first use: kept between sessions"
    if where == "kaggle":
        return KAGGLE_WORKING / "runs", "kept with the notebook's output"
    return Path("runs"), "beside the notebook (or where asked)"
