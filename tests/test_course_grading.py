"""Grading on a copy in its own folder; a broken or endless notebook fails with one line, the others are graded."""

import nbformat
import pytest

from tinylib import cli, course

pytestmark = pytest.mark.end_to_end

# A stand-in checker, so these notebooks need no TensorFlow: it prints a "✓" line like tinylib.checks.
CHECKER = (
    "def check_answer(value):\n    assert value == 42, f'expected 42, got {value}'\n    print('✓ answer: correct')"
)


def _notebook(path, *cells):
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells]), path)
    return path


def test_grade_runs_a_copy_so_a_notebook_cannot_delete_itself_or_its_neighbours(tmp_path):
    """Issue 13 item 5: a graded notebook deleted a file beside it and itself, and still passed."""
    sibling = tmp_path / "notes.txt"
    sibling.write_text("the learner's other work")
    notebook = _notebook(
        tmp_path / "mine.ipynb",
        CHECKER,
        "import os\nos.remove('mine.ipynb')  # its own file, by a relative path\nos.remove('notes.txt')",
        "check_answer(42)",
    )
    before = notebook.read_bytes()
    grades = course.grade(notebook, timeout=60)
    assert grades == [course.Grade("check_answer", True, "✓ answer: correct")]
    assert notebook.read_bytes() == before
    assert sibling.read_text() == "the learner's other work"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.ipynb", "notes.txt"]


def test_course_grade_fails_a_broken_and_an_endless_notebook_and_grades_the_others(tmp_path, capsys):
    """Issue 13 item 17: invalid JSON or a cell past --timeout gave a traceback and no grades."""
    broken = tmp_path / "broken.ipynb"
    broken.write_text('{\n "cells": [\n  {"cell_type": "code",,}\n ]\n}\n')
    endless = _notebook(tmp_path / "endless.ipynb", CHECKER, "import time\ntime.sleep(60)", "check_answer(42)")
    fine = _notebook(tmp_path / "fine.ipynb", CHECKER, "check_answer(42)")
    status = cli.main(["course", "grade", str(broken), str(endless), str(fine), "--timeout", "2"])
    out = capsys.readouterr().out
    assert status == 1
    assert f"{broken}: 0 of 1 exercises pass\n  FAIL  (notebook)" in out
    assert "not a notebook (invalid JSON at line 3)" in out
    assert f"{endless}: 0 of 2 exercises pass" in out
    assert "FAIL  (notebook)               a cell ran past the 2 s timeout" in out
    assert "FAIL  check_answer             did not run: a cell ran past the 2 s timeout" in out
    assert f"{fine}: 1 of 1 exercises pass\n  pass  check_answer             ✓ answer: correct" in out


# valid JSON that nbformat reads, but its schema fails: a code cell without source
NO_SOURCE = b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"id": "a", "cell_type": "code", ' + (
    b'"metadata": {}}]}'
)


def test_grade_says_why_a_file_is_not_a_notebook(tmp_path):
    cases = {
        b"\xff\xfe not text": "not a notebook (not UTF-8 text)",
        b'{"cells": [': "not a notebook (invalid JSON at line 1)",
        b"[]": "not a notebook (",
        NO_SOURCE: "not a notebook ('source' is a required property",
    }
    for index, (content, reason) in enumerate(cases.items()):
        path = tmp_path / f"{index}.ipynb"
        path.write_bytes(content)
        [only] = course.grade(path)
        assert only.exercise == course.NOTEBOOK and not only.passed and only.message.startswith(reason), only
