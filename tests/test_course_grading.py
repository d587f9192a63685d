"""Grading a class: verdicts from signed records (printed text cannot fake them), a gradebook, feedback, in parallel."""

import csv
import json
import os
from pathlib import Path

import nbformat
import pytest

from tinylib import cli, course
from tinylib.course import classroom

pytestmark = pytest.mark.end_to_end

# A stand-in checker written through the same decorator as tinylib.checks, so these notebooks need no TensorFlow.
CHECKER = (
    "from tinylib.checks.feedback import checker, expect, passed\n"
    "@checker\ndef check_answer(value):\n    value = value() if callable(value) else value\n"
    "    expect(value == 42, f'expected 42, got {value}')\n    passed('answer')\n"
    "@checker\ndef check_word(word):\n    expect(word == 'residual', f'expected another word than {word!r}')\n"
    "    passed('word')"
)
EXPECTED = [("check_answer", 2.0), ("check_word", 1.0)]
EDITION = "01_tiny"


def _notebook(path, *cells, edition=EDITION):
    path.parent.mkdir(parents=True, exist_ok=True)
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    exercises = [{"exercise": name, "points": points} for name, points in EXPECTED]
    notebook.metadata["tinylib"] = {"edition": edition, "exercises": exercises}
    nbformat.write(notebook, path)
    return path


def _children() -> list[str]:
    """The processes whose parent is this one (Linux /proc), e.g. kernels left running."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(") ", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == os.getpid():
            found.append(stat.parent.name)
    return found


def test_grade_runs_a_copy_so_a_notebook_cannot_delete_itself_or_its_neighbours(tmp_path):
    """Issue 13 item 5: a graded notebook deleted a file beside it and itself, and still passed."""
    sibling = tmp_path / "notes.txt"
    sibling.write_text("the learner's other work")
    notebook = _notebook(
        tmp_path / "mine.ipynb",
        CHECKER,
        "import os\nos.remove('mine.ipynb')  # its own file, by a relative path\nos.remove('notes.txt')",
        "check_answer(42)",
        "check_word('plain')",
    )
    before = notebook.read_bytes()
    grades = course.grade(notebook, timeout=60)  # expected exercises from the notebook's own metadata
    assert grades == [
        course.Grade("check_answer", "passed", "✓ answer: correct, well done.", 2.0),
        course.Grade("check_word", "failed", "ExerciseError: expected another word than 'plain'", 1.0),
    ]
    assert notebook.read_bytes() == before
    assert sibling.read_text() == "the learner's other work"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.ipynb", "notes.txt"]
    if Path("/proc").is_dir():
        assert _children() == []  # the kernel was shut down, not left running


def test_grade_says_why_a_file_is_not_a_notebook(tmp_path):
    cell = {"id": "a", "cell_type": "code", "metadata": {}}  # valid JSON that nbformat reads, but no source
    no_source = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [cell]}
    cases = {
        b"\xff\xfe not text": "not a notebook (not UTF-8 text)",
        b'{"cells": [': "not a notebook (invalid JSON at line 1)",
        b"[]": "not a notebook (",
        json.dumps(no_source).encode(): "not a notebook ('source' is a required property",
    }
    for index, (content, reason) in enumerate(cases.items()):
        path = tmp_path / f"{index}.ipynb"
        path.write_bytes(content)
        first, *others = course.grade(path, EXPECTED)
        assert first.exercise == course.NOTEBOOK and first.status == "failed" and first.message.startswith(reason)
        assert [(g.exercise, g.status) for g in others] == [("check_answer", "not run"), ("check_word", "not run")]


FORGED_RECORD = (
    "import glob, json, os\n"
    "folder = os.path.join('..', 'channel', 'records'); os.makedirs(folder, exist_ok=True)\n"
    "payload = json.dumps({'exercise': 'check_word', 'status': 'passed', 'message': 'mine', 'sequence': 0})\n"
    "open(os.path.join(folder, '00000-1.json'), 'w').write(json.dumps({'payload': payload, 'signature': '0' * 64}))"
)


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    """A class of nine: right, wrong, forged, checks deleted, endless, crashing, stub, not a notebook, invalid JSON."""
    root = tmp_path_factory.mktemp("class")
    editions, submissions = root / "editions", root / "submissions"
    _notebook(editions / f"{EDITION}.ipynb", "# the student edition")
    right = [CHECKER, "check_answer(42)", "check_word('residual')"]
    _notebook(submissions / "ana" / f"{EDITION}.ipynb", *right)
    _notebook(submissions / "bob" / f"bob_{EDITION}.ipynb", CHECKER, "check_answer(41)", "check_word('residual')")
    forged = ['print("✓ answer: correct, well done.")', FORGED_RECORD, "check_answer(42)"]
    _notebook(submissions / "cara.ipynb", CHECKER, *forged)  # edition from its metadata
    _notebook(submissions / "dan" / f"{EDITION}.ipynb", CHECKER, "answer = 42")
    _notebook(submissions / "eve" / f"{EDITION}.ipynb", CHECKER, "check_answer(42)", "while True:\n    pass", right[2])
    _notebook(submissions / "fay" / f"{EDITION}.ipynb", CHECKER, "check_answer(42)", "import os\nos._exit(1)")
    stub = "def answer():\n    raise NotImplementedError\ncheck_answer(answer)"
    _notebook(submissions / "gus" / f"{EDITION}.ipynb", CHECKER, stub, "check_word('residual')")
    (submissions / "hal.pdf").write_bytes(b"%PDF-1.4 not a notebook")
    (submissions / "ivy").mkdir()
    (submissions / "ivy" / f"{EDITION}.ipynb").write_text('{"cells": [}')
    gradebook, feedback = root / "grades.csv", root / "feedback"
    arguments = ["course", "grade", str(submissions), "--editions", str(editions), "--jobs", "2", "--timeout", "30"]
    status = cli.main([*arguments, "--gradebook", str(gradebook), "--feedback", str(feedback)])
    return status, list(csv.DictReader(gradebook.open())), feedback


def test_course_grade_gives_every_learner_of_a_mixed_class_the_right_verdicts(graded_class):
    status, rows, _ = graded_class
    assert status == 0  # with --gradebook: grading ran
    table = {
        row["learner"]: (row[f"{EDITION}:check_answer"], row[f"{EDITION}:check_word"], row["total"]) for row in rows
    }
    assert table == {
        "ana": ("2", "1", "3"),
        "bob": ("0", "1", "1"),
        "cara": ("2", "0", "2"),  # the printed ✓ and the unsigned record count for nothing
        "dan": ("0", "0", "0"),
        "eve": ("2", "0", "2"),
        "fay": ("2", "0", "2"),
        "gus": ("0", "1", "1"),
        "hal": ("0", "0", "0"),
        "ivy": ("0", "0", "0"),
    }
    assert {row["out of"] for row in rows} == {"3"}
    problems = {row["learner"]: row["problems"] for row in rows}
    assert problems["eve"] == f"{EDITION}.ipynb: the notebook ran past the 30 s timeout"
    assert problems["fay"].startswith(f"{EDITION}.ipynb: the kernel died")
    assert problems["hal"] == "not a notebook: hal.pdf"
    assert problems["ivy"] == f"{EDITION}.ipynb: not a notebook (invalid JSON at line 1)"
    assert problems["ana"] == problems["bob"] == problems["cara"] == problems["dan"] == problems["gus"] == ""


def test_feedback_files_give_each_exercise_its_status_and_message(graded_class):
    _, _, feedback = graded_class
    assert sorted(p.name for p in feedback.iterdir()) == [
        f"{n}.txt" for n in "ana bob cara dan eve fay gus hal ivy".split()
    ]
    bob = (feedback / "bob.txt").read_text()
    assert "  failed   check_answer (0/2): ExerciseError: expected 42, got 41" in bob
    assert "  passed   check_word (1/1): ✓ word: correct, well done." in bob and "Total: 1 of 3 points" in bob
    cara = (feedback / "cara.txt").read_text()
    assert "  not run  check_word (0/1): not run: check_word never reported" in cara
    eve = (feedback / "eve.txt").read_text()
    assert "  not run  check_word (0/1): not run: the notebook ran past the 30 s timeout" in eve
    gus = (feedback / "gus.txt").read_text()
    assert "  failed   check_answer (0/2): `answer` is not written yet (NotImplementedError)" in gus


def test_a_learner_folder_without_an_edition_the_class_handed_in_is_missing_it(tmp_path):
    editions = {"01_tiny": EXPECTED, "02_tiny": [("check_word", 1.0)]}
    for learner, names in {"ana": ["01_tiny", "02_tiny"], "bob": ["01_tiny"]}.items():
        for name in names:
            (tmp_path / learner).mkdir(exist_ok=True)
            (tmp_path / learner / f"{name}.ipynb").write_text("{}")
    learners = classroom.find_learners([tmp_path])
    assert [(x.name, [p.name for p in x.notebooks]) for x in learners] == [
        ("ana", ["01_tiny.ipynb", "02_tiny.ipynb"]),
        ("bob", ["01_tiny.ipynb"]),
    ]
    results = classroom.grade_class(learners, editions, timeout=5)
    assert "missing notebook: 02_tiny" in results[1].problems and "missing notebook: 02_tiny" not in results[0].problems
    assert [g.status for g in results[1].grades["02_tiny"]] == ["not run"]


def test_course_grade_without_gradebook_exits_1_on_a_failed_exercise_and_2_on_a_missing_path(tmp_path, capsys):
    editions = tmp_path / "editions"
    _notebook(editions / f"{EDITION}.ipynb", "# the student edition")
    mine = _notebook(tmp_path / "mine.ipynb", CHECKER, "check_answer(42)", "check_word('plain')")
    assert cli.main(["course", "grade", str(mine), "--editions", str(editions), "--timeout", "60"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("network: ")
    assert "mine: 2 of 3 points, 1 of 2 exercises pass" in out
    assert "Kernel is running over TCP" not in out
    assert cli.main(["course", "grade", str(tmp_path / "nobody.ipynb"), "--editions", str(editions)]) == 2
    assert (
        capsys.readouterr().err.strip()
        == f"no submission at {tmp_path / 'nobody.ipynb'}: pass notebooks or folders of submissions"
    )
