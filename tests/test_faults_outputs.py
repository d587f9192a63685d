"""Output paths are checked before any work starts, and messages name the user's path, never
the kit's hidden temporary file (issue 24, case 7)."""

from __future__ import annotations

import pytest

from tinylib import files
from tinylib.cli import main


def _commands(tmp_path, output):
    nowhere = str(tmp_path / "no-such-run")  # were the work started first, this would be the error
    return {
        "predict --csv": ["predict", nowhere, str(tmp_path), "--csv", str(output)],
        "report --output": ["report", nowhere, "--output", str(output)],
        "lr-find --plot": ["lr-find", "--data", nowhere, "--plot", str(output)],
    }


@pytest.mark.parametrize("command", ["predict --csv", "report --output", "lr-find --plot"])
def test_an_output_that_is_a_folder_is_refused_before_the_work(tmp_path, capsys, command):
    folder = tmp_path / "results"
    folder.mkdir()
    assert main(_commands(tmp_path, folder)[command]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"tinylib: error: {folder} is a folder: pass a file name (e.g. {folder}/")
    assert error.count("\n") == 1 and list(folder.iterdir()) == []


@pytest.mark.parametrize("command", ["predict --csv", "report --output", "lr-find --plot"])
def test_an_output_in_a_missing_folder_is_refused_naming_the_users_path(tmp_path, capsys, command):
    output = tmp_path / "missing" / "out.file"
    assert main(_commands(tmp_path, output)[command]) == 2
    error = capsys.readouterr().err
    assert error == (
        f"tinylib: error: cannot write {output}: the folder {output.parent} does not exist: create it first "
        f"(mkdir -p {output.parent}) or pass another path\n"
    )


def test_a_failed_write_names_the_users_path_not_the_temporary_file(tmp_path):
    target = tmp_path / "gone" / "out.csv"
    with pytest.raises(FileNotFoundError) as failed:
        files.write_atomically(target, "a,b\n")
    assert failed.value.filename == str(target) and ".partial" not in str(failed.value)
    assert str(target) in str(failed.value)
