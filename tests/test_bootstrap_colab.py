"""The bootstrap cell as a learner meets it on Colab: a fresh Python with Colab's versions
(constraints/colab.txt: this leg's packages) and no tinylib runs the cell with
TINYLIB_PLATFORM=colab, installing from a git repository by file:// URL or from the wheel of
`make wheel` without touching TensorFlow, Keras or numpy, and stopping with one line when the
source cannot be reached. The Colab leg only (`make test-colab`): there, this leg's packages are
Colab's."""

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from tinylib import course

ROOT = Path(__file__).resolve().parents[1]
LEG = os.environ.get("TINYLIB_TEST_LEG")
# Not shared with the fresh Python: the kit (the cell installs it) and setuptools (builds are isolated).
OWN = ("tinylib", "setuptools", "_distutils_hack", "distutils-precedence", "__pycache__")

pytestmark = [
    pytest.mark.versions,
    pytest.mark.skipif(LEG != "colab", reason="the Colab leg only (make test-colab): needs Colab's versions"),
]


def _pins() -> dict[str, str]:
    lines = [line.split("#")[0].strip() for line in (ROOT / "constraints" / "colab.txt").read_text().splitlines()]
    return {line.split("==")[0].lower(): line.split("==")[1] for line in lines if "==" in line}


@pytest.fixture
def fresh_python(tmp_path) -> tuple[Path, Path]:
    """(python, its site-packages): a new venv that sees this leg's packages (Colab's versions)
    through a .pth file (pip included), except tinylib."""
    shared = tmp_path / "colab-packages"
    shared.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not entry.name.lower().startswith(OWN) and entry.suffix != ".pth":
            (shared / entry.name).symlink_to(entry)
    venv.create(tmp_path / "env", with_pip=False)
    python = tmp_path / "env" / "bin" / "python"
    site = Path(subprocess.check_output([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                        text=True).strip())  # fmt: skip
    (site / "colab-packages.pth").write_text(f"{shared}\n")
    return python, site


# Run after the cell, in the same Python (one TensorFlow start): where the kit came from, and the versions.
AFTER = "\nimport keras, numpy, tensorflow; print(tinylib.__file__, tensorflow.__version__, keras.__version__, numpy.__version__)"  # noqa: E501


def _run_cell(python: Path, source: str, cwd: Path) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith(("KAGGLE_", "COLAB_"))}
    environment.update(TINYLIB_PLATFORM="colab", TINYLIB_SOURCE=source, TINYLIB_DATA=str(cwd / "data"))
    return subprocess.run([python, "-c", course.bootstrap_source() + AFTER], capture_output=True, text=True, cwd=cwd,
                          env=environment, timeout=600)  # fmt: skip


def _assert_installed_alone(site: Path, result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert lines[0].endswith("| colab | profile: quick | accelerator: none")
    assert "Traceback" not in result.stderr
    where, *versions = lines[-1].split()
    assert Path(where).is_relative_to(site)  # the kit came from the source given, into the fresh Python
    pins = _pins()
    assert versions == [pins["tensorflow"], pins["keras"], pins["numpy"]]
    installed = {re.split(r"[-.]", p.name)[0].lower() for p in site.iterdir()}
    assert not installed & {"tensorflow", "keras", "numpy"}  # Colab's own stay: nothing of them was installed


def test_the_cell_installs_the_kit_from_a_git_repository_by_file_url(fresh_python, tmp_path):
    python, site = fresh_python
    repository = tmp_path / "repository"
    listed = subprocess.check_output(["git", "-C", ROOT, "ls-files", "-co", "--exclude-standard"], text=True)
    for name in listed.splitlines():
        if (ROOT / name).is_file():
            (repository / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, repository / name)
    git = ["git", "-C", repository, "-c", "user.name=test", "-c", "user.email=test@example.org"]
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "the kit"]):
        subprocess.run(git + command, check=True, capture_output=True)
    _assert_installed_alone(site, _run_cell(python, f"git+file://{repository}", tmp_path))


def test_the_cell_installs_the_kit_from_the_wheel_of_make_wheel(fresh_python, tmp_path):
    python, site = fresh_python
    subprocess.run(["make", "-C", ROOT, "wheel", f"DIST={tmp_path / 'dist'}", f"PYTHON={sys.executable}"],
                   check=True, capture_output=True)  # fmt: skip
    (wheel,) = (tmp_path / "dist").glob("tinylib_resnet_kit-*.whl")
    _assert_installed_alone(site, _run_cell(python, str(wheel), tmp_path))


def test_the_cell_stops_with_one_line_when_the_source_is_unreachable(fresh_python, tmp_path):
    python, _ = fresh_python
    source = f"git+file://{tmp_path / 'no-such-repository'}"
    result = _run_cell(python, source, tmp_path)
    assert result.returncode == 1 and result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"tinylib: `pip install --no-deps {source}` failed (")
    assert "make the repository public" in line and "TINYLIB_SOURCE" in line and "make wheel" in line
    assert "ModuleNotFoundError" not in line
    print(line)  # shown with -s: the message a learner reads
