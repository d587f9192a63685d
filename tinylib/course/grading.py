"""Grading: run a learner's notebook in a fresh kernel and read each check cell's result."""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path

CHECK_CALL = re.compile(r"^\s*(check_\w+)\(", re.MULTILINE)


@dataclasses.dataclass(frozen=True)
class Grade:
    """One exercise of a graded notebook: the checker, whether it passed, and its message
    (the learner's feedback line; for a cell that never ran, why)."""

    exercise: str
    passed: bool
    message: str


def grade(notebook: str | os.PathLike, timeout: int = 900, profile: str = "quick") -> list[Grade]:
    """Run a learner's notebook top to bottom in a fresh kernel (every cell, errors or not;
    the notebook file is not changed) with TINYLIB_PROFILE=`profile`, and return one Grade
    per check cell, in notebook order. `timeout`: seconds per cell."""
    import nbclient
    import nbformat

    path = Path(notebook)
    if not path.is_file():
        raise FileNotFoundError(f"no notebook at {path}")
    document = nbformat.read(path, as_version=4)
    environment = {**os.environ, "TINYLIB_PROFILE": profile}
    client = nbclient.NotebookClient(
        document,
        timeout=timeout,
        allow_errors=True,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute(env=environment)
    grades = []
    for cell in document.cells:
        if cell.cell_type != "code":
            continue
        for exercise in CHECK_CALL.findall(cell.source):
            grades.append(_grade_of(exercise, cell.get("outputs", [])))
    return grades


def _grade_of(exercise: str, outputs: list) -> Grade:
    errors = [output for output in outputs if output.get("output_type") == "error"]
    if errors:
        first_line = (errors[0].get("evalue") or "").strip().splitlines()
        return Grade(exercise, False, f"{errors[0].get('ename')}: {first_line[0] if first_line else ''}")
    text = "".join(output.get("text", "") for output in outputs if output.get("output_type") == "stream")
    passed = [line for line in text.splitlines() if line.startswith("✓")]
    if passed:
        return Grade(exercise, True, passed[0])
    return Grade(exercise, False, "the check cell printed no result (did it run?)")
