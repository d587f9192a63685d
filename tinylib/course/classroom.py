"""Grading a class: find each learner's notebooks, grade them N at a time, one result per learner.

A submission is a notebook per learner (`ana.ipynb`) or a folder per learner (`ana/` holding
her notebooks, as LMSs export them). Which exercise notebook (edition) a submission is comes
from its file name (the edition's name in it, e.g. `ana_01_loading_tiny_imagenet.ipynb`), else
from its metadata; its expected exercises and points come from the instructor's student
editions (`--editions`, default exercises/), so a learner cannot change them. A folder learner
is expected to hand in every edition any learner handed in; one that is missing is its reason.
"""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from tinylib.course.grading import NOT_RUN, NOTEBOOK, Grade, expected_of, grade

Editions = dict[str, list[tuple[str, float]]]  # edition name -> [(checker name, points)]


@dataclasses.dataclass(frozen=True)
class Learner:
    """A learner's submission: the name (file stem or folder name), the notebooks found, and
    whether it was a folder (then every edition of the class is expected)."""

    name: str
    notebooks: tuple[Path, ...]
    folder: bool


@dataclasses.dataclass
class Result:
    """A learner's grades per edition ({edition: [Grade]}) and the problems with the submission."""

    learner: str
    grades: dict[str, list[Grade]] = dataclasses.field(default_factory=dict)
    problems: list[str] = dataclasses.field(default_factory=list)

    @property
    def total(self) -> float:
        """Points earned over every edition."""
        return sum(g.earned for grades in self.grades.values() for g in grades)


def find_learners(paths: list[str | os.PathLike]) -> list[Learner]:
    """The learners in `paths`: a file is one learner; a folder of submissions gives one learner
    per file (notebook or not) and per sub-folder (its .ipynb files, searched recursively).

    Raises FileNotFoundError (naming the path) when a path does not exist."""
    from tinylib.files import is_metadata

    learners = []
    for path in map(Path, paths):
        if not path.exists():
            raise FileNotFoundError(f"no submission at {path}")
        entries = sorted(path.iterdir()) if path.is_dir() else [path]
        for entry in entries:
            if is_metadata(entry.name) or entry.name.startswith("."):
                continue
            if entry.is_dir():
                found = sorted(p for p in entry.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
                learners.append(Learner(entry.name, tuple(found), True))
            else:
                learners.append(Learner(entry.stem, (entry,), False))
    return learners


def load_editions(folder: str | os.PathLike) -> Editions:
    """{edition name: [(checker name, points)]} of the student editions (*.ipynb) in `folder`
    (files that are not editions built by `tinylib course build` are skipped)."""
    editions = {}
    for path in sorted(Path(folder).glob("*.ipynb")):
        try:
            expected = expected_of(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue  # not an edition
        if expected is not None:
            editions[path.stem] = expected
    return editions


def edition_of(path: Path, editions: Editions) -> str | None:
    """The edition a submitted notebook is: the longest edition name in its file name, else the
    name in its metadata; None when neither is known."""
    named = [name for name in editions if name in path.name]
    if named:
        return max(named, key=len)
    try:
        edition = json.loads(path.read_text(encoding="utf-8")).get("metadata", {}).get("tinylib", {}).get("edition")
    except (OSError, ValueError, AttributeError):
        return None
    return edition if edition in editions else None


def _plan(learners: list[Learner], results: list[Result], editions: Editions) -> list[tuple]:
    """The notebooks to grade, as (result, edition, notebook); the learners' problems and the
    grades of missing editions go into their results."""
    tasks = []
    for learner, result in zip(learners, results, strict=True):
        for notebook in learner.notebooks:
            if notebook.suffix != ".ipynb":
                result.problems.append(f"not a notebook: {notebook.name}")
            elif (edition := edition_of(notebook, editions)) is None:
                result.problems.append(f"{notebook.name}: not one of the exercise notebooks ({', '.join(editions)})")
            else:
                tasks.append((result, edition, notebook))
    handed_in = sorted({edition for _, edition, _ in tasks})
    for learner, result in zip(learners, results, strict=True):
        own = {edition for r, edition, _ in tasks if r is result}
        for edition in handed_in if learner.folder else []:
            if edition not in own:
                result.problems.append(f"missing notebook: {edition}")
                result.grades[edition] = [
                    Grade(n, NOT_RUN, "not run: notebook missing", p) for n, p in editions[edition]
                ]
        if not learner.notebooks:
            result.problems.append("no notebook handed in")
    return tasks


def grade_class(
    learners: list[Learner], editions: Editions, jobs: int = 1, timeout: float = 900, profile: str = "quick"
) -> list[Result]:
    """Grade every learner's notebooks, `jobs` notebooks at a time (each in its own kernel, with
    `timeout` seconds); one Result per learner, in the order given. A learner's problem (no
    notebook, a notebook that is not one of the editions, a missing edition) is recorded in
    its Result; the other learners are still graded."""
    results = [Result(learner.name) for learner in learners]
    tasks = _plan(learners, results, editions)
    # Processes, not threads: notebook clients in threads of one process share ZeroMQ and asyncio
    # state, and one of two could miss its kernel's replies until the timeout (measured 2026-12-06:
    # a correct notebook 01 "ran past the 240 s timeout" with --jobs 2, the CPU idle). "spawn": a
    # fresh interpreter per worker, nothing inherited from the grader's threads.
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=spawn) as pool:
        graded = pool.map(grade, [notebook for _, _, notebook in tasks], [editions[e] for _, e, _ in tasks],
                          [timeout] * len(tasks), [profile] * len(tasks))  # fmt: skip
        for (result, edition, notebook), grades in zip(tasks, graded):
            if edition in result.grades:  # two notebooks of one edition: keep the better one
                if sum(g.earned for g in grades) <= sum(g.earned for g in result.grades[edition]):
                    continue
            result.grades[edition] = grades
            result.problems += [f"{notebook.name}: {g.message}" for g in grades if g.exercise == NOTEBOOK]
    return results


__all__ = ["Editions", "Learner", "Result", "edition_of", "find_learners", "grade_class", "load_editions"]
