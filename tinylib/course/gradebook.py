"""What grading hands back: a CSV gradebook an LMS imports, one feedback file per learner, a summary to read.

The gradebook has a row per learner: its name, the points of every exercise (a column per
edition and exercise, "01_loading_tiny_imagenet:check_val_label"), the total, the points
possible and the problems with the submission ("missing notebook: ...", "the notebook ran past
the 900 s timeout"). Files are written through `tinylib.files` (temporary name, then rename).
"""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path

from tinylib.course.classroom import Editions, Result


def columns(editions: Editions, results: list[Result]) -> list[tuple[str, str, float]]:
    """(edition, exercise, points) for every exercise of the editions any learner is graded on."""
    used = sorted({edition for result in results for edition in result.grades})
    return [(edition, name, points) for edition in used for name, points in editions[edition]]


def _points(value: float) -> str:
    return f"{value:g}"


def gradebook_csv(editions: Editions, results: list[Result]) -> str:
    """The gradebook as CSV text (header: learner, edition:exercise..., total, out of, problems)."""
    table = columns(editions, results)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["learner", *(f"{edition}:{name}" for edition, name, _ in table), "total", "out of", "problems"])
    possible = sum(points for *_, points in table)
    for result in results:
        earned = {(edition, g.exercise): g.earned for edition, grades in result.grades.items() for g in grades}
        row = [_points(earned.get((edition, name), 0)) for edition, name, _ in table]
        writer.writerow([result.learner, *row, _points(result.total), _points(possible), "; ".join(result.problems)])
    return out.getvalue()


def feedback_text(result: Result, editions: Editions) -> str:
    """A learner's feedback: per edition each exercise's status, points and message; the total."""
    lines = [f"Feedback for {result.learner}", ""]
    for edition in sorted(result.grades):
        grades = [g for g in result.grades[edition] if g.exercise != "(notebook)"]
        earned, possible = sum(g.earned for g in grades), sum(g.points for g in grades)
        lines.append(f"{edition}: {_points(earned)} of {_points(possible)} points")
        for g in grades:
            lines.append(f"  {g.status:8s} {g.exercise} ({_points(g.earned)}/{_points(g.points)}): {g.message}")
        lines.append("")
    if result.problems:
        lines += ["Problems with the submission:", *(f"  - {problem}" for problem in result.problems), ""]
    possible = sum(points for edition in result.grades for _, points in editions.get(edition, []))
    lines.append(f"Total: {_points(result.total)} of {_points(possible)} points")
    return "\n".join(lines) + "\n"


def feedback_name(learner: str) -> str:
    """A safe file name for a learner's feedback ("Ana María/2" -> "Ana_María_2.txt")."""
    return (re.sub(r"[^\w.-]+", "_", learner).strip("._") or "learner") + ".txt"


def write_results(
    results: list[Result],
    editions: Editions,
    gradebook: str | os.PathLike | None = None,
    feedback: str | os.PathLike | None = None,
) -> list[Path]:
    """Write the gradebook CSV at `gradebook` and a feedback file per learner into the folder
    `feedback` (either may be None); returns the paths written."""
    from tinylib.files import write_atomically

    written = []
    if gradebook is not None:
        Path(gradebook).parent.mkdir(parents=True, exist_ok=True)
        write_atomically(gradebook, gradebook_csv(editions, results))
        written.append(Path(gradebook))
    if feedback is not None:
        Path(feedback).mkdir(parents=True, exist_ok=True)
        for result in results:
            path = Path(feedback) / feedback_name(result.learner)
            write_atomically(path, feedback_text(result, editions))
            written.append(path)
    return written


def summary(result: Result) -> str:
    """The lines the command prints for one learner."""
    grades = [g for grades in result.grades.values() for g in grades if g.exercise != "(notebook)"]
    possible = sum(g.points for g in grades)
    lines = [
        f"{result.learner}: {_points(result.total)} of {_points(possible)} points, "
        f"{sum(g.passed for g in grades)} of {len(grades)} exercises pass"
    ]
    lines += [f"  {g.status:8s} {g.exercise:24s} {g.message}" for g in grades]
    lines += [f"  problem  {problem}" for problem in result.problems]
    return "\n".join(lines)
