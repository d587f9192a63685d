"""What is this machine, and what should I fix? The environment report (`tinylib env`, the
bootstrap cell) and the installer of missing requirements for Colab and Kaggle."""

from __future__ import annotations

import contextlib
import importlib.metadata
import io
import os
import platform as host
import subprocess
import sys
import tempfile

from tinylib import config

# The name pip knows the kit by (pyproject.toml: "tinylib" on PyPI is another project); the import is `tinylib`.
DISTRIBUTION = "tinylib-resnet-kit"
# Packages the bootstrap must never install or upgrade on Colab/Kaggle: their builds are matched
# to the runtime's CUDA drivers, and reinstalling them breaks it until it is restarted.
PROTECTED = frozenset({"tensorflow", "keras", "numpy", "jupyterlab"})
VERBOSE_ENV = "TINYLIB_VERBOSE"  # 1: show TensorFlow's start-up lines in the bootstrap cell
DRIVE_HINT = (
    "Google Drive is not mounted: run `from google.colab import drive; drive.mount('/content/drive')`, "
    "then rerun, and the dataset zip (248 MB) is kept on Drive: later sessions skip the download"
)


def version(distribution: str) -> str | None:
    """The installed version of a distribution, or None when it is not installed."""
    return config.installed_version(distribution)


def _accelerator_hints(info: dict) -> list[str]:
    where, kind = info["platform"], info["accelerator"]
    if kind == "TPU" or (where == "colab" and os.environ.get("TPU_NAME", os.environ.get("COLAB_TPU_ADDR"))):
        return ["TPUs are not supported by this kit (it is tested on CPUs and GPUs): "
                "choose a GPU runtime (Colab: Runtime > Change runtime type > T4 GPU)."]  # fmt: skip
    if kind != "none":
        return []
    if where == "colab":
        return ["No accelerator: in Colab choose Runtime > Change runtime type > T4 GPU, then rerun."]
    if where == "kaggle":
        return ["No accelerator: in Kaggle open Settings > Accelerator > GPU T4 x2 (or P100), then rerun."]
    if config.profile(info["profile"]).dataset != "synthetic":  # the profile trains on the real dataset
        return ["No GPU found: full-size training is slow on a CPU; use TINYLIB_PROFILE=quick here, "
                "or a GPU (e.g. Colab or Kaggle) for real runs."]  # fmt: skip
    return []


def _installed_backends() -> list[str]:
    from tinylib.backends import PACKAGES, installed_backends

    return [f"{name} {version(PACKAGES[name])}" for name in installed_backends()]


def _probe_keras(info: dict, hints: list[str]) -> None:
    if info["keras"] is None or int(info["keras"].split(".")[0]) < 3:
        hints.append("Keras 3 is required: `pip install -U 'keras>=3.13'` (TensorFlow >= 2.20 ships it).")
        return
    try:
        from tinylib.train import devices

        info["backend"] = devices.backend()
        wanted = os.environ.get("KERAS_BACKEND")
        if wanted and wanted != info["backend"]:
            hints.append(f"KERAS_BACKEND is {wanted} but Keras runs on {info['backend']}: it was imported "
                         "before the setting; restart the runtime, choose the backend first (tinylib.backends)")
        info["devices"] = list(devices.devices())
        info["accelerator"] = devices.accelerator()
        info["precision"] = "{} ({})".format(*devices.precision_policy())
        info["jit_compile"] = "{} ({})".format(*devices.jit_compile())
    except Exception as error:  # report what is broken instead of crashing the report
        hints.append(f"Keras failed to start its backend: {type(error).__name__}: {error}")


def _places() -> dict:
    """{"data", "extract", "work"}: each folder (str) and why it is there."""
    places = config.data_places()
    work, why = config.work_places()
    return {
        "data": "{} ({})".format(*places["data"]),
        "extract": "{} ({})".format(*places["extract"]),
        "work": f"{work} ({why})",
    }


def report(print_report: bool = True) -> dict:
    """Describe Python, TensorFlow, Keras and its backend, devices, the platform and where the
    data lives, with hints.

    Returns a dict (keys: python, platform (colab, kaggle or local), system, tinylib,
    tensorflow, keras, backend (Keras' backend: $KERAS_BACKEND, see `tinylib.backends`),
    backends (those installed, with versions), devices, accelerator (GPU, TPU or none), colab, profile,
    precision (the policy `use_precision` would choose, and why), jit_compile (XLA on or off
    for training, and why), data (where downloads are kept, and why), extract (extracted data
    and packed caches), work (work folders), hints); prints it as aligned lines unless
    print_report=False."""
    from tinylib import __version__

    info: dict = {
        "python": host.python_version(),
        "platform": config.platform(),
        "system": f"{host.system()} {host.machine()}",
        "tinylib": __version__,
        "tensorflow": config.installed_version("tensorflow", "tensorflow-cpu"),
        "keras": version("keras"),
        "backend": None,
        "backends": _installed_backends(),
        "devices": [],
        "accelerator": "none",
        "colab": config.platform() == "colab",
        "profile": config.profile().name,
        "precision": None,
        "jit_compile": None,
        **_places(),
        "hints": [],
    }
    _probe_keras(info, info["hints"])
    if info["backend"] == "tensorflow" and info["tensorflow"] is None:
        info["hints"].append("KERAS_BACKEND is tensorflow but TensorFlow is missing: `pip install tensorflow`.")
    info["hints"] += _accelerator_hints(info)
    if info["platform"] == "colab" and config.drive_folder() is None and not os.environ.get(config.DATA_ENV):
        info["hints"].append(DRIVE_HINT)
    if print_report:
        _print(info)
    return info


def _print(info: dict) -> None:
    width = max(len(key) for key in info)
    for key, value in info.items():
        if key == "hints":
            continue
        shown = ", ".join(value) if isinstance(value, list) else value
        print(f"{key:<{width}}  {shown if shown not in (None, '') else '-'}")
    for hint in info["hints"] or ["everything looks fine"]:
        print(f"{'hint':<{width}}  {hint}")


def requirement_name(requirement: str) -> str:
    """'tqdm>=4.66 ; extra == "x"' -> 'tqdm'."""
    name = requirement.split(";", 1)[0]
    for separator in "<>=!~[ (":
        name = name.split(separator, 1)[0]
    return name.strip().lower()


def missing_requirements(distribution: str = DISTRIBUTION) -> list[str]:
    """Requirements of `distribution` (not extras) whose package is not installed at all."""
    missing = []
    try:
        requirements = importlib.metadata.requires(distribution) or []
    except importlib.metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return []
    for requirement in requirements:
        if "extra ==" in requirement:
            continue
        if version(requirement_name(requirement)) is None:
            missing.append(requirement.split(";", 1)[0].strip())
    return missing


def install_missing_requirements(distribution: str = DISTRIBUTION) -> list[str]:
    """pip-install what tinylib needs and the runtime lacks, never touching TF/Keras/numpy.

    Used by the bootstrap cell on Colab and Kaggle after `pip install --no-deps`: their
    preinstalled TensorFlow, Keras and numpy are kept as they are. Returns the requirements
    installed. Raises subprocess.CalledProcessError when pip fails."""
    wanted = [r for r in missing_requirements(distribution) if requirement_name(r) not in PROTECTED]
    if wanted:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", *wanted], check=True)
    return wanted


@contextlib.contextmanager
def captured_stderr():
    """Collect what is written to stderr inside the block, Python's `sys.stderr` and the
    process's file descriptor 2 (where TensorFlow's C++ start-up lines go), instead of showing
    it. Yields a list (of str, one per line) filled when the block ends."""
    lines: list[str] = []
    sys.stderr.flush()
    saved = os.dup(2)
    python = io.StringIO()
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            with contextlib.redirect_stderr(python):
                yield lines
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            lines += sink.read().decode("utf-8", "replace").splitlines() + python.getvalue().splitlines()


def setup_notebook() -> dict:
    """What every notebook's bootstrap cell calls after importing tinylib. On Colab and Kaggle,
    pip-installs the requirements the runtime lacks (never TensorFlow, Keras or numpy); on other
    machines, says in one line how to install what is missing. Then prints one line (version,
    platform, profile, accelerator) and each hint of `report()` (e.g. which runtime to choose).
    TensorFlow's start-up lines (absl, cudart, cuInit: red in a notebook) are held back and
    shown only when Keras failed to start or $TINYLIB_VERBOSE is 1. Returns the report (dict)."""
    where = config.platform()
    if where in ("colab", "kaggle"):
        install_missing_requirements()
    else:
        missing = missing_requirements()
        if missing:
            print(f"tinylib: missing {', '.join(missing)}: run `make lab` in the repository "
                  "(or `pip install -e '.[lab]'` in this kernel's environment)")  # fmt: skip
    with captured_stderr() as startup:
        info = report(print_report=False)
    if startup and (info["backend"] is None or os.environ.get(VERBOSE_ENV) == "1"):
        print("\n".join(startup), file=sys.stderr)
    print(f"tinylib {info['tinylib']} | {where} | profile: {info['profile']} | accelerator: {info['accelerator']}")
    for hint in info["hints"]:
        print(f"hint: {hint}")
    return info
