"""Student editions: written from the solution notebooks, up to date, failing at their checks."""

import json
import shutil
from pathlib import Path

import pytest

from tinylib import course
from tinylib.checks import NotWrittenYet

ROOT = Path(__file__).resolve().parents[1]
EDITIONS = sorted((ROOT / "exercises").glob("*.ipynb"))


def test_stub_keeps_imports_signature_and_docstring():
    source = 'import math\n\n\ndef area(r):\n    """Disc area."""\n    return math.pi * r * r\n'
    stub = course.student_source(source)
    assert stub == 'import math\n\n\ndef area(r):\n    """Disc area."""\n' + course.STUB
    assert "math.pi" not in stub
    assert course.student_source("pairs = find()\nprint(pairs)") == "# Your code here"


def test_committed_student_editions_are_up_to_date(tmp_path):
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    shutil.copytree(ROOT / "exercises", tmp_path / "exercises")
    assert course.build_student_editions(tmp_path, check=True) == [], "run `tinylib course build`"
    assert len(EDITIONS) >= 4


def test_assert_cells_are_kept_but_folded_in_the_student_edition(tmp_path):
    import nbformat

    cells = [
        nbformat.v4.new_markdown_cell("# A lesson"),
        nbformat.v4.new_code_cell("x = 2"),
        nbformat.v4.new_code_cell("assert x == 2  # expected\nassert x > 0", metadata={"tags": ["assert"]}),
        nbformat.v4.new_code_cell("def f():\n    return 1", metadata={"tags": ["solution"]}),
    ]
    path = tmp_path / "notebooks" / "lesson.ipynb"
    path.parent.mkdir()
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    edition = course.student_edition(path, tmp_path)["cells"]
    assert "".join(edition[2]["source"]) == cells[2].source  # still runs under nbval and grading
    assert edition[2]["metadata"]["jupyter"] == {"source_hidden": True}
    assert "jupyter" not in edition[1]["metadata"]
    assert course.assert_only(cells[2].source) and not course.assert_only("assert x\ny = 1")
    assert not course.assert_only("") and not course.assert_only("assert (")


# notebooks whose assert-only cells are tagged "assert" (00, 02, 03 and 06 not yet)
ASSERTS_TAGGED = (
    "01_loading_tiny_imagenet",
    "02_residual_architecture",
    "03_training_on_gpu",
    "04_inspecting_hard_examples",
    "05_improving_the_baseline",
)


@pytest.mark.parametrize("name", ASSERTS_TAGGED)
def test_every_assert_only_cell_is_tagged_and_folded(name):
    notebook = json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text())
    edition = json.loads((ROOT / "exercises" / f"{name}.ipynb").read_text())
    for cell, student in zip(notebook["cells"], edition["cells"], strict=True):
        only = cell["cell_type"] == "code" and course.assert_only("".join(cell["source"]))
        assert only == ("assert" in cell["metadata"].get("tags", [])), "".join(cell["source"])
        assert only == student["metadata"].get("jupyter", {}).get("source_hidden", False)


def test_every_checker_is_called_in_its_notebook_and_listed_in_the_guide():
    from tinylib.checks import EXERCISES

    guide = (ROOT / "docs" / "teaching.md").read_text()
    for checker, name in EXERCISES.items():
        assert f"{checker.__name__}(" in (ROOT / "notebooks" / f"{name}.ipynb").read_text(), checker.__name__
        assert f"`{checker.__name__}`" in guide, checker.__name__
    assert len(EXERCISES) >= 17


@pytest.mark.parametrize("edition", EDITIONS, ids=lambda p: p.name)
def test_student_edition_keeps_bootstrap_and_its_own_badge(edition):
    assert course.check_notebook(edition, ROOT) == []
    text = edition.read_text()
    assert '"solution"' not in text and "raise NotImplementedError" in text


def _exercise_pairs(edition):
    cells = json.loads(edition.read_text())["cells"]
    for index, cell in enumerate(cells):
        if "exercise" in cell["metadata"].get("tags", []) and "def " in "".join(cell["source"]):
            check = next(c for c in cells[index + 1 :] if c["cell_type"] == "code")
            yield "".join(cell["source"]), "".join(check["source"])


@pytest.mark.parametrize("edition", EDITIONS, ids=lambda p: p.name)
def test_student_edition_fails_exactly_at_its_checks(edition):
    """Each stub, run with the check cell that follows it, fails in the checker with a
    message, not with an error elsewhere; the solution notebooks pass (nbval)."""
    pairs = list(_exercise_pairs(edition))
    assert pairs
    for stub, check in pairs:
        assert "check_" in check
        namespace = {}
        exec(stub, namespace)
        with pytest.raises(NotWrittenYet, match="is not written yet") as raised:
            exec(check, namespace)
        assert len(str(raised.value).splitlines()) == 2 and "tinylib/" not in str(raised.value)


@pytest.fixture(scope="module")
def learner_notebook(tmp_path_factory):
    """A learner's notebook: one exercise right, one still a stub, an unrelated error between."""
    import nbformat

    cells = [
        "from tinylib.checks import check_conv_output_size, check_label_smoothing",
        "def conv_output_size(size, kernel, stride, padding):\n"
        "    return -(-size // stride) if padding == 'same' else (size - kernel) // stride + 1",
        "check_conv_output_size(conv_output_size)",
        "undefined_name + 1",
        "def smooth_labels(labels, num_classes, smoothing):\n    # Your code here\n    raise NotImplementedError",
        "check_label_smoothing(smooth_labels)",
    ]
    path = tmp_path_factory.mktemp("learner") / "01_mine.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells]), path)
    return path


@pytest.mark.end_to_end
def test_grade_runs_every_cell_and_reports_each_check(learner_notebook):
    before = learner_notebook.read_bytes()
    expected = [("check_conv_output_size", 1), ("check_label_smoothing", 2), ("check_pad_crop", 1)]
    grades = course.grade(learner_notebook, expected, timeout=300)
    assert [(g.exercise, g.status, g.earned) for g in grades] == [
        ("check_conv_output_size", "passed", 1),
        ("check_label_smoothing", "failed", 0),
        ("check_pad_crop", "not run", 0),
    ]
    assert grades[0].message.startswith("✓ convolution output size")
    assert grades[1].message == "`smooth_labels` is not written yet (NotImplementedError)"
    assert learner_notebook.read_bytes() == before  # the learner's file is never changed
