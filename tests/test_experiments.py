"""run_experiments: one resumable run per change, rows against the reference, a Markdown table."""

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import random_data

from tinylib.experiments import EXPERIMENTS, REFERENCE, Experiment, results_table, run_experiments
from tinylib.train import Recipe, recipe

pytestmark = [pytest.mark.backend, pytest.mark.end_to_end]

CHOSEN = tuple(
    e for e in EXPERIMENTS if e.name in ("reference", "cyclical LR", "class weights", "2x wider", "test-time flip")
)
BASE = recipe("demo", epochs=2, batch_size=16)
SIZE = dict(depth=10, width=4, stem="imagenet")


@pytest.fixture(scope="module")
def data():
    return random_data(64, 16, seed=1, labels="cycle")


@pytest.fixture(scope="module")
def results(data, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("experiments")
    return workdir, run_experiments(data, workdir, base=BASE, size=SIZE, experiments=CHOSEN)


def test_one_row_per_experiment_against_the_reference(results):
    workdir, rows = results
    assert [row["experiment"] for row in rows] == [e.name for e in CHOSEN]
    reference, cyclical, weighted, wider, flipped = rows
    assert reference["delta"] == 0
    for row in rows:
        assert 0 <= row["top1"] <= row["top5"] <= 1
        assert row["delta"] == round(100 * (row["top1"] - reference["top1"]), 1)
    assert wider["parameters"] > 3 * reference["parameters"] and wider["macs"] > 2.5 * reference["macs"]
    assert flipped["parameters"] == reference["parameters"] and flipped["train_seconds"] == 0.0
    assert sorted(p.name for p in workdir.iterdir()) == ["2x-wider", "class-weights", "cyclical-lr", "reference"]


def test_each_change_reaches_its_run(results, data):
    workdir, _ = results
    cyclical = Recipe.from_json((workdir / "cyclical-lr" / "recipe.json").read_text())
    steps = len(data.train_images) // BASE.batch_size
    assert cyclical.schedule == "cyclical" and cyclical.cyclical_step_size == BASE.epochs * steps // 4
    assert cyclical.cyclical_base_lr == pytest.approx(BASE.learning_rate / 10)
    weights = json.loads((workdir / "class-weights" / "run.json").read_text())["class_weight"]
    assert set(weights) == {"0", "1", "2", "3"} and np.mean(list(weights.values())) == pytest.approx(1, abs=1e-3)
    assert json.loads((workdir / "reference" / "run.json").read_text())["class_weight"] is None


def test_running_again_trains_nothing(results, data):
    workdir, rows = results
    stamps = {p: p.stat().st_mtime_ns for p in workdir.glob("*/history.csv")}
    again = run_experiments(data, workdir, base=BASE, size=SIZE, experiments=CHOSEN)
    assert again == rows
    assert {p: p.stat().st_mtime_ns for p in workdir.glob("*/history.csv")} == stamps


def test_results_table_is_markdown_with_one_line_per_row(results):
    _, rows = results
    lines = results_table(rows).splitlines()
    assert lines[0].startswith("| experiment | idea | val top-1") and len(lines) == 2 + len(rows)
    assert "| reference |" in lines[2] and "| — |" in lines[2]
    assert f"{rows[1]['delta']:+.1f} points" in lines[3]


def test_experiment_names_are_unique_and_slugs_are_folder_names():
    assert len({e.slug for e in EXPERIMENTS}) == len(EXPERIMENTS) and EXPERIMENTS[0] is REFERENCE
    assert Experiment("Deeper (18 layers)", "").slug == "deeper-18-layers"


def test_notebook_05_shows_exactly_the_measured_real_table():
    """The real-data table in notebook 05 is the one benchmarks/experiments_real.py measured,
    with its command, data, machine and date: no number typed in by hand."""
    root = Path(__file__).resolve().parents[1]
    measured = json.loads((root / "benchmarks" / "results" / "experiments_real.json").read_text())
    notebook = json.loads((root / "notebooks" / "05_improving_the_baseline.ipynb").read_text())
    markdown = "\n".join("".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "markdown")
    assert results_table(measured["rows"]) in markdown
    for fact in (measured["command"], measured["date"], measured["hardware"]):
        assert fact in markdown
