"""Each `make test` leg runs on the versions it says it does (constraints/), tinylib is installed
the way that leg promises, and the Makefile turns away a Python TensorFlow has no wheels for."""

import importlib.metadata
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tinylib import doctor

pytestmark = pytest.mark.versions

ROOT = Path(__file__).resolve().parents[1]
LEG = os.environ.get("TINYLIB_TEST_LEG")  # set by the Makefile: main or colab


def _pins(path: Path) -> dict[str, str]:
    lines = [line.split("#")[0].strip() for line in path.read_text().splitlines()]
    return {re.sub(r"[-_.]+", "-", line.split("==")[0]).lower(): line.split("==")[1] for line in lines if "==" in line}


@pytest.mark.skipif(LEG != "colab", reason="the Colab leg only (make test-colab)")
def test_colab_leg_runs_colabs_versions_with_tinylib_installed_like_the_bootstrap():
    installed = {name: importlib.metadata.version(name) for name in _pins(ROOT / "constraints" / "colab.txt")}
    assert installed == _pins(ROOT / "constraints" / "colab.txt")
    distribution = importlib.metadata.distribution(doctor.DISTRIBUTION)
    assert "editable" not in (distribution.read_text("direct_url.json") or "")  # pip install --no-deps .
    assert doctor.missing_requirements() == []  # the bootstrap's second step installed what was missing
    for absent in ("scikit-learn", "tf2onnx"):  # neither core nor on Colab's list (JupyterLab comes with notebook 7)
        assert doctor.version(absent) is None, f"{absent} should not be in the Colab leg's environment"


@pytest.mark.skipif(LEG != "main" or sys.version_info[:2] != (3, 11), reason="the main leg on Python 3.11 only")
def test_main_leg_runs_the_ci_constraints():
    pins = _pins(ROOT / "constraints" / "ci.txt")
    for name in ("tensorflow", "keras", "numpy", "ipywidgets", "matplotlib", "pillow", "pytest"):
        assert importlib.metadata.version(name) == pins[name], f"{name}: reinstall with `make install`"


def test_distribution_name_and_metadata():
    assert doctor.DISTRIBUTION == "tinylib-resnet-kit"
    assert importlib.metadata.version(doctor.DISTRIBUTION) == __import__("tinylib").__version__


@pytest.mark.parametrize(("version", "accepted"), [((3, 9), False), ((3, 10), True), ((3, 13), True), ((3, 14), False)])
def test_makefile_names_a_supported_python(version, accepted):
    code = re.search(r'^CHECK_PYTHON := \$\(PYTHON\) -c "(.*)"$', (ROOT / "Makefile").read_text(), re.M).group(1)
    fake = f"import sys; sys.version_info = {version + (0, 'final', 0)!r}\n" + code
    result = subprocess.run([sys.executable, "-c", fake], capture_output=True, text=True)
    assert (result.returncode == 0) == accepted
    if not accepted:
        assert result.stderr.strip() == (
            f"tinylib needs Python 3.10 to 3.13 (TensorFlow has no final wheels for {version[0]}.{version[1]}): "
            "run make PYTHON=python3.11 ..."
        )
