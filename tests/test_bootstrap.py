"""The bootstrap cell: at most four lines, the same in every notebook, installing on Colab and
Kaggle without touching their TensorFlow, Keras or numpy, with advice right for each platform."""

import subprocess
import sys

import pytest

from tinylib import course, doctor

pytestmark = pytest.mark.versions


def test_the_bootstrap_cell_is_four_lines_and_never_installs_the_ml_stack():
    source = course.bootstrap_source()
    assert len(source.splitlines()) <= 4
    assert "--no-deps" in source and "tensorflow" not in source and "numpy" not in source
    assert course.repository_url() in source


def test_the_bootstrap_cell_runs_here_and_reports_in_one_line(tmp_path):
    """Run it as a notebook would (no Colab, no Kaggle: nothing is installed)."""
    result = subprocess.run(
        [sys.executable, "-c", course.bootstrap_source()], capture_output=True, text=True, cwd=tmp_path, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    first = result.stdout.splitlines()[0]
    assert first.startswith("tinylib ") and "| local | profile: " in first and "| accelerator: " in first


def test_setup_notebook_installs_on_colab_and_kaggle_only(monkeypatch, capsys):
    installed = []
    monkeypatch.setattr(doctor, "install_missing_requirements", lambda: installed.append(True) or [])
    monkeypatch.setattr(doctor, "missing_requirements", lambda distribution=doctor.DISTRIBUTION: ["tqdm>=4.66"])
    for name in ("KAGGLE_KERNEL_RUN_TYPE", "KAGGLE_URL_BASE", "COLAB_RELEASE_TAG"):
        monkeypatch.delenv(name, raising=False)
    doctor.setup_notebook()
    assert installed == [] and "missing tqdm>=4.66: run `make lab`" in capsys.readouterr().out
    monkeypatch.setenv("KAGGLE_KERNEL_RUN_TYPE", "Interactive")
    info = doctor.setup_notebook()
    assert installed == [True] and "make lab" not in capsys.readouterr().out and info["platform"] == "kaggle"
