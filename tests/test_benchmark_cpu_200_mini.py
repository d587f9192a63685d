"""benchmarks/cpu_200_mini.py at a tiny size: both runs train, stop at the budget and are scored
on every val image of the subset it cuts first; the result file says what ran on what."""

import importlib.util
import json
from pathlib import Path

BENCHMARK = Path(__file__).resolve().parents[1] / "benchmarks" / "cpu_200_mini.py"


def test_cpu_200_mini_runs_both_recipes_side_by_side_on_a_subset(synthetic_root, tmp_path):
    spec = importlib.util.spec_from_file_location("cpu_200_mini", BENCHMARK)
    benchmark = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(benchmark)
    out = tmp_path / "result.json"
    sizes = ["--classes", "3", "--train-per-class", "8", "--val-per-class", "3"]
    result = benchmark.main(
        ["--zip", str(synthetic_root), "--minutes", "0", "--kit-epochs", "2", "--width", "4", *sizes, "--out", str(out)]
    )
    assert json.loads(out.read_text()) == result
    assert result["data"] == {"source": synthetic_root.name, "classes": 3, "train": 24, "val": 9}
    assert list(result["runs"]) == ["seed_net + seed recipe", "resnet10_w4 + baseline recipe"]
    for run in result["runs"].values():
        assert run["epochs_done"] == 1  # a budget of 0 minutes stops after the first epoch
        assert run["val_images"] == 9 and 0 <= run["val_top1"] <= run["val_top5"] <= 1
    seed, kit = result["runs"].values()
    assert result["points_ahead"] == round(100 * (kit["val_top1"] - seed["val_top1"]), 1)
    assert "--minutes 0" in result["command"]
