"""Grading a class of 30: generated submissions of notebooks 01 and 02, every verdict checked, --jobs 1 vs --jobs 2.

Generates 15 learner folders, each with the student editions of 01 and 02 filled in one way
(correct, one wrong answer, "✓" printed instead of the checks, the checks deleted, an endless
loop, a crashing kernel), plus one learner who handed in a PDF: 30 notebooks and one
non-notebook. Grades them with `tinylib course grade --jobs 2`, then `--jobs 1`, checks every
verdict against the kind of submission, and writes benchmarks/results/grading.json (command,
machine, load, date) after each leg. Run from the repository root:

    PYTHONPATH=$PWD TINYLIB_PROFILE=quick python benchmarks/grading.py [--timeout 240]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EDITIONS = ("01_loading_tiny_imagenet", "02_residual_architecture")
KINDS = ["correct"] * 6 + ["wrong"] * 3 + ["forged"] * 2 + ["deleted"] * 2 + ["endless", "crash"]
SAMPLE = ["correct", "correct", "wrong", "forged", "deleted", "crash"]  # --sample: 12 notebooks, no endless loop
WRONG = {
    "check_pad_crop": "def pad_crop(image, pad, dy, dx):\n    return image\n",
    "check_conv_output_size": "def conv_output_size(size, kernel, stride, padding):\n    return size // stride\n",
}


def _submission(edition: str, kind: str) -> tuple[dict, dict[str, str]]:
    """A learner's notebook of `edition` of `kind`, and the status each exercise must get."""
    solution = json.loads((ROOT / "notebooks" / f"{edition}.ipynb").read_text())
    notebook = json.loads((ROOT / "exercises" / f"{edition}.ipynb").read_text())
    expected = [item["exercise"] for item in notebook["metadata"]["tinylib"]["exercises"]]
    cells = []
    for index, cell in enumerate(notebook["cells"]):
        text = "".join(cell["source"])
        code = cell["cell_type"] == "code"
        check = next((name for name in expected if code and f"{name}(" in text), None)
        if "exercise" in cell["metadata"].get("tags", []) and kind in ("correct", "wrong", "endless", "crash"):
            cell["source"] = solution["cells"][index]["source"]
        if check and kind == "wrong" and check in WRONG:
            cells[-1]["source"] = WRONG[check]
        if check and kind == "forged":
            cell["source"] = f'print("✓ {check}: correct, well done.")'
        if check and kind == "deleted":
            continue
        cells.append(cell)
        if check == expected[0] and (kind == "crash" or (kind == "endless" and edition == EDITIONS[0])):
            stop = "while True:\n    pass" if kind == "endless" else "import os\nos._exit(1)"
            cells.append({"cell_type": "code", "metadata": {}, "source": stop, "outputs": [], "execution_count": None})
    notebook["cells"] = cells
    truth = {name: "passed" for name in expected}
    if kind == "wrong":
        truth.update({name: "failed" for name in WRONG if name in truth})
    if kind in ("forged", "deleted"):
        truth = {name: "not run" for name in expected}
    if kind == "crash" or (kind == "endless" and edition == EDITIONS[0]):
        truth = {name: ("passed" if name == expected[0] else "not run") for name in expected}
    return notebook, truth


def generate(folder: Path, kinds: list[str]) -> dict[str, dict[str, str]]:
    """Write the class (a learner per entry of `kinds`) into `folder`; {learner: {edition:exercise: status}}."""
    truth = {}
    for number, kind in enumerate(kinds):
        learner = f"learner{number:02d}_{kind}"
        (folder / learner).mkdir(parents=True)
        truth[learner] = {}
        for edition in EDITIONS:
            notebook, statuses = _submission(edition, kind)
            (folder / learner / f"{edition}.ipynb").write_text(json.dumps(notebook, indent=1))
            truth[learner].update({f"{edition}:{name}": status for name, status in statuses.items()})
    (folder / "zed_pdf.pdf").write_bytes(b"%PDF-1.4 not a notebook")
    truth["zed_pdf"] = {}
    return truth


def check(gradebook: Path, feedback: Path, truth: dict) -> tuple[int, int, list[str]]:
    """(verdicts right, verdicts in all, what was wrong) from the feedback files and gradebook."""
    right, total, wrong = 0, 0, []
    rows = {row["learner"]: row for row in csv.DictReader(gradebook.open())}
    for learner, statuses in truth.items():
        text = (feedback / f"{learner}.txt").read_text()
        for column, status in statuses.items():
            total += 1
            edition, name = column.split(":")
            section = text.split(f"{edition}:", 1)[1]
            found = next(line.split()[0:2] for line in section.splitlines() if f" {name} (" in line)
            got = "not run" if found == ["not", "run"] else found[0]
            if got == status and (rows[learner][column] != "0") == (status == "passed"):
                right += 1
            else:
                wrong.append(f"{learner} {column}: {got}, expected {status}")
    total += 1
    right += rows["zed_pdf"]["problems"] == "not a notebook: zed_pdf.pdf"
    return right, total, wrong


def _cpu() -> str:
    """The CPU model (Linux), else what platform knows."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        return next(line.split(":", 1)[1].strip() for line in lines if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=int, default=240)
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "results" / "grading.json"))
    parser.add_argument("--legs", default="2,1", help="the --jobs of each leg, in order (default: 2,1)")
    parser.add_argument("--sample", action="store_true", help="6 learners (12 notebooks) instead of 15 (30)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="tinylib-class-"))
    truth = generate(folder / "submissions", SAMPLE if args.sample else KINDS)
    result = {
        "what": __doc__.splitlines()[0],
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{_cpu()}, {os.cpu_count()} CPU cores (load averages: each leg's load_average_before/after)",
        "notebooks": 2 * (len(truth) - 1),
        "learners": len(truth),
        "timeout_s": args.timeout,
        "legs": {},
    }
    for jobs in map(int, args.legs.split(",")):
        out = folder / f"jobs{jobs}"
        command = [
            sys.executable,
            "-m",
            "tinylib",
            "course",
            "grade",
            str(folder / "submissions"),
            "--jobs",
            str(jobs),
            "--timeout",
            str(args.timeout),
            "--gradebook",
            str(out / "grades.csv"),
            "--feedback",
            str(out / "feedback"),
        ]
        load_before = os.getloadavg()
        start = time.monotonic()
        done = subprocess.run(command, capture_output=True, text=True)
        seconds = time.monotonic() - start
        right, total, wrong = check(out / "grades.csv", out / "feedback", truth)
        result["legs"][f"jobs {jobs}"] = {
            "command": "tinylib " + " ".join(command[3:]).replace(str(folder), "CLASS"),
            "exit": done.returncode,
            "wall_s": round(seconds, 1),
            "verdicts_right": f"{right} of {total}",
            "wrong": wrong,
            "load_average_before": [round(x, 1) for x in load_before],
            "load_average_after": [round(x, 1) for x in os.getloadavg()],
            "uptime_after": subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(),
        }
        legs = result["legs"]
        if {"jobs 1", "jobs 2"} <= set(legs):
            result["jobs1_over_jobs2"] = round(legs["jobs 1"]["wall_s"] / legs["jobs 2"]["wall_s"], 2)
        Path(args.output).write_text(json.dumps(result, indent=1) + "\n")
        print(json.dumps(result["legs"][f"jobs {jobs}"], indent=1), flush=True)


if __name__ == "__main__":
    main()
