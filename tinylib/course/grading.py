"""Grading: run a learner's notebook on a copy, in a folder of its own, and read each check's result.

The copy keeps the submitted file and the files beside it safe from a notebook that writes or
deletes by relative path. Nothing else is protected: the notebook runs with the grader's rights
(docs/teaching.md, "Grading", says what that means and what to do about it).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
import shutil
import tempfile
from pathlib import Path

CHECK_CALL = re.compile(r"^\s*(check_\w+)\(", re.MULTILINE)
NOTEBOOK = "(notebook)"  # the exercise name of a grade about the whole notebook
LOG = logging.getLogger(__name__)  # nbclient's messages; silent unless the application logs
LOG.addHandler(logging.NullHandler())


@dataclasses.dataclass(frozen=True)
class Grade:
    """One exercise of a graded notebook: the checker, whether it passed, and its message
    (the learner's feedback line; for a cell that never ran, why). A notebook that could not
    be read or run to the end also gets one failing Grade named `NOTEBOOK`, "(notebook)"."""

    exercise: str
    passed: bool
    message: str


def grade(notebook: str | os.PathLike, timeout: int = 900, profile: str = "quick") -> list[Grade]:
    """Grade a learner's notebook: one Grade per check cell (a line that calls `check_...(`),
    in notebook order.

    A copy of the notebook runs top to bottom in a fresh kernel, in a new temporary folder
    (its working directory), with TINYLIB_PROFILE=`profile`; every cell runs even after an
    error. The submitted notebook and the files beside it are never changed. `timeout`:
    seconds per cell. A file that is not a notebook gives a single failing "(notebook)"
    Grade; a cell past the timeout or a dead kernel stops the run and adds a failing
    "(notebook)" Grade first (checks that did not run then fail with that reason).

    Raises FileNotFoundError when there is no file at `notebook`.
    """
    path = Path(notebook)
    if not path.is_file():
        raise FileNotFoundError(f"no notebook at {path}")
    document, problem = _read(path)
    if document is None:
        return [Grade(NOTEBOOK, False, problem)]
    with tempfile.TemporaryDirectory(prefix="tinylib-grade-", ignore_cleanup_errors=True) as folder:
        shutil.copyfile(path, Path(folder) / path.name)
        stopped = _execute(document, Path(folder), timeout, profile)
    grades = [
        _grade_of(exercise, cell, stopped)
        for cell in document.cells
        if cell.cell_type == "code"
        for exercise in CHECK_CALL.findall(cell.source)
    ]
    return ([Grade(NOTEBOOK, False, stopped)] if stopped else []) + grades


def _read(path: Path):
    """(the notebook, None), or (None, why it is not a notebook) in one line."""
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


def _execute(document, folder: Path, timeout: int, profile: str) -> str | None:
    """Run every cell of `document` in place, in `folder`; None, or why the run stopped early."""
    import nbclient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    for cell in document.cells:  # saved outputs must never count for a cell that did not run
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    client = nbclient.NotebookClient(
        document,
        timeout=timeout,
        allow_errors=True,
        kernel_name="python3",
        resources={"metadata": {"path": str(folder)}},
        shutdown_kernel="immediate",  # a kernel stopped mid-cell would print a traceback on a graceful shutdown
        log=LOG,
    )
    try:
        client.execute(env={**os.environ, "TINYLIB_PROFILE": profile})
    except CellTimeoutError:
        return f"a cell ran past the {timeout} s timeout"
    except DeadKernelError:
        return "the kernel died (the notebook exited Python or ran out of memory)"
    return None


def _grade_of(exercise: str, cell, stopped: str | None) -> Grade:
    outputs = cell.get("outputs", [])
    errors = [output for output in outputs if output.get("output_type") == "error"]
    if errors:
        first_line = (errors[0].get("evalue") or "").strip().splitlines()
        return Grade(exercise, False, f"{errors[0].get('ename')}: {first_line[0] if first_line else ''}")
    text = "".join(output.get("text", "") for output in outputs if output.get("output_type") == "stream")
    passed = [line for line in text.splitlines() if line.startswith("✓")]
    if passed:
        return Grade(exercise, True, passed[0])
    if stopped and cell.get("execution_count") is None:
        return Grade(exercise, False, f"did not run: {stopped}")
    return Grade(exercise, False, "the check cell printed no result (did it run?)")
