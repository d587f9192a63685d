"""One table of expected times: docs/expected_times.md is written from tinylib.course.times,
every notebook has a labelled row, and the README and the guide point at it."""

from pathlib import Path

import pytest

from tinylib.course.times import TIMES, expected_time, markdown_table

ROOT = Path(__file__).resolve().parents[1]


def test_the_docs_table_is_the_one_in_the_kit():
    assert (ROOT / "docs" / "expected_times.md").read_text() == markdown_table(), (
        "run `python -m tinylib.course.times > docs/expected_times.md`"
    )


def test_every_notebook_has_a_t4_figure_labelled_estimate_with_its_basis():
    assert sorted(time.notebook for time in TIMES) == sorted(path.stem for path in (ROOT / "notebooks").glob("*.ipynb"))
    for time in TIMES:
        assert time.t4_minutes > 0 and time.t4_basis, time
        assert "(estimate: " in expected_time(time.notebook) and time.quick_cpu in expected_time(time.notebook)
    with pytest.raises(KeyError, match="known: colab_quickstart"):
        expected_time("07_missing")


def test_readme_guide_and_notebooks_read_the_table_instead_of_not_measured_yet():
    for path in (ROOT / "README.md", ROOT / "docs" / "teaching.md"):
        assert "docs/expected_times.md" in path.read_text() or "expected_times.md" in path.read_text(), path
    for name in ("colab_quickstart", "03_training_on_gpu", "05_improving_the_baseline"):
        text = (ROOT / "notebooks" / f"{name}.ipynb").read_text()
        assert f'expected_time(\\"{name}\\")' in text and "not measured yet" not in text, name
