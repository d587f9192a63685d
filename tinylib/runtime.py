"""The ground floor: run profiles (full / quick), an environment report with hints, seeding.

Nothing here imports TensorFlow or Keras at module import time, so ``profile()`` is instant
and ``report()`` can say what is wrong even when the ML stack is broken.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import json
import os
import platform
import random
import subprocess
import sys
from pathlib import Path

PROFILE_ENV = "TINYLIB_PROFILE"
DATA_ENV = "TINYLIB_DATA"

# Packages the Colab bootstrap must never install or upgrade: Colab's own builds are matched
# to its CUDA drivers, and reinstalling them breaks the runtime until it is restarted.
PROTECTED_ON_COLAB = frozenset({"tensorflow", "keras", "numpy", "jupyterlab"})


@dataclasses.dataclass(frozen=True)
class Profile:
    """Sizes for one way of running the kit; notebooks read them instead of branching on CI.

    dataset: "tiny-imagenet-200" (real data) or "synthetic" (generated, offline).
    synthetic_*: size of the generated dataset (images per class; test is unlabeled).
    model_*: the residual network a notebook or `tinylib train` builds by default.
    epochs, batch_size: training length (an epoch is one pass over the train split).
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
    epochs: int
    batch_size: int
    comparison_steps: int
    full_size_train_images: int | None


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
        epochs=6,
        batch_size=32,
        comparison_steps=100,
        full_size_train_images=64,
    ),
}


def profile(name: str | None = None) -> Profile:
    """The active profile: `name`, else $TINYLIB_PROFILE, else "full"."""
    chosen = (name or os.environ.get(PROFILE_ENV) or "full").strip().lower()
    if chosen not in PROFILES:
        raise ValueError(
            f"unknown profile {chosen!r} (from {PROFILE_ENV} or the argument); use one of: {', '.join(PROFILES)}"
        )
    return PROFILES[chosen]


def data_dir() -> Path:
    """Where datasets live: $TINYLIB_DATA, else ~/tinylib-data (created on demand)."""
    return Path(os.environ.get(DATA_ENV) or Path.home() / "tinylib-data").expanduser()


def drive_workdir(name: str, local_root: str | os.PathLike = "runs") -> Path:
    """A work folder that outlives the session: on Colab, Google Drive is mounted (asks for
    permission once) and MyDrive/tinylib/runs/<name> is returned; elsewhere <local_root>/<name>."""
    if is_colab():
        from google.colab import drive  # only exists on Colab

        drive.mount("/content/drive")
        path = Path("/content/drive/MyDrive/tinylib/runs") / name
    else:
        path = Path(local_root) / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def is_colab() -> bool:
    """True inside a Google Colab runtime."""
    return "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ


def seed_everything(seed: int = 0) -> None:
    """Seed Python, NumPy and the Keras backend (TF/JAX/PyTorch) so runs repeat.

    Also fixes PYTHONHASHSEED for subprocesses. Op-level determinism on GPUs is a separate
    switch (`tf.config.experimental.enable_op_determinism()`), off by default because it slows
    training.
    """
    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    import numpy as np

    np.random.seed(seed)
    import keras

    keras.utils.set_random_seed(seed)


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def _devices(backend: str) -> list[str]:
    if backend == "tensorflow":
        import tensorflow as tf

        devices = []
        for device in tf.config.list_physical_devices():
            name = device.name.split("physical_device:")[-1]  # "GPU:0"
            details = tf.config.experimental.get_device_details(device) if device.device_type == "GPU" else {}
            devices.append(f"{name} {details.get('device_name', '')}".strip())
        return devices
    if backend == "jax":
        import jax

        return [f"{d.platform.upper()}:{d.id} {getattr(d, 'device_kind', '')}".strip() for d in jax.devices()]
    if backend == "torch":
        import torch

        gpus = [f"GPU:{i} {torch.cuda.get_device_name(i)}" for i in range(torch.cuda.device_count())]
        return ["CPU:0", *gpus]
    return []


# GPUs whose Tensor Cores do float16 but not bfloat16 (Volta, Turing and older).
FLOAT16_GPUS = ("T4", "V100", "P100", "P4", "K80", "RTX 20", "TITAN V", "GTX")


def precision_policy(devices: list[str] | None = None) -> tuple[str, str]:
    """(Keras dtype policy, reason) for these devices (default: what Keras sees): float32 on
    CPUs, mixed_float16 on T4/V100-class GPUs, mixed_bfloat16 on A100/H100-class GPUs and TPUs."""
    devices = devices if devices is not None else _devices(_backend())
    accelerators = [device for device in devices if not device.startswith("CPU")]
    if any(device.startswith("TPU") for device in accelerators):
        return "mixed_bfloat16", "TPU: its matrix units compute in bfloat16"
    gpus = [device for device in accelerators if device.startswith("GPU")]
    if not gpus:
        return "float32", "no accelerator: mixed precision brings no speed-up on CPUs"
    if any(name in gpu for gpu in gpus for name in FLOAT16_GPUS):
        return "mixed_float16", f"{gpus[0]}: float16 Tensor Cores (no bfloat16); Keras scales the loss"
    return "mixed_bfloat16", f"{gpus[0]}: bfloat16 Tensor Cores, float32's range, no loss scaling"


def use_precision(policy: str | None = None) -> str:
    """Set Keras' global dtype policy (default: `precision_policy()`); call it before building
    a model. Models keep a float32 softmax. Returns the policy set."""
    import keras

    policy = policy or precision_policy()[0]
    keras.mixed_precision.set_global_policy(policy)
    return policy


# XLA for the train step on a CPU: measured slower there (see jit_compile); GPUs/TPUs gain.
CPU_XLA = False


def jit_compile(devices: list[str] | None = None, replicas: int = 1) -> tuple[bool, str]:
    """(XLA on or off for `model.compile(jit_compile=...)`, reason) on these devices (default:
    what Keras sees), training with `replicas` replicas. On: GPUs and TPUs (XLA fuses the
    small ops of a ResNet step), and always on JAX (off would mean no jax.jit at all). Off:
    PyTorch (it would mean torch.compile, minutes of start-up), tf.distribute with several
    replicas (as Keras does), and CPUs, where XLA measured slower (docs/scaling.md)."""
    backend = _backend()
    if backend == "jax":
        return True, "JAX: every train step is compiled with jax.jit"
    if backend == "torch":
        return False, "PyTorch: jit_compile would mean torch.compile (slow to start); eager"
    devices = devices if devices is not None else _devices(backend)
    accelerators = [device for device in devices if not device.startswith("CPU")]
    if replicas > 1:
        return False, f"{replicas} replicas under tf.distribute: off, as Keras' own default"
    if accelerators:
        return True, f"{accelerators[0]}: XLA fuses the many small ops of a ResNet step"
    if CPU_XLA:
        return True, "CPU: XLA measured faster for a ResNet-10 train step on this kit's 2-core machines"
    return False, "CPU: XLA measured slower for a ResNet-10 train step on this kit's 2-core machines"


_STRATEGY: list = []  # the multi-worker strategy, made once per process


def strategy():
    """The distribution engine for this machine, TensorFlow backend (None on other backends,
    where `use_data_parallel` applies): MultiWorkerMirroredStrategy when $TF_CONFIG names
    several workers (one process per machine, docs/scaling.md), TPUStrategy on a TPU,
    MirroredStrategy with several GPUs, else the default (one device). `tinylib.train.fit`
    uses it by default. With TF_CONFIG, call it early, before other TensorFlow work."""
    if _backend() != "tensorflow":
        return None
    import tensorflow as tf

    cluster = json.loads(os.environ.get("TF_CONFIG") or "{}").get("cluster", {})
    if len(cluster.get("worker", [])) + len(cluster.get("chief", [])) > 1:
        if not _STRATEGY:  # TensorFlow allows one collective setup per process
            try:
                _STRATEGY.append(tf.distribute.MultiWorkerMirroredStrategy())
            except RuntimeError as error:  # "Collective ops must be configured at program startup"
                raise RuntimeError(
                    "TF_CONFIG names several workers, but TensorFlow already started in this process: call "
                    "tinylib.runtime.strategy() first, before building a model or any other TensorFlow work"
                ) from error
        return _STRATEGY[0]
    if is_colab() and os.environ.get("COLAB_TPU_ADDR"):
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver)
    if len(tf.config.list_logical_devices("GPU")) > 1:
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()


def use_data_parallel() -> int:
    """JAX backend: shard every batch across all local devices (keras.distribution.DataParallel).
    Returns the number of devices (1: nothing to do)."""
    import keras

    devices = keras.distribution.list_devices()
    if _backend() == "jax" and len(devices) > 1:
        keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
    return len(devices)


def _backend() -> str:
    import keras

    return keras.config.backend()


def report(print_report: bool = True) -> dict:
    """Describe Python, TensorFlow, Keras and its backend, devices and Colab, with hints.

    Returns a dict (keys: python, platform, tinylib, tensorflow, keras, backend, devices,
    accelerator, colab, profile, precision (the policy `use_precision` would choose, and why),
    jit_compile (XLA on or off for training, and why), hints); prints it as aligned lines unless print_report=False.
    """
    from tinylib import __version__

    info: dict = {
        "python": platform.python_version(),
        "platform": f"{platform.system()} {platform.machine()}",
        "tinylib": __version__,
        "tensorflow": _version("tensorflow") or _version("tensorflow-cpu"),
        "keras": _version("keras"),
        "backend": None,
        "devices": [],
        "accelerator": "none",
        "colab": is_colab(),
        "profile": profile().name,
        "precision": None,
        "jit_compile": None,
        "hints": [],
    }
    hints = info["hints"]
    if info["keras"] is None or int(info["keras"].split(".")[0]) < 3:
        hints.append("Keras 3 is required: `pip install -U 'keras>=3.3'` (TensorFlow >= 2.16 ships it).")
    else:
        try:
            import keras

            info["backend"] = keras.config.backend()
            info["devices"] = _devices(info["backend"])
        except Exception as error:  # report what is broken instead of crashing the report
            hints.append(f"Keras failed to start its backend: {type(error).__name__}: {error}")
    if info["backend"]:
        info["precision"] = "{} ({})".format(*precision_policy(info["devices"]))
        info["jit_compile"] = "{} ({})".format(*jit_compile(info["devices"]))
    kinds = {device.split(":", 1)[0] for device in info["devices"]}
    info["accelerator"] = "TPU" if "TPU" in kinds else "GPU" if "GPU" in kinds else "none"
    if info["backend"] == "tensorflow" and info["tensorflow"] is None:
        hints.append("KERAS_BACKEND is tensorflow but TensorFlow is missing: `pip install tensorflow`.")
    if info["accelerator"] == "none":
        if info["colab"]:
            hints.append("No GPU: in Colab choose Runtime > Change runtime type > T4 GPU, then rerun.")
        elif info["profile"] == "full":
            hints.append(
                "No GPU found: full-size training is slow on a CPU; "
                "use TINYLIB_PROFILE=quick here, or a GPU (e.g. Colab) for real runs."
            )
    if print_report:
        width = max(len(key) for key in info)
        for key, value in info.items():
            if key == "hints":
                continue
            shown = ", ".join(value) if isinstance(value, list) else value
            print(f"{key:<{width}}  {shown if shown not in (None, '') else '-'}")
        for hint in hints or ["everything looks fine"]:
            print(f"{'hint':<{width}}  {hint}")
    return info


def _requirement_name(requirement: str) -> str:
    """'tqdm>=4.66 ; extra == "x"' -> 'tqdm'."""
    name = requirement.split(";", 1)[0]
    for separator in "<>=!~[ (":
        name = name.split(separator, 1)[0]
    return name.strip().lower()


def missing_requirements(distribution: str = "tinylib") -> list[str]:
    """Requirements of `distribution` (not extras) whose package is not installed at all."""
    missing = []
    for requirement in importlib.metadata.requires(distribution) or []:
        if "extra ==" in requirement:
            continue
        if _version(_requirement_name(requirement)) is None:
            missing.append(requirement.split(";", 1)[0].strip())
    return missing


def install_missing_requirements(distribution: str = "tinylib") -> list[str]:
    """pip-install what tinylib needs and the runtime lacks, never touching TF/Keras/numpy.

    Used by the Colab bootstrap cell after `pip install --no-deps`: Colab's preinstalled
    TensorFlow, Keras and numpy are kept as they are. Returns the requirements installed.
    """
    wanted = [r for r in missing_requirements(distribution) if _requirement_name(r) not in PROTECTED_ON_COLAB]
    if wanted:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", *wanted], check=True)
    return wanted
