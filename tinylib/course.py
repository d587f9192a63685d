"""Notebook housekeeping: the shared bootstrap cell, Colab badges, student editions.

The repository URL is defined once, in pyproject.toml ([project.urls] Repository); the
bootstrap cell and every "Open in Colab" badge are derived from it, and the tests check that
the committed notebooks agree (`check_notebook`). Notebooks in notebooks/ are the solution
editions; cells tagged "solution" become stubs in the student editions in exercises/
(`build_student_editions`, `tinylib course build`), so every exercise is written once.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib.metadata
import json
import os
import re
from pathlib import Path

BRANCH = "main"

BOOTSTRAP_TEMPLATE = """\
# tinylib bootstrap: the same first cell in every notebook (Colab, local, CI).
import subprocess
import sys

REPOSITORY = "{repository}"
if "google.colab" in sys.modules:  # Colab: install tinylib once, keep Colab's TensorFlow/numpy
    try:
        import tinylib
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", f"git+{{REPOSITORY}}"], check=True)
        import tinylib
    tinylib.runtime.install_missing_requirements()
try:
    import tinylib
except ImportError as error:
    raise ImportError("tinylib is not installed for this kernel: run `make lab` in the repository") from error
device = tinylib.runtime.report(print_report=False)["accelerator"]  # GPU, TPU or none
print(f"tinylib {{tinylib.__version__}} | profile: {{tinylib.runtime.profile().name}} | accelerator: {{device}}")"""


def repository_url() -> str:
    """The project's repository URL, from the installed package metadata (pyproject.toml)."""
    for entry in importlib.metadata.metadata("tinylib").get_all("Project-URL") or []:
        label, _, url = entry.partition(",")
        if label.strip().lower() == "repository":
            return url.strip().rstrip("/")
    raise LookupError("pyproject.toml has no [project.urls] Repository entry; reinstall with `pip install -e .`")


def bootstrap_source(repository: str | None = None) -> str:
    """The exact source of the first code cell of every notebook."""
    return BOOTSTRAP_TEMPLATE.format(repository=repository or repository_url())


def colab_url(notebook: str, repository: str | None = None) -> str:
    """Colab link for a notebook path relative to the repository root (e.g.
    "notebooks/00_start_here.ipynb")."""
    match = re.fullmatch(r"https://github\.com/([^/]+/[^/]+)", repository or repository_url())
    if not match:
        raise ValueError(f"Colab badges need a GitHub repository URL, got {repository or repository_url()!r}")
    return f"https://colab.research.google.com/github/{match.group(1)}/blob/{BRANCH}/{notebook}"


def colab_badge(notebook: str, repository: str | None = None) -> str:
    """Markdown for the "Open in Colab" badge of a notebook."""
    badge = "https://colab.research.google.com/assets/colab-badge.svg"
    return f"[![Open In Colab]({badge})]({colab_url(notebook, repository)})"


def check_notebook(path: str | os.PathLike, repository_root: str | os.PathLike) -> list[str]:
    """Problems with a committed notebook: stored outputs or execution counts, a first code
    cell that is not the bootstrap, a missing or wrong Colab badge. Empty when all is well."""
    path = Path(path)
    relative = path.resolve().relative_to(Path(repository_root).resolve()).as_posix()
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    code = [cell for cell in cells if cell["cell_type"] == "code"]
    problems = []
    if any(cell.get("outputs") or cell.get("execution_count") is not None for cell in code):
        problems.append(f"{relative}: has outputs or execution counts (run nbstripout)")
    if not code or "".join(code[0]["source"]) != bootstrap_source():
        problems.append(f"{relative}: first code cell is not the bootstrap cell (tinylib.course.bootstrap_source())")
    markdown = "".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown")
    if colab_badge(relative) not in markdown:
        problems.append(f"{relative}: no Colab badge for this path (tinylib.course.colab_badge({relative!r}))")
    return problems


# ----------------------------------------------------------------------------- student editions

STUDENT_FOLDER = "exercises"
STUB = "    # Your code here\n    raise NotImplementedError"


def student_source(source: str) -> str:
    """The student version of a solution cell: imports and each top-level function's
    signature and docstring stay, bodies become a stub; other code becomes a prompt."""
    tree = ast.parse(source)
    lines = source.splitlines()
    kept = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            kept.append(ast.get_source_segment(source, node))
        elif isinstance(node, ast.FunctionDef):
            first = node.body[0]
            has_docstring = isinstance(first, ast.Expr) and isinstance(getattr(first, "value", None), ast.Constant)
            end = first.end_lineno if has_docstring else first.lineno - 1
            kept.append("\n".join(lines[node.lineno - 1 : end]) + "\n" + STUB)
    if not any(isinstance(node, ast.FunctionDef) for node in tree.body):
        kept.append("# Your code here")
    return "\n\n\n".join(kept) if len(kept) > 1 else kept[0]


def student_edition(path: str | os.PathLike, repository_root: str | os.PathLike) -> dict:
    """A solution notebook with every cell tagged "solution" replaced by its stub, and its
    Colab badge pointing at the student edition's own path."""
    path = Path(path)
    notebook = json.loads(path.read_text(encoding="utf-8"))
    source_path = path.resolve().relative_to(Path(repository_root).resolve()).as_posix()
    target_path = f"{STUDENT_FOLDER}/{path.name}"
    for cell in notebook["cells"]:
        text = "".join(cell["source"])
        if "solution" in cell.get("metadata", {}).get("tags", []):
            text = student_source(text)
            cell["metadata"]["tags"] = ["exercise"]
        elif cell["cell_type"] == "markdown":
            text = text.replace(colab_badge(source_path), colab_badge(target_path))
        cell["source"] = text.splitlines(keepends=True)
    return notebook


def build_student_editions(repository_root: str | os.PathLike = ".", check: bool = False) -> list[Path]:
    """Write exercises/<name>.ipynb for every notebooks/*.ipynb that has solution cells.
    check=True writes nothing and returns the editions that are missing or out of date."""
    root = Path(repository_root)
    stale = []
    for source in sorted((root / "notebooks").glob("*.ipynb")):
        if '"solution"' not in source.read_text(encoding="utf-8"):
            continue
        target = root / STUDENT_FOLDER / source.name
        text = json.dumps(student_edition(source, root), indent=1, ensure_ascii=False) + "\n"
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            stale.append(target)
            if not check:
                target.parent.mkdir(exist_ok=True)
                target.write_text(text, encoding="utf-8")
    return stale


# ----------------------------------------------------------------------------- grading

CHECK_CALL = re.compile(r"^\s*(check_\w+)\(", re.MULTILINE)


@dataclasses.dataclass(frozen=True)
class Grade:
    """One exercise of a graded notebook: the checker, whether it passed, and its message
    (the learner's feedback line; for a cell that never ran, why)."""

    exercise: str
    passed: bool
    message: str


def grade(notebook: str | os.PathLike, timeout: int = 900, profile: str = "quick") -> list[Grade]:
    """Run a learner's notebook top to bottom in a fresh kernel (every cell, errors or not;
    the notebook file is not changed) with TINYLIB_PROFILE=`profile`, and return one Grade
    per check cell, in notebook order. `timeout`: seconds per cell."""
    import nbclient
    import nbformat

    path = Path(notebook)
    if not path.is_file():
        raise FileNotFoundError(f"no notebook at {path}")
    document = nbformat.read(path, as_version=4)
    environment = {**os.environ, "TINYLIB_PROFILE": profile}
    client = nbclient.NotebookClient(
        document,
        timeout=timeout,
        allow_errors=True,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute(env=environment)
    grades = []
    for cell in document.cells:
        if cell.cell_type != "code":
            continue
        for exercise in CHECK_CALL.findall(cell.source):
            grades.append(_grade_of(exercise, cell.get("outputs", [])))
    return grades


def _grade_of(exercise: str, outputs: list) -> Grade:
    errors = [output for output in outputs if output.get("output_type") == "error"]
    if errors:
        first_line = (errors[0].get("evalue") or "").strip().splitlines()
        return Grade(exercise, False, f"{errors[0].get('ename')}: {first_line[0] if first_line else ''}")
    text = "".join(output.get("text", "") for output in outputs if output.get("output_type") == "stream")
    passed = [line for line in text.splitlines() if line.startswith("✓")]
    if passed:
        return Grade(exercise, True, passed[0])
    return Grade(exercise, False, "the check cell printed no result (did it run?)")
