"""The val-label checker passes the reference solution and explains plausible wrong ones."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tinylib.checks import ExerciseError, check_val_label
from tinylib.data import read_layout


def reference(root: Path, file_name: str) -> int:
    wnids = (root / "wnids.txt").read_text().split()
    for line in (root / "val" / "val_annotations.txt").read_text().splitlines():
        name, wnid, *_ = line.split("\t")
        if name == file_name:
            return wnids.index(wnid)
    raise KeyError(file_name)


def with_read_layout(root, file_name):
    info = read_layout(root)
    return int(info.val_labels[[p.name for p in info.val_files].index(file_name)])


def alphabetical(root, file_name):
    wnid = _wnid_of(root, file_name)
    return sorted((root / "wnids.txt").read_text().split()).index(wnid)


def one_based(root, file_name):
    return reference(root, file_name) + 1


def from_words(root, file_name):
    words = [line.split("\t")[0] for line in (root / "words.txt").read_text().splitlines()]
    return words.index(_wnid_of(root, file_name))


def returns_wnid(root, file_name):
    return _wnid_of(root, file_name)


def from_file_number(root, file_name):
    return int(re.findall(r"\d+", file_name)[0]) % len((root / "wnids.txt").read_text().split())


def crashes(root, file_name):
    return (root / "val" / file_name).read_text()


def _wnid_of(root, file_name):
    lines = (root / "val" / "val_annotations.txt").read_text().splitlines()
    return next(line.split("\t")[1] for line in lines if line.startswith(file_name + "\t"))


@pytest.mark.parametrize("solution", [reference, with_read_layout])
def test_correct_solutions_pass(solution, capsys):
    check_val_label(solution)
    assert "✓ val_label: correct" in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (alphabetical, "alphabetical order of the class ids"),
        (one_based, "one too high: labels count from 0"),
        (from_words, "positions in words.txt"),
        (returns_wnid, "returned a class id"),
        (from_file_number, "says nothing about the class"),
        (crashes, "raised FileNotFoundError"),
    ],
    ids=lambda value: getattr(value, "__name__", "hint"),
)
def test_wrong_solutions_get_specific_feedback_without_the_answer(wrong, hint, capsys):
    with pytest.raises(ExerciseError) as error:
        check_val_label(wrong)
    message = str(error.value)
    assert hint in message
    assert "✓" not in capsys.readouterr().out
    # never the answer: no "file -> label" pairs, no list of expected labels
    assert not re.search(r"expected (label )?\d", message) and "[2, 0, 3" not in message and "(2, 0, 3" not in message
