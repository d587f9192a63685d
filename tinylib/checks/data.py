"""Checkers for the data exercises of notebook 01 (loading Tiny ImageNet).

`check_val_label(function)` calls a learner's ``val_label(root, file_name) -> int`` on two
tiny datasets written to a temporary folder (class ids deliberately not in alphabetical
order, labels unrelated to file numbers) and explains the classic mistakes without ever
printing the expected labels.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from tinylib.checks.feedback import ExerciseError, expect, passed

EXERCISE = "val_label"
# Two little datasets: (wnids in wnids.txt order, the class of val_0, val_1, ... by wnid index)
CASES = (
    (("n04000004", "n01000001", "n03000003", "n02000002"), (2, 0, 3, 3, 1, 0, 2, 1, 0, 3)),
    (("n09000009", "n05000005", "n07000007"), (1, 2, 0, 0, 2, 1, 1, 0, 2)),
)
OTHER_WNIDS = ("n00000099", "n06000006", "n08000008")  # in words.txt only, like the rest of WordNet


def _write_case(root: Path, wnids: tuple[str, ...], classes: tuple[int, ...]) -> list[str]:
    (root / "val" / "images").mkdir(parents=True)
    (root / "wnids.txt").write_text("".join(f"{wnid}\n" for wnid in wnids))
    everything = sorted(wnids + OTHER_WNIDS)  # words.txt is sorted and lists more than the dataset's classes
    (root / "words.txt").write_text("\n".join(f"{wnid}\tthing {wnid[-2:]}" for wnid in everything))
    names, lines = [], []
    for number, label in enumerate(classes):
        name = f"val_{number * 7 + 3}.JPEG"  # not contiguous, as in the real set
        Image.new("RGB", (64, 64), (40 * label, 90, 160)).save(root / "val" / "images" / name)
        lines.append(f"{name}\t{wnids[label]}\t1\t2\t40\t50\n")
        names.append(name)
    (root / "val" / "val_annotations.txt").write_text("".join(lines))
    return names


def _diagnose(answers: list, wnids: tuple[str, ...], classes: tuple[int, ...], names: list[str]) -> str:
    """The most specific explanation of wrong integer `answers` for one case."""
    answers = np.asarray(answers)
    alphabetical = np.asarray([sorted(wnids).index(wnids[label]) for label in classes])
    everything = sorted(wnids + OTHER_WNIDS)
    in_words = np.asarray([everything.index(wnids[label]) for label in classes])
    truth = np.asarray(classes)
    if np.array_equal(answers, truth + 1):
        return "your labels are all one too high: labels count from 0, the first line of wnids.txt is label 0."
    if np.array_equal(answers, alphabetical):
        return (
            "your labels follow the alphabetical order of the class ids. A label is the position of the class "
            "id in wnids.txt, in that file's own order (which is not sorted)."
        )
    if np.array_equal(answers, in_words):
        return (
            "your labels are positions in words.txt, which lists all of WordNet. Number the classes by "
            "their line in wnids.txt instead."
        )
    wrong = int((answers != truth).sum())
    return (
        f"{wrong} of {len(names)} val files get a wrong label (for example {names[int(np.argmax(answers != truth))]}). "
        "The class of a val image is written only in val/val_annotations.txt (file name, then class id); "
        "the number in the file name says nothing about the class."
    )


def check_val_label(function: Callable[[Path, str], int]) -> None:
    """Check ``function(root, file_name) -> int``: the label (position in wnids.txt) of the
    val image `file_name` (e.g. "val_17.JPEG") of the dataset under `root`. Prints a success
    line, or raises ExerciseError saying what is wrong (never the expected labels)."""
    for wnids, classes in CASES:
        with tempfile.TemporaryDirectory(prefix="tinylib-check-") as folder:
            root = Path(folder) / "tiny-check"
            names = _write_case(root, wnids, classes)
            answers = []
            for name in names:
                try:
                    answer = function(root, name)
                except Exception as error:
                    raise ExerciseError(
                        f"{EXERCISE}(root, {name!r}) raised {type(error).__name__}: {error}. It gets the dataset "
                        "folder (a pathlib.Path) and a file name such as 'val_17.JPEG'."
                    ) from None
                if isinstance(answer, str) and answer.startswith("n") and answer[1:].isdigit():
                    raise ExerciseError(
                        f"{EXERCISE} returned a class id (a string such as 'n01443537'); a label is an int: "
                        "the position of that class id in wnids.txt."
                    )
                expect(
                    isinstance(answer, (int, np.integer)) and not isinstance(answer, bool),
                    f"{EXERCISE}(root, {name!r}) returned {type(answer).__name__} {answer!r}; expected an int label.",
                )
                answers.append(int(answer))
            if answers != list(classes):
                raise ExerciseError(f"{EXERCISE}: {_diagnose(answers, wnids, classes, names)}")
    passed(EXERCISE)
