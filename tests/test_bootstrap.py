"""The bootstrap cell: at most six lines, the same in every notebook, installing on Colab and
Kaggle without touching their TensorFlow, Keras or numpy, stopping with one line when it cannot,
and starting quietly (TensorFlow's start-up lines held back) with advice right for each platform."""

import os
import subprocess
import sys
import venv

import pytest

from tinylib import config, course, doctor

pytestmark = pytest.mark.versions


def test_the_bootstrap_cell_is_six_lines_and_never_installs_the_ml_stack():
    source = course.bootstrap_source()
    assert len(source.splitlines()) <= 6
    assert '"pip", "install", "-q", "--no-deps", source]' in source  # the one install: the kit alone
    assert "TINYLIB_SOURCE" in source and "TINYLIB_PLATFORM" in source
    assert course.install_source() == "git+https://github.com/tinylib-kit/tinylib" and course.install_source() in source


def test_the_bootstrap_cell_runs_here_quietly_in_one_line(tmp_path):
    """Run it as a notebook would (no Colab, no Kaggle: nothing is installed): one line, no stderr."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("KAGGLE_", "COLAB_", "TINYLIB_PLATFORM"))}
    result = subprocess.run(
        [sys.executable, "-c", course.bootstrap_source()],
        capture_output=True, text=True, cwd=tmp_path, timeout=300, env={**environment, "TINYLIB_PROFILE": "quick"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stderr == ""
    (line,) = result.stdout.splitlines()
    assert line.startswith("tinylib ") and line.endswith("| local | profile: quick | accelerator: none")


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({}, "local"),
        ({"COLAB_RELEASE_TAG": "release-colab_20261101"}, "colab"),
        ({"COLAB_RELEASE_TAG": "x", "KAGGLE_KERNEL_RUN_TYPE": "Interactive"}, "kaggle"),  # Kaggle sets Colab's too
        ({"COLAB_RELEASE_TAG": "x", "TINYLIB_PLATFORM": "local"}, "local"),
        ({"TINYLIB_PLATFORM": "colab"}, "colab"),
        ({"TINYLIB_PLATFORM": "kaggle"}, "kaggle"),
    ],
)
def test_the_cells_platform_rule_agrees_with_config_platform(monkeypatch, variables, expected):
    for name in ("KAGGLE_KERNEL_RUN_TYPE", "COLAB_RELEASE_TAG", "TINYLIB_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    (rule,) = [line for line in course.bootstrap_source().splitlines() if line.startswith("where = ")]
    namespace = {"os": os}
    exec(rule, namespace)
    assert namespace["where"] == config.platform() == expected


def test_an_unknown_platform_override_says_what_to_use(monkeypatch):
    monkeypatch.setenv("TINYLIB_PLATFORM", "laptop")
    with pytest.raises(ValueError, match="use colab, kaggle or local"):
        config.platform()


def test_the_kit_missing_on_a_local_machine_stops_with_how_to_install(tmp_path):
    venv.create(tmp_path / "env", with_pip=False)  # a Python without tinylib
    result = subprocess.run(
        [str(tmp_path / "env" / "bin" / "python"), "-c", course.bootstrap_source()],
        capture_output=True, text=True, cwd=tmp_path, timeout=120, env={"PATH": os.environ["PATH"]},
    )  # fmt: skip
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.strip() == (
        f"tinylib is not installed for {tmp_path / 'env' / 'bin' / 'python'}: run `make lab` in the repository, "
        "or `pip install -e .` in this environment (README, Quick start)."
    )


def test_captured_stderr_holds_back_what_is_written_to_descriptor_2():
    code = (
        "import os, sys\nfrom tinylib import doctor\n"
        "with doctor.captured_stderr() as lines:\n"
        "    os.write(2, b'E0000 cuda_driver.cc: failed call to cuInit\\n')\n"
        "    print('a Python warning', file=sys.stderr)\n"
        "print(lines)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.stderr == ""
    assert result.stdout.strip() == "['E0000 cuda_driver.cc: failed call to cuInit', 'a Python warning']"


@pytest.mark.parametrize(("verbose", "backend", "shown"), [("", "tensorflow", False), ("1", "tensorflow", True),
                                                            ("", None, True)])  # fmt: skip
def test_setup_notebook_shows_start_up_lines_only_when_asked_or_broken(monkeypatch, capfd, verbose, backend, shown):
    def report(print_report=True):
        os.write(2, b"E0000 cuda_driver.cc: failed call to cuInit\n")
        return {"tinylib": "0.1.0", "profile": "quick", "accelerator": "none", "backend": backend, "hints": []}

    monkeypatch.setattr(doctor, "report", report)
    monkeypatch.setattr(doctor, "missing_requirements", lambda distribution=doctor.DISTRIBUTION: [])
    monkeypatch.setenv("TINYLIB_PLATFORM", "local")
    monkeypatch.setenv("TINYLIB_VERBOSE", verbose)
    doctor.setup_notebook()
    out, err = capfd.readouterr()
    assert out == "tinylib 0.1.0 | local | profile: quick | accelerator: none\n"
    assert ("failed call to cuInit" in err) is shown


def test_setup_notebook_installs_on_colab_and_kaggle_only(monkeypatch, capsys):
    installed = []
    monkeypatch.setattr(doctor, "install_missing_requirements", lambda: installed.append(True) or [])
    monkeypatch.setattr(doctor, "missing_requirements", lambda distribution=doctor.DISTRIBUTION: ["tqdm>=4.66"])
    for name in ("KAGGLE_KERNEL_RUN_TYPE", "COLAB_RELEASE_TAG", "TINYLIB_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    doctor.setup_notebook()
    assert installed == [] and "missing tqdm>=4.66: run `make lab`" in capsys.readouterr().out
    monkeypatch.setenv("KAGGLE_KERNEL_RUN_TYPE", "Interactive")
    info = doctor.setup_notebook()
    assert installed == [True] and "make lab" not in capsys.readouterr().out and info["platform"] == "kaggle"


def test_the_bootstrap_cell_displays_no_value_in_a_notebook():
    """Its last line ends with `;`: IPython shows no report dict under the cell (the one line is printed)."""
    displayhook = pytest.importorskip("IPython.core.displayhook")
    assert displayhook.DisplayHook.semicolon_at_end_of_expression(course.bootstrap_source())


def test_the_first_cell_of_an_executed_notebook_shows_one_line_and_nothing_red(tmp_path):
    """In a real kernel (where TensorFlow's start-up lines on descriptor 2 would show in red)."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(course.bootstrap_source())])
    client = nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})  # fmt: skip
    client.execute()
    outputs = notebook.cells[0].outputs
    assert [(output.output_type, output.get("name")) for output in outputs] == [("stream", "stdout")]
    (line,) = outputs[0].text.splitlines()
    assert line.startswith("tinylib ") and "| profile: quick | accelerator: none" in line
