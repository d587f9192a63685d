"""Student editions: every exercise is written once, with its solution, and its stub derived here.

Notebooks in notebooks/ are the solution editions. Cells tagged "solution" become stubs in the
student editions in exercises/ (`build_student_editions`, `tinylib course build`): imports and
each function's signature and docstring stay, the body becomes `STUB`. Cells tagged "assert"
(only `assert` statements: the expected results, see `assert_only`) are kept in both editions,
so nbval and grading still run them, but folded away in the student edition: their source is
hidden (`metadata.jupyter.source_hidden`, which JupyterLab and VS Code honour; Colab shows them).
Each stub says how to get a hint and (unless built with solutions=False, for a private class
repository) where the solution is; the edition's metadata lists its expected exercises and
their points (`EXPECTED`, read by `tinylib course grade`): every check cell of the solution
edition, worth the `points` in its cell metadata `tinylib` (default 1).
"""

from __future__ import annotations

import ast
import json
import os
import re
from pathlib import Path

from tinylib.course.bootstrap import colab_badge, repository_url

STUDENT_FOLDER = "exercises"
STUB = "    # Your code here\n    raise NotImplementedError"
CHECK_CALL = re.compile(r"^\s*(check_\w+)\(", re.MULTILINE)  # a check cell's call of a checker
EXPECTED = "tinylib"  # notebook metadata key: {"edition": name, "exercises": [{"exercise", "points"}]}


def stub_note(exercise: str, solution: str | None) -> str:
    """The comment line a stub adds for checker `exercise`: how to get a hint and, unless
    `solution` is None, the path of the solution edition."""
    where = f" -- the solution: {solution}" if solution else ""
    return f'# Stuck? from tinylib.checks import hint; hint("{exercise}"){where}'


def student_source(source: str, note: str = "") -> str:
    """The student version (str) of a solution cell's Python `source`: imports and each
    top-level function's signature and docstring stay, bodies become `STUB` (with the comment
    line `note` above its raise, where given); a cell with no function becomes the prompt
    "# Your code here".

    Raises SyntaxError when `source` is not valid Python.
    """
    tree = ast.parse(source)
    lines = source.splitlines()
    kept = []
    stub = STUB.replace("\n", f"\n    {note}\n") if note else STUB
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            kept.append(ast.get_source_segment(source, node))
        elif isinstance(node, ast.FunctionDef):
            first = node.body[0]
            has_docstring = isinstance(first, ast.Expr) and isinstance(getattr(first, "value", None), ast.Constant)
            end = first.end_lineno if has_docstring else first.lineno - 1
            kept.append("\n".join(lines[node.lineno - 1 : end]) + "\n" + stub)
    if not any(isinstance(node, ast.FunctionDef) for node in tree.body):
        kept.append("# Your code here")
    return "\n\n\n".join(kept) if len(kept) > 1 else kept[0]


def assert_only(source: str) -> bool:
    """Whether a code cell's Python `source` holds nothing but `assert` statements (and comments):
    a cell to tag "assert". False for an empty cell or one that is not valid Python."""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return False
    return bool(body) and all(isinstance(node, ast.Assert) for node in body)


def expected_exercises(cells: list[dict]) -> list[dict]:
    """[{"exercise": checker name, "points": number}] for every checker called by a code cell of
    a notebook's `cells` (JSON dicts), in order; points from the cell's metadata `tinylib`
    {"points": n}, default 1."""
    found = []
    for cell in cells:
        if cell["cell_type"] == "code":
            points = cell.get("metadata", {}).get(EXPECTED, {}).get("points", 1)
            found += [{"exercise": name, "points": points} for name in CHECK_CALL.findall("".join(cell["source"]))]
    return found


def _next_checker(cells: list[dict], index: int) -> str | None:
    """The checker called by the first code cell after `index` that calls one, or None."""
    for cell in cells[index + 1 :]:
        names = CHECK_CALL.findall("".join(cell["source"])) if cell["cell_type"] == "code" else []
        if names:
            return names[0]
    return None


def student_edition(path: str | os.PathLike, repository_root: str | os.PathLike, solutions: bool = True) -> dict:
    """The student edition of the solution notebook at `path`, as a notebook JSON dict: every
    cell tagged "solution" replaced by its stub (and tagged "exercise"; its note names the hint
    and, with `solutions`, the solution edition's path), the Colab badge pointing at the
    edition's own path (exercises/<name>.ipynb), every cell tagged "assert" folded (its source
    hidden), and metadata `EXPECTED`: the edition's name and its expected exercises.

    Raises ValueError when `path` is not inside `repository_root` or is not valid JSON,
    SyntaxError when a solution cell is not valid Python.
    """
    path = Path(path)
    notebook = json.loads(path.read_text(encoding="utf-8"))
    source_path = path.resolve().relative_to(Path(repository_root).resolve()).as_posix()
    target_path = f"{STUDENT_FOLDER}/{path.name}"
    repository = repository_url(repository_root)
    cells = notebook["cells"]
    notebook["metadata"][EXPECTED] = {"edition": path.stem, "exercises": expected_exercises(cells)}
    for index, cell in enumerate(cells):
        text = "".join(cell["source"])
        if "solution" in cell.get("metadata", {}).get("tags", []):
            checker = _next_checker(cells, index)
            note = stub_note(checker, source_path if solutions else None) if checker else ""
            text = student_source(text, note)
            cell["metadata"]["tags"] = ["exercise"]
        elif "assert" in cell.get("metadata", {}).get("tags", []):
            cell["metadata"]["jupyter"] = {"source_hidden": True}
        elif cell["cell_type"] == "markdown":
            text = text.replace(colab_badge(source_path, repository), colab_badge(target_path, repository))
        cell["source"] = text.splitlines(keepends=True)
    return notebook


def build_student_editions(
    repository_root: str | os.PathLike = ".",
    check: bool = False,
    output: str | os.PathLike | None = None,
    solutions: bool = True,
) -> list[Path]:
    """Write exercises/<name>.ipynb (or `output`/<name>.ipynb) for every notebooks/*.ipynb that
    has solution cells, and return the paths written. check=True writes nothing and returns
    the editions that are missing or out of date (the same bytes are written every time: the
    build is deterministic). solutions=False: the stubs do not point at the solution editions
    (for a private class repository that does not publish them).

    Raises the errors of `student_edition`.
    """
    from tinylib.files import write_atomically

    root = Path(repository_root)
    folder = Path(output) if output is not None else root / STUDENT_FOLDER
    stale = []
    for source in sorted((root / "notebooks").glob("*.ipynb")):
        if '"solution"' not in source.read_text(encoding="utf-8"):
            continue
        target = folder / source.name
        edition = student_edition(source, root, solutions=solutions)
        text = json.dumps(edition, indent=1, ensure_ascii=False) + "\n"
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            stale.append(target)
            if not check:
                target.parent.mkdir(parents=True, exist_ok=True)
                write_atomically(target, text)
    return stale
