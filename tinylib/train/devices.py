"""Device policy for training: seeding, the one device probe, and the one plan of how a run
uses the machine (device, mixed precision, XLA, distribution strategy, where augmentation
runs), each choice with its reason. `fit`, the CLI, the notebooks and `tinylib.doctor` ask here."""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import platform
import random
import sys
from pathlib import Path

from tinylib.config import PRECISIONS, installed_version

# GPUs whose Tensor Cores do float16 but not bfloat16 (Volta, Turing and older).
FLOAT16_GPUS = ("T4", "V100", "P100", "P4", "K80", "RTX 20", "TITAN V", "GTX")
# XLA for the train step on a CPU: measured slower there (benchmarks/device_choices.py xla).
CPU_XLA = False


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

    if keras.config.backend() == "tensorflow" or "tensorflow" in sys.modules:
        keras.utils.set_random_seed(seed)
        return
    # keras.utils.set_random_seed imports TensorFlow wherever it is installed (to seed tf.random):
    # on JAX and PyTorch that costs seconds and, on a GPU, grabs its memory. Hidden meanwhile.
    sys.modules["tensorflow"] = None  # `import tensorflow` raises ImportError
    try:
        keras.utils.set_random_seed(seed)
    finally:
        del sys.modules["tensorflow"]


def backend() -> str:
    """Keras' backend: "tensorflow", "jax" or "torch"."""
    import keras

    return keras.config.backend()


@functools.cache
def devices() -> tuple[str, ...]:
    """The devices Keras' backend sees, probed once per process, e.g. ("CPU:0", "GPU:0 NVIDIA T4")."""
    name = backend()
    if name == "tensorflow":
        import tensorflow as tf

        found = []
        for device in tf.config.list_physical_devices():
            label = device.name.split("physical_device:")[-1]  # "GPU:0"
            details = tf.config.experimental.get_device_details(device) if device.device_type == "GPU" else {}
            found.append(f"{label} {details.get('device_name', '')}".strip())
        return tuple(found)
    if name == "jax":
        import jax

        return tuple(f"{d.platform.upper()}:{d.id} {getattr(d, 'device_kind', '')}".strip() for d in jax.devices())
    if name == "torch":
        import torch

        return ("CPU:0", *(f"GPU:{i} {torch.cuda.get_device_name(i)}" for i in range(torch.cuda.device_count())))
    return ()


# fit's best.keras and last.keras on a GPU or TPU: at most one write per file every 30 s (and at
# the end); on CPUs an epoch of this kit takes longer than a write, so every epoch is written.
CHECKPOINT_SECONDS_ON_ACCELERATORS = 30.0


def checkpoint_seconds() -> float:
    """Seconds between two writes of a checkpoint file (`callbacks.Checkpoint(min_seconds=)`): 30
    on a GPU or TPU (writing takes longer than an epoch there: 0.8 s on an H200), 0 on CPUs."""
    return CHECKPOINT_SECONDS_ON_ACCELERATORS if accelerator() != "none" else 0.0


def accelerator(found: tuple[str, ...] | list[str] | None = None) -> str:
    """ "TPU", "GPU" or "none": the kind of accelerator among `found` (default: `devices()`)."""
    kinds = {device.split(":", 1)[0] for device in (devices() if found is None else found)}
    return "TPU" if "TPU" in kinds else "GPU" if "GPU" in kinds else "none"


def precision_policy(found: list[str] | tuple[str, ...] | None = None) -> tuple[str, str]:
    """(Keras dtype policy, reason) for these devices (default: `devices()`): float32 on
    CPUs, mixed_float16 on T4/V100-class GPUs, mixed_bfloat16 on A100/H100-class GPUs and TPUs."""
    found = devices() if found is None else found
    accelerators = [device for device in found if not device.startswith("CPU")]
    if any(device.startswith("TPU") for device in accelerators):
        return "mixed_bfloat16", "TPU: its matrix units compute in bfloat16"
    gpus = [device for device in accelerators if device.startswith("GPU")]
    if not gpus:
        return "float32", "no accelerator: mixed precision brings no speed-up on CPUs"
    if any(name in gpu for gpu in gpus for name in FLOAT16_GPUS):
        return "mixed_float16", f"{gpus[0]}: float16 Tensor Cores (no bfloat16); Keras scales the loss"
    return "mixed_bfloat16", f"{gpus[0]}: bfloat16 Tensor Cores, float32's range, no loss scaling"


def use_precision(policy: str | None = None) -> str:
    """Set Keras' global dtype policy (None or "auto": `precision_policy()`); call it before
    building a model. Models keep a float32 softmax. Returns the policy set.

    Raises ValueError for a policy other than those in PRECISIONS."""
    import keras

    if policy not in (None, *PRECISIONS):
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}; got {policy!r}")
    policy = precision_policy()[0] if policy in (None, "auto") else policy
    keras.mixed_precision.set_global_policy(policy)
    return policy


def jit_compile(found: list[str] | tuple[str, ...] | None = None, replicas: int = 1) -> tuple[bool, str]:
    """(XLA on or off for `model.compile(jit_compile=...)`, reason) on these devices (default:
    `devices()`), training with `replicas` replicas. On: GPUs and TPUs (XLA fuses the small ops
    of a ResNet step), and always on JAX (off would mean no jax.jit at all). Off: PyTorch (it
    would mean torch.compile, minutes of start-up), tf.distribute with several replicas (as
    Keras does), and CPUs, where XLA measured slower (benchmarks/device_choices.py xla)."""
    name = backend()
    if name == "jax":
        return True, "JAX: every train step is compiled with jax.jit"
    if name == "torch":
        return False, "PyTorch: jit_compile would mean torch.compile (slow to start); eager"
    accelerators = [device for device in (devices() if found is None else found) if not device.startswith("CPU")]
    if replicas > 1:
        return False, f"{replicas} replicas under tf.distribute: off, as Keras' own default"
    if accelerators:
        return True, f"{accelerators[0]}: XLA fuses the many small ops of a ResNet step"
    if CPU_XLA:
        return True, "CPU: XLA measured faster for a ResNet-10 train step on this kit's 2-core machines"
    return False, "CPU: XLA measured slower for a ResNet-10 train step on this kit's 2-core machines"


def augment_place(augment_on: str = "auto", found: tuple[str, ...] | list[str] | None = None) -> tuple[str, str]:
    """("device" or "host", reason) for `fit(augment_on=...)` on these devices (default:
    `devices()`): "auto" is "device" on a GPU or TPU (the host CPU is then what limits the input
    pipeline) and "host" on a CPU-only machine, where both run on the same cores and measured
    alike (`python benchmarks/device_choices.py augment`). Raises ValueError for another value."""
    if augment_on not in ("auto", "device", "host"):
        raise ValueError(f"augment_on must be 'auto', 'device' or 'host'; got {augment_on!r}")
    if augment_on != "auto":
        return augment_on, "chosen by the caller"
    if accelerator(found) != "none":
        return "device", "an accelerator is present: augment in the compiled train step, feed uint8"
    return "host", "no accelerator: the same cores either way (measured alike); augment in the input pipeline"


@dataclasses.dataclass(frozen=True)
class DevicePlan:
    """How one training run uses the machine, each choice as (value, reason), from `plan()`.

    device: (what trains, e.g. "GPU:0 NVIDIA T4", "2 x GPU:0 NVIDIA T4" or "CPU:0"; why).
    precision: (Keras dtype policy, why); the model must be built under it (`use_precision`).
    jit_compile: (XLA on or off for the train step, why). strategy: (the distribution engine's
    class name, or "none" off TensorFlow; why). augment_on: ("host" or "device", why).
    replicas: devices training in sync (batch and learning rate scale by it). engine: the
    tf.distribute strategy object itself (None off TensorFlow); not part of the record."""

    device: tuple[str, str]
    precision: tuple[str, str]
    jit_compile: tuple[bool, str]
    strategy: tuple[str, str]
    augment_on: tuple[str, str]
    replicas: int = 1
    engine: object = dataclasses.field(default=None, compare=False, repr=False)

    def record(self) -> dict:
        """The plan for run.json: {"device", "precision", "jit_compile", "strategy",
        "augment_on": "value (reason)"} and "replicas" (int)."""
        names = ("device", "precision", "jit_compile", "strategy", "augment_on")
        return {**{name: "{} ({})".format(*getattr(self, name)) for name in names}, "replicas": self.replicas}


def plan(
    preset: str = "flip_crop",
    precision: str = "auto",
    augment_on: str = "auto",
    xla: bool | None = None,
    engine=None,
) -> DevicePlan:
    """The one device plan for training with augmentation `preset` (the recipe's `augment`):
    `precision` ("auto": `precision_policy()`, or one of PRECISIONS), `augment_on` ("auto",
    "host", "device": `augment_place`), `xla` (None: `jit_compile()` for the replicas),
    `engine`: a tf.distribute strategy (None: `strategy()`). Choices the caller made say so in their reason.
    Raises ValueError for a precision or augment_on that does not exist."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}; got {precision!r}")
    given = engine is not None
    engine = engine if given else strategy()
    replicas = engine.num_replicas_in_sync if engine is not None else 1
    place = augment_place(augment_on)
    jit = jit_compile(replicas=replicas) if xla is None else (bool(xla), "chosen by the caller")
    if jit[0] and place[0] == "device" and preset == "strong" and backend() == "tensorflow":
        jit = (False, "MixUp draws from a Beta distribution, which has no XLA kernel in TensorFlow")
    chosen = precision_policy() if precision == "auto" else (precision, "chosen by the caller")
    accelerators = [device for device in devices() if not device.startswith("CPU")]
    device = (accelerators[0], "the first accelerator Keras sees") if accelerators else ("CPU:0", "no GPU or TPU found")
    if replicas > 1:
        device = (f"{replicas} x {device[0]}", f"{replicas} replicas train in sync")
    how = _strategy_reason(engine, given, replicas)
    return DevicePlan(device, chosen, jit, how, place, replicas, engine)


def _strategy_reason(engine, given: bool, replicas: int) -> tuple[str, str]:
    if engine is None:
        return "none", f"{backend()}: no tf.distribute; use_data_parallel() shards batches over local devices"
    name = type(engine).__name__
    if given:
        return name, "chosen by the caller"
    if cluster_workers() > 1:
        return name, f"TF_CONFIG names {cluster_workers()} workers: one process per machine"
    if replicas > 1:
        return name, f"{replicas} GPUs on this machine: one replica each"
    return name, "one device: TensorFlow's default strategy"


@functools.cache
def _multi_worker_strategy():
    import tensorflow as tf

    try:
        return tf.distribute.MultiWorkerMirroredStrategy()
    except RuntimeError as error:  # "Collective ops must be configured at program startup"
        raise RuntimeError(
            "TF_CONFIG names several workers, but TensorFlow already started in this process: call "
            "tinylib.train.devices.strategy() first, before building a model or any other TensorFlow work"
        ) from error


def cluster_workers() -> int:
    """Number of worker and chief tasks in $TF_CONFIG (0 when there is no cluster)."""
    cluster = json.loads(os.environ.get("TF_CONFIG") or "{}").get("cluster", {})
    return len(cluster.get("worker", [])) + len(cluster.get("chief", []))


def strategy():
    """The distribution engine for this machine, TensorFlow backend (None on other backends,
    where `use_data_parallel` applies): MultiWorkerMirroredStrategy when $TF_CONFIG names
    several workers (one process per machine, docs/scaling.md; made once per process),
    MirroredStrategy with several GPUs, else the default (one device). `tinylib.train.fit`
    uses it by default. With TF_CONFIG, call it early, before other TensorFlow work.

    Raises RuntimeError when TF_CONFIG names several workers but TensorFlow already started."""
    if backend() != "tensorflow":
        return None
    import tensorflow as tf

    if cluster_workers() > 1:
        return _multi_worker_strategy()
    if len(tf.config.list_logical_devices("GPU")) > 1:
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()


def use_data_parallel() -> int:
    """JAX backend: shard every batch across all local devices (keras.distribution.DataParallel).
    Returns the number of devices (1: nothing to do)."""
    import keras

    found = keras.distribution.list_devices()
    if backend() == "jax" and len(found) > 1:
        keras.distribution.set_distribution(keras.distribution.DataParallel(devices=found))
    return len(found)


def hardware() -> str:
    """One line for run records: the accelerators, then the CPU model and its core count."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        names = [
            line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines() if line.startswith("model name")
        ]
        cpu = names[0] if names else cpu
    accelerators = [device for device in devices() if not device.startswith("CPU")]
    return ", ".join([*accelerators, f"{os.cpu_count()} CPU cores ({cpu})"])


def versions() -> dict:
    """{"python", "tensorflow", "keras", "backend", "tinylib"} versions, for run records."""
    from tinylib import __version__

    return {"python": platform.python_version(), "tensorflow": installed_version("tensorflow", "tensorflow-cpu"),
            "keras": installed_version("keras"), "backend": backend(), "tinylib": __version__}  # fmt: skip
