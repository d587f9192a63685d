"""Student editions: every exercise is written once, with its solution, and its stub derived here.

Notebooks in notebooks/ are the solution editions. Cells tagged "solution" become stubs in the
student editions in exercises/ (`build_student_editions`, `tinylib course build`): imports and
each function's signature and docstring stay, the body becomes `STUB`. Cells tagged "assert"
(only `assert` statements: the expected results, see `assert_only`) are kept in both editions,
so nbval and grading still run them, but folded away in the student edition: their source is
hidden (`metadata.jupyter.source_hidden`, which JupyterLab and VS Code honour; Colab shows them).
"""

from __future__ import annotations

import ast
import json
import os
from pathlib import Path

from tinylib.course.bootstrap import colab_badge, repository_url

STUDENT_FOLDER = "exercises"
STUB = "    # Your code here\n    raise NotImplementedError"


def student_source(source: str) -> str:
    """The student version (str) of a solution cell's Python `source`: imports and each
    top-level function's signature and docstring stay, bodies become `STUB`; a cell with no
    function becomes the prompt "# Your code here".

    Raises SyntaxError when `source` is not valid Python.
    """
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


def assert_only(source: str) -> bool:
    """Whether a code cell's Python `source` holds nothing but `assert` statements (and comments):
    a cell to tag "assert". False for an empty cell or one that is not valid Python."""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return False
    return bool(body) and all(isinstance(node, ast.Assert) for node in body)


def student_edition(path: str | os.PathLike, repository_root: str | os.PathLike) -> dict:
    """The student edition of the solution notebook at `path`, as a notebook JSON dict: every
    cell tagged "solution" replaced by its stub (and tagged "exercise"), the Colab badge
    pointing at the edition's own path (exercises/<name>.ipynb), every cell tagged "assert"
    folded (its source hidden).

    Raises ValueError when `path` is not inside `repository_root` or is not valid JSON,
    SyntaxError when a solution cell is not valid Python.
    """
    path = Path(path)
    notebook = json.loads(path.read_text(encoding="utf-8"))
    source_path = path.resolve().relative_to(Path(repository_root).resolve()).as_posix()
    target_path = f"{STUDENT_FOLDER}/{path.name}"
    repository = repository_url(repository_root)
    for cell in notebook["cells"]:
        text = "".join(cell["source"])
        if "solution" in cell.get("metadata", {}).get("tags", []):
            text = student_source(text)
            cell["metadata"]["tags"] = ["exercise"]
        elif "assert" in cell.get("metadata", {}).get("tags", []):
            cell["metadata"]["jupyter"] = {"source_hidden": True}
        elif cell["cell_type"] == "markdown":
            text = text.replace(colab_badge(source_path, repository), colab_badge(target_path, repository))
        cell["source"] = text.splitlines(keepends=True)
    return notebook


def build_student_editions(repository_root: str | os.PathLike = ".", check: bool = False) -> list[Path]:
    """Write exercises/<name>.ipynb for every notebooks/*.ipynb that has solution cells, and
    return the paths written. check=True writes nothing and returns the editions that are
    missing or out of date (the same bytes are written every time: the build is deterministic).

    Raises the errors of `student_edition`.
    """
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
