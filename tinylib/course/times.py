"""How long each notebook takes, in one table that the README, docs/teaching.md and the
notebooks all read, so a learner can plan an hour and no copy of a number goes stale.

Each figure says what it is: "measured" (command, machine, date) or "estimate" (its basis)
until it is measured. `markdown_table()` writes docs/expected_times.md (a test keeps the two
equal: `python -m tinylib.course.times > docs/expected_times.md`); `expected_time(name)` is one
notebook's row as a sentence, for the notebook itself.
"""

from __future__ import annotations

from dataclasses import dataclass

# The bases of the estimates, each given once; rows refer to them as [epoch], [data], [MACs].
BASES = {
    "epoch": "one 100,000-image epoch of ResNet-18 through `fit` (val and checkpoints included) took 9.0 s on an "
    "H200 (measured, Keras on JAX, bf16, benchmarks/results/gpu_h200.json, docs/speedrun.md); scaled by published "
    "peak throughput (H200 989 dense bf16 TFLOP/s, T4 65 fp16 tensor TFLOP/s: x15.2, assuming the T4 keeps the "
    "H200's 31 % of peak) that is about 2.3 min per epoch on a T4",
    "data": "downloading the 248 MB zip, then extracting, verifying and packing 120,000 images on Colab's 2 CPU "
    "cores: about 5 min, scaled from the 20-class zip (11,000 images) on this project's 2-core CPU machines",
    "MACs": "the models' multiply-accumulates x 6 (forward and backward) over 31 % of the T4's 65 TFLOP/s, "
    "plus about a minute of compiles",
}
QUICK = "measured: nbval, quick profile, 2-core AMD EPYC CPU, TensorFlow 2.21, 2026-11-26 (docs/teaching.md)"


@dataclass(frozen=True)
class NotebookTime:
    """One notebook's time: the quick profile on a 2-core CPU (as measured) and the full profile
    on a Colab T4 (minutes, an estimate until measured, with its basis)."""

    notebook: str
    quick_cpu: str
    t4_minutes: int
    t4_basis: str


TIMES = (
    NotebookTime("colab_quickstart", "25 s", 75, "[data] + 30 epochs [epoch] + analysis"),
    NotebookTime("00_start_here", "26 s", 3, "the demo: about 1.5 min measured on a 2-core CPU (README)"),
    NotebookTime("01_loading_tiny_imagenet", "66 s on a busy machine", 10, "[data] + verifying every image twice"),
    NotebookTime("02_residual_architecture", "30 s", 3, "2 x 1,000 steps of a width-32 ResNet-34 pair [MACs]"),
    NotebookTime("03_training_on_gpu", "68 s", 80, "30 + 2 epochs of ResNet-18 [epoch] + seed_net [MACs]"),
    NotebookTime("04_inspecting_hard_examples", "152 s on a busy machine", 75, "30 epochs [epoch] + Grad-CAM"),
    NotebookTime(
        "05_improving_the_baseline",
        "396 s on a busy machine",
        900,
        "ten runs of 30 epochs [epoch], 2x wider 3.3x and deeper 1.8x the compute: several Colab sessions, each "
        "continuing where the last stopped",
    ),
    NotebookTime(
        "06_your_own_images",
        "80 s on a busy machine with 6 epochs; with today's 15, about 2 min (estimate)",
        5,
        "30 epochs on the 10-class example folder [MACs]",
    ),
)


def _minutes(minutes: int) -> str:
    return f"about {minutes} min" if minutes < 120 else f"about {minutes / 60:.0f} h"


def _row(time: NotebookTime) -> str:
    return f"| `{time.notebook}` | {time.quick_cpu} | {_minutes(time.t4_minutes)} (estimate: {time.t4_basis}) |"


def markdown_table() -> str:
    """docs/expected_times.md: the heading, what the columns are, and one row per notebook."""
    total = sum(time.t4_minutes for time in TIMES)
    lines = [
        "# Expected times",
        "",
        "How long each notebook takes to run top to bottom (computer time, not reading time). Written by",
        "`python -m tinylib.course.times > docs/expected_times.md` from `tinylib/course/times.py`, which the",
        "README, docs/teaching.md and the notebooks read.",
        "",
        f"The quick profile column is {QUICK}.",
        "The Colab T4 column (full profile: Tiny ImageNet-200, ResNet-18, 30 epochs per training run) is",
        "an **estimate**, not measured: no T4 was available to the kit's sessions; each figure names its basis.",
        "",
        "| notebook | quick profile, 2-core CPU (measured) | full profile, Colab T4 |",
        "|---|---|---|",
        *(_row(time) for time in TIMES),
        f"| all eight | about 14 min (the rows' sum, not measured together) | {_minutes(total)} (estimate: the sum) |",
        "",
        "Bases of the estimates:",
        "",
        *(f"- [{key}] {text}." for key, text in BASES.items()),
        "",
    ]
    return "\n".join(lines)


def expected_time(notebook: str) -> str:
    """One sentence for a notebook: "Expected time: 25 s in the quick profile on a 2-core CPU
    (measured); about 75 min on a Colab T4 in the full profile (estimate: ...; ...)."

    Raises KeyError naming the known notebooks for any other name."""
    found = {time.notebook: time for time in TIMES}
    if notebook not in found:
        raise KeyError(f"no expected time for {notebook!r}; known: {', '.join(found)}")
    time = found[notebook]
    return (
        f"Expected time: {time.quick_cpu} in the quick profile on a 2-core CPU (measured); about "
        f"{_minutes(time.t4_minutes)[6:]} on a Colab T4 in the full profile (estimate: {time.t4_basis}; "
        "docs/expected_times.md gives the bases)."
    )


if __name__ == "__main__":
    print(markdown_table(), end="")
