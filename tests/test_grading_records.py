"""The checkers' records channel, hints, the short message at an unwritten exercise, what editions tell the grader."""

import importlib
import json

import nbformat
import pytest

from tinylib import cli, course
from tinylib.checks import CHECKERS, HINTS, hint, records
from tinylib.checks.feedback import ExerciseError, checker, expect, passed


@pytest.fixture
def channel(tmp_path, monkeypatch):
    """This process as a graded kernel: a fresh channel taken by a re-imported `records`."""
    env, secret = records.open_channel(tmp_path / "channel")
    monkeypatch.setenv(records.CHANNEL, env[records.CHANNEL])
    importlib.reload(records)
    yield tmp_path / "channel", secret
    monkeypatch.delenv(records.CHANNEL, raising=False)
    importlib.reload(records)


def test_a_checker_hands_its_verdicts_to_the_grader_signed(channel):
    folder, secret = channel
    assert not (folder / records.SECRET_FILE).exists()  # taken at import: learner code cannot read it
    assert records.CHANNEL not in __import__("os").environ

    @checker
    def check_even(number):
        expect(number % 2 == 0, f"{number} is odd")
        passed("even")

    check_even(2)
    with pytest.raises(ExerciseError):
        check_even(3)
    verdicts, rejected = records.read_records(folder, secret)
    assert verdicts == {"check_even": ("failed", "ExerciseError: 3 is odd")} and rejected == 0
    check_even(4)  # the last record of an exercise wins
    assert records.read_records(folder, secret)[0] == {"check_even": ("passed", "✓ even: correct, well done.")}


def test_records_signed_with_another_secret_or_edited_are_rejected(channel):
    folder, secret = channel
    records.record("check_pad_crop", "failed", "wrong")
    [path] = (folder / records.RECORDS).glob("*.json")
    outer = json.loads(path.read_text())
    path.write_text(json.dumps({**outer, "payload": outer["payload"].replace("failed", "passed")}))
    (folder / records.RECORDS / "99999-1.json").write_text("not json")
    assert records.read_records(folder, secret) == ({}, 2)
    assert records.read_records(folder, b"another secret")[1] == 2


def test_outside_grading_record_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    records.record("check_pad_crop", "passed", "✓")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match="status must be one of"):
        records.record("check_pad_crop", "maybe", "")


def test_every_exercise_has_a_hint(capsys):
    assert set(HINTS) == set(CHECKERS)
    hint("check_pad_crop")
    assert capsys.readouterr().out.startswith("Hint (check_pad_crop): np.pad the image")
    with pytest.raises(KeyError, match="no hint for 'check_nothing'"):
        hint("check_nothing")


def test_an_unwritten_exercise_shows_two_lines_naming_the_function_not_a_traceback(tmp_path):
    import nbclient

    cells = [
        "def pad_crop(image, pad, dy, dx):\n    raise NotImplementedError",
        "from tinylib.checks import check_pad_crop\ncheck_pad_crop(pad_crop)",
    ]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nbclient.NotebookClient(notebook, timeout=120, allow_errors=True, kernel_name="python3").execute()
    [error] = notebook.cells[1].outputs
    shown = "\n".join(error["traceback"])
    assert shown.splitlines() == [
        "✗ NotWrittenYet: `pad_crop` is not written yet (it still raises NotImplementedError): write its body in the "
        "exercise cell above, run that cell, then run this check again.",
        'Stuck? from tinylib.checks import hint; hint("check_pad_crop")',
    ]


def _solution_notebook(root):
    cells = [
        nbformat.v4.new_code_cell("def f():\n    return 1", metadata={"tags": ["solution"]}),
        nbformat.v4.new_code_cell("check_f(f)", metadata={"tinylib": {"points": 3}}),
        nbformat.v4.new_code_cell("check_g(f)"),
    ]
    path = root / "notebooks" / "07_lesson.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    return path


def test_student_edition_lists_its_expected_exercises_and_points_and_points_stubs_at_help(tmp_path):
    path = _solution_notebook(tmp_path)
    edition = course.student_edition(path, tmp_path)
    assert edition["metadata"]["tinylib"] == {
        "edition": "07_lesson",
        "exercises": [{"exercise": "check_f", "points": 3}, {"exercise": "check_g", "points": 1}],
    }
    stub = "".join(edition["cells"][0]["source"])
    note = '# Stuck? from tinylib.checks import hint; hint("check_f")'
    solution = " -- the solution: notebooks/07_lesson.ipynb"
    assert stub == f"def f():\n    # Your code here\n    {note}{solution}\n    raise NotImplementedError"
    private = "".join(course.student_edition(path, tmp_path, solutions=False)["cells"][0]["source"])
    assert f"    {note}\n" in private and "solution" not in private


def test_course_build_no_solutions_writes_editions_into_a_folder_of_its_own(tmp_path, capsys):
    _solution_notebook(tmp_path)
    out = tmp_path / "class-repo"
    assert cli.main(["course", "build", "--root", str(tmp_path), "--no-solutions", str(out)]) == 0
    assert [p.name for p in out.iterdir()] == ["07_lesson.ipynb"]
    assert "the solution" not in (out / "07_lesson.ipynb").read_text()
    assert not (tmp_path / "exercises").exists()
    assert capsys.readouterr().out == f"wrote 1 editions without pointers to the solutions into {out}\n"
