"""The `tinylib course grade` command: a folder of submissions to verdicts, a gradebook and feedback files."""

from __future__ import annotations

import argparse
import sys


def course_grade(args: argparse.Namespace) -> int:
    """Grade the learners in args.paths; print a block per learner; 0, 1 (an exercise not passed,
    without --gradebook) or 2 (bad input: no such path, no student editions)."""
    import time

    from tinylib.course import classroom, gradebook
    from tinylib.course.kernel import network_statement

    folder = _editions_folder(args.editions)
    editions = classroom.load_editions(folder) if folder is not None else {}
    if not editions:
        print(
            f"no student editions at {args.editions or 'exercises/'}: pass --editions FOLDER, the folder "
            "`tinylib course build` writes",
            file=sys.stderr,
        )
        return 2
    try:
        learners = classroom.find_learners(args.paths)
    except FileNotFoundError as error:
        print(f"{error}: pass notebooks or folders of submissions", file=sys.stderr)
        return 2
    print(network_statement())
    start = time.monotonic()
    results = classroom.grade_class(learners, editions, args.jobs, args.timeout, args.profile)
    for result in results:
        print(gradebook.summary(result))
    gradebook.write_results(results, editions, args.gradebook, args.feedback)
    if args.gradebook:
        print(f"wrote {args.gradebook}")
    if args.feedback:
        print(f"wrote {len(results)} feedback files into {args.feedback}")
    print(f"graded {len(learners)} learners in {time.monotonic() - start:.0f} s (--jobs {args.jobs})")
    if args.gradebook:
        return 0  # grading ran; whether learners passed is in the gradebook
    complete = all(not r.problems and all(g.passed for gs in r.grades.values() for g in gs) for r in results)
    return 0 if complete else 1


def _editions_folder(given: str | None):
    """The student editions folder: `given`, else ./exercises, else the kit's own; None if none exists."""
    from pathlib import Path

    import tinylib

    for folder in [Path(given)] if given else [Path("exercises"), Path(tinylib.__file__).parents[1] / "exercises"]:
        if folder.is_dir():
            return folder
    return None
