"""The first cell every notebook shares, and the Colab links derived from the one repository URL.

`bootstrap_source()` is the exact source of that cell; `colab_url` / `colab_badge` build the
"Open in Colab" links; `check_notebook` lists what is wrong with a committed notebook.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
from pathlib import Path

BRANCH = "main"

# Four lines: Colab and Kaggle (they have /content or /kaggle) get tinylib from the repository
# without its dependencies, so their own TensorFlow, Keras and numpy stay; `doctor.setup_notebook`
# does the rest (installs only what is missing there, never TF/Keras/numpy; says what to do
# elsewhere; reports the platform, profile and accelerator with hints).
BOOTSTRAP_TEMPLATE = """\
import importlib.util, os, sys  # noqa: E401, I001  tinylib bootstrap: the same first cell in every notebook
if not importlib.util.find_spec("tinylib") and (os.path.isdir("/content") or os.path.isdir("/kaggle")):  # Colab, Kaggle
    os.system(f"{{sys.executable}} -m pip install -q --no-deps git+{repository}")
(tinylib := importlib.import_module("tinylib")).doctor.setup_notebook()  # installs what is missing; reports"""


def repository_url() -> str:
    """The project's repository URL (str, no trailing slash), from the installed package
    metadata, i.e. pyproject.toml's [project.urls] Repository.

    Raises LookupError when the metadata has no such entry (an old or broken install).
    """
    from tinylib.doctor import DISTRIBUTION

    for entry in importlib.metadata.metadata(DISTRIBUTION).get_all("Project-URL") or []:
        label, _, url = entry.partition(",")
        if label.strip().lower() == "repository":
            return url.strip().rstrip("/")
    raise LookupError("pyproject.toml has no [project.urls] Repository entry; reinstall with `pip install -e .`")


def bootstrap_source(repository: str | None = None) -> str:
    """The exact source (str) of the first code cell of every notebook; `repository`
    defaults to `repository_url()`."""
    return BOOTSTRAP_TEMPLATE.format(repository=repository or repository_url())


def colab_url(notebook: str, repository: str | None = None) -> str:
    """Colab link (str) for a notebook path relative to the repository root (e.g.
    "notebooks/00_start_here.ipynb"), on branch `BRANCH`.

    Raises ValueError when the repository URL is not https://github.com/OWNER/NAME.
    """
    match = re.fullmatch(r"https://github\.com/([^/]+/[^/]+)", repository or repository_url())
    if not match:
        raise ValueError(f"Colab badges need a GitHub repository URL, got {repository or repository_url()!r}")
    return f"https://colab.research.google.com/github/{match.group(1)}/blob/{BRANCH}/{notebook}"


def colab_badge(notebook: str, repository: str | None = None) -> str:
    """Markdown (str) for the "Open in Colab" badge of a notebook path relative to the
    repository root. Raises ValueError as `colab_url` does."""
    badge = "https://colab.research.google.com/assets/colab-badge.svg"
    return f"[![Open In Colab]({badge})]({colab_url(notebook, repository)})"


def check_notebook(path: str | os.PathLike, repository_root: str | os.PathLike) -> list[str]:
    """Problems with a committed notebook, one str each: stored outputs or execution counts,
    a first code cell that is not the bootstrap, a missing or wrong Colab badge. Empty when
    all is well.

    Raises ValueError when `path` is not inside `repository_root` or is not valid JSON.
    """
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
