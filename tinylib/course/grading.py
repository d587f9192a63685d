"""Grading one notebook: run a copy in a folder of its own and take each verdict from the checkers' signed records.

The expected exercises and their points come from the student edition (`editions.EXPECTED`,
written by `tinylib course build` from the solution edition); each one is passed, failed (with
the checker's message) or not run, from the records the checkers hand over through the
channel of `tinylib.checks.records`, never from printed text: a cell that prints "✓ ...", an
edited or a deleted check cell leaves its exercise "not run". The copy keeps the submitted file
and the files beside it safe from a notebook that writes or deletes by relative path; the
kernel has no network where Linux allows (`kernel`). Nothing else is protected: docs/teaching.md
("Grading") says what a learner could still do and where to grade when it matters.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import tempfile
from pathlib import Path

from tinylib.course.editions import EXPECTED

NOTEBOOK = "(notebook)"  # the exercise name of a grade about the whole notebook
PASSED, FAILED, NOT_RUN = "passed", "failed", "not run"


@dataclasses.dataclass(frozen=True)
class Grade:
    """One exercise of a graded notebook: the checker's name, its status ("passed", "failed" or
    "not run"), the learner's feedback line (the checker's message, or why it did not run) and
    the points it is worth. A notebook that could not be read or run to the end also gets one
    failing Grade named `NOTEBOOK`, "(notebook)", worth 0 points."""

    exercise: str
    status: str
    message: str
    points: float = 1

    @property
    def passed(self) -> bool:
        """Whether the exercise passed."""
        return self.status == PASSED

    @property
    def earned(self) -> float:
        """Points earned: all of `points` when passed, else 0."""
        return self.points if self.passed else 0


def expected_of(document: dict) -> list[tuple[str, float]] | None:
    """[(checker name, points)] from a notebook's metadata (`editions.EXPECTED`), or None
    where it has none (not a student edition built by `tinylib course build`)."""
    listed = document.get("metadata", {}).get(EXPECTED, {}).get("exercises")
    if not isinstance(listed, list):
        return None
    try:
        return [(str(item["exercise"]), float(item.get("points", 1))) for item in listed]
    except (TypeError, KeyError, ValueError, AttributeError):
        return None


def grade(
    notebook: str | os.PathLike,
    expected: list[tuple[str, float]] | None = None,
    timeout: float = 900,
    profile: str = "quick",
) -> list[Grade]:
    """Grade a learner's notebook: one Grade per expected exercise, in the order given.

    `expected`: [(checker name, points)], from the student edition (see `classroom`); None
    reads the notebook's own metadata (which a learner could edit). A copy runs top to bottom
    in a fresh kernel, in a new temporary folder (its working directory), with
    TINYLIB_PROFILE=`profile`; every cell runs even after an error; `timeout`: seconds for the
    whole notebook. The submitted notebook and the files beside it are never changed. A file
    that is not a notebook, a notebook past the timeout, a dead kernel, or a notebook with no
    expected exercises adds a failing "(notebook)" Grade first, saying why in one line.

    Raises FileNotFoundError when there is no file at `notebook`.
    """
    path = Path(notebook)
    if not path.is_file():
        raise FileNotFoundError(f"no notebook at {path}")
    document, problem = read_notebook(path)
    if expected is None and document is not None:
        expected = expected_of(document)
        if expected is None:
            problem = "no list of expected exercises: not a student edition built by `tinylib course build`"
    if problem:
        return [Grade(NOTEBOOK, FAILED, problem, 0)] + [
            Grade(name, NOT_RUN, f"not run: {problem}", points) for name, points in expected or []
        ]
    verdicts, stopped = _run(path, document, timeout, profile)
    grades = [_grade_of(name, points, verdicts, stopped) for name, points in expected]
    return ([Grade(NOTEBOOK, FAILED, stopped, 0)] if stopped else []) + grades


def _run(path: Path, document, timeout: float, profile: str) -> tuple[dict, str | None]:
    """Run a copy of `document` with a fresh channel: (the signed verdicts, why it stopped or None)."""
    from tinylib.checks.records import open_channel, read_records
    from tinylib.course.kernel import run_notebook

    with tempfile.TemporaryDirectory(prefix="tinylib-grade-", ignore_cleanup_errors=True) as temporary:
        folder, channel = Path(temporary) / "work", Path(temporary) / "channel"
        folder.mkdir()
        shutil.copyfile(path, folder / path.name)
        channel_env, secret = open_channel(channel)
        env = {**os.environ, **channel_env, "TINYLIB_PROFILE": profile}
        stopped = run_notebook(document, folder, Path(temporary), timeout, env)
        verdicts, _ = read_records(channel, secret)
    return verdicts, stopped


def read_notebook(path: Path):
    """(the nbformat notebook, None), or (None, why it is not a notebook) in one line."""
    import nbformat

    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None, "not a notebook (not UTF-8 text)"
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        return None, f"not a notebook (invalid JSON at line {error.lineno})"
    try:
        document = nbformat.reads(text, as_version=4)
        nbformat.validate(document)
    except (ValueError, KeyError, TypeError, AttributeError, nbformat.ValidationError) as error:
        lines = str(error).strip().splitlines()
        return None, f"not a notebook ({lines[0] if lines else type(error).__name__})"
    return document, None


def _grade_of(name: str, points: float, verdicts: dict, stopped: str | None) -> Grade:
    if name in verdicts:
        status, message = verdicts[name]
        return Grade(name, status, message, points)
    if stopped:
        return Grade(name, NOT_RUN, f"not run: {stopped}", points)
    return Grade(name, NOT_RUN, f"not run: {name} never reported (its check cell is missing or was changed)", points)
