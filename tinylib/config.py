"""The ground floor: the one source of sizes (profiles), where data and work folders live, and
which platform this is (Colab, Kaggle or a local machine).

Nothing here imports TensorFlow or Keras, so it is instant and works when the ML stack is broken.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path

PROFILE_ENV = "TINYLIB_PROFILE"
DATA_ENV = "TINYLIB_DATA"
KAGGLE_WORKING = Path("/kaggle/working")
# Keras dtype policies a run may ask for ("auto": mixed precision on GPUs/TPUs, float32 on CPUs).
PRECISIONS = ("auto", "float32", "mixed_float16", "mixed_bfloat16")


@dataclasses.dataclass(frozen=True)
class Profile:
    """Sizes for one way of running the kit; notebooks, the CLI, the demo and the experiments
    read them here instead of branching on "am I in CI".

    dataset: "tiny-imagenet-200" (real data) or "synthetic" (generated, offline).
    synthetic_*: size of the generated dataset (images per class; test is unlabeled); one set
        per profile, shared by the notebooks, `--data synthetic` and the demo.
    model_*: the residual network (depth, width in channels, stem) notebooks and `tinylib train`
        build by default; demo_*: the small network and training length of `tinylib demo`.
    epochs, batch_size: training length of the notebooks' runs (an epoch is one pass over train).
    comparison_steps: training steps of the short side-by-side runs inside notebooks.
    full_size_train_images: cap on training images when a notebook trains a full-size model
        (seed_net, width-64 ResNets: ~5 img/s on 2 CPU cores); None means all.
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
    comparison_steps: int
    full_size_train_images: int | None

    def synthetic_sizes(self) -> dict:
        """Keyword arguments of `tinylib.data.make_synthetic` for this profile's synthetic set."""
        return {
            "num_classes": self.synthetic_classes,
            "train_per_class": self.synthetic_train_per_class,
            "val_per_class": self.synthetic_val_per_class,
            "test_per_class": self.synthetic_test_per_class,
        }

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
        comparison_steps=1000,
        full_size_train_images=None,
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
        comparison_steps=100,
        full_size_train_images=64,
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
    """Where the kit runs: "kaggle", "colab" or "local".

    Kaggle's image also sets Colab's COLAB_RELEASE_TAG, so Kaggle is recognised first (its
    KAGGLE_KERNEL_RUN_TYPE / KAGGLE_URL_BASE variables, or /kaggle/input)."""
    if os.environ.get("KAGGLE_KERNEL_RUN_TYPE") or os.environ.get("KAGGLE_URL_BASE"):
        return "kaggle"
    if "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ:
        return "colab"
    return "local"


def is_colab() -> bool:
    """True inside a Google Colab runtime (not Kaggle, which imitates it)."""
    return platform() == "colab"


def data_dir() -> Path:
    """Where datasets live: $TINYLIB_DATA, else ~/tinylib-data (created on demand); without a
    home folder (HOME unset, as in some containers and schedulers) <temp>/tinylib-data-<uid>,
    said once in one line on stderr."""
    if os.environ.get(DATA_ENV):
        return Path(os.environ[DATA_ENV]).expanduser()
    try:
        return Path.home() / "tinylib-data"
    except (RuntimeError, KeyError):  # Python cannot tell the home folder
        import tempfile

        fallback = Path(tempfile.gettempdir()) / f"tinylib-data-{os.getuid() if hasattr(os, 'getuid') else 0}"
        if not _said_no_home:
            _said_no_home.append(fallback)
            print(f"tinylib: note: no home folder (HOME is unset): datasets and caches go to {fallback}; "
                  f"set {DATA_ENV} to keep them elsewhere", file=sys.stderr)  # fmt: skip
        return fallback


_said_no_home: list[Path] = []


def work_folder(name: str, local_root: str | os.PathLike = "runs") -> Path:
    """A work folder that outlives the session, created if needed: on Colab, Google Drive is
    mounted (asks for permission once) and MyDrive/tinylib/runs/<name> is returned; on Kaggle,
    /kaggle/working/runs/<name> (kept with the notebook's output); elsewhere <local_root>/<name>."""
    where = platform()
    if where == "colab":
        from google.colab import drive  # only exists on Colab

        drive.mount("/content/drive")
        path = Path("/content/drive/MyDrive/tinylib/runs") / name
    elif where == "kaggle":
        path = KAGGLE_WORKING / "runs" / name
    else:
        path = Path(local_root) / name
    path.mkdir(parents=True, exist_ok=True)
    return path
