"""The first cell every notebook shares, and the Colab links derived from the one repository URL.

`bootstrap_source()` is the exact source of that cell; `colab_url` / `colab_badge` build the
"Open in Colab" links; `check_notebook` lists what is wrong with a committed notebook. The URL
is pyproject.toml's [project.urls] Repository; `tinylib course build --repo` rewrites it
(`tinylib.course.stamp`).
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
from pathlib import Path

BRANCH = "main"  # the branch badges name when the repository URL names none
# pyproject.toml's one line that says where the kit lives (read by `repository_url`, written by `stamp_pyproject`).
REPOSITORY_LINE = re.compile(r'^(Repository\s*=\s*")([^"]*)(")', re.M)
# https://github.com/OWNER/NAME, optionally /tree/REF (a branch or tag): the form of that line.
GITHUB_URL = re.compile(r"https://github\.com/([\w.-]+/[\w.-]+?)(?:\.git)?(?:/tree/([\w./-]+))?/?")
SPEC = re.compile(r"([\w.-]+/[\w.-]+)(?:@([\w./-]+))?")  # OWNER/NAME[@REF], as `course build --repo` takes it
SOURCE_PLACE = "<SOURCE>"

# Six lines, the same in every notebook. tinylib is not importable yet, so the cell itself knows
# the platform (the rule of `config.platform()`, kept in step by a test) and the install source:
# on Colab and Kaggle the kit is pip-installed from $TINYLIB_SOURCE (default: the repository)
# without its dependencies, so their own TensorFlow, Keras and numpy stay; a failed install, or the
# kit missing on a local machine, stops the cell with one line saying what to do. Then
# `doctor.setup_notebook` installs only what is missing and prints one line.
BOOTSTRAP_TEMPLATE = """\
import importlib, importlib.util, os, subprocess, sys  # noqa: E401, I001  tinylib bootstrap: the same first cell in every notebook
where = os.environ.get("TINYLIB_PLATFORM") or ("kaggle" if "KAGGLE_KERNEL_RUN_TYPE" in os.environ else "colab" if "COLAB_RELEASE_TAG" in os.environ else "local")  # noqa: E501
source, pip = os.environ.get("TINYLIB_SOURCE") or "<SOURCE>", None  # noqa: E501  a git URL, a wheel file or a package name
if where != "local" and not importlib.util.find_spec("tinylib"): pip = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", source], capture_output=True, text=True)  # noqa: E501, E701  never TensorFlow, Keras, numpy
if importlib.invalidate_caches() or not importlib.util.find_spec("tinylib"): raise SystemExit(f"tinylib: `pip install --no-deps {source}` failed ({(pip.stderr.strip().splitlines() or ['no output'])[-1]}). Ways out: make the repository public, or upload the wheel (`make wheel`) and set os.environ['TINYLIB_SOURCE'] = 'PATH/TO/THE.whl' above (Kaggle: turn Internet on); then run this cell again." if pip else f"tinylib is not installed for {sys.executable}: run `make lab` in the repository, or `pip install -e .` in this environment (README, Quick start).")  # noqa: E501, E701
import tinylib; tinylib.doctor.setup_notebook();  # noqa: E402, E702, I001  installs only what is missing; prints one line"""  # noqa: E501


def _pyproject(root: str | os.PathLike | None = None) -> Path | None:
    """The kit's pyproject.toml: under `root`, else in the checkout holding this package (None
    when tinylib was installed without one, e.g. on Colab)."""
    path = Path(root) / "pyproject.toml" if root is not None else Path(__file__).resolve().parents[2] / "pyproject.toml"
    return path if path.is_file() and REPOSITORY_LINE.search(path.read_text(encoding="utf-8")) else None


def repository_url(root: str | os.PathLike | None = None) -> str:
    """The kit's repository URL (str, no trailing slash): pyproject.toml's [project.urls]
    Repository, read from the checkout (`root`, default the one holding this package) or, when
    there is none, from the installed package metadata. E.g. "https://github.com/OWNER/NAME",
    or ".../tree/REF" for a branch or tag.

    Raises LookupError when neither has such an entry (an old or broken install).
    """
    from tinylib.doctor import DISTRIBUTION

    path = _pyproject(root)
    if path is not None:
        return REPOSITORY_LINE.search(path.read_text(encoding="utf-8")).group(2).rstrip("/")
    for entry in importlib.metadata.metadata(DISTRIBUTION).get_all("Project-URL") or []:
        label, _, url = entry.partition(",")
        if label.strip().lower() == "repository":
            return url.strip().rstrip("/")
    raise LookupError("pyproject.toml has no [project.urls] Repository entry; reinstall with `pip install -e .`")


def parse_repository(url: str | None = None) -> tuple[str, str | None]:
    """("OWNER/NAME", REF or None) of a repository URL (default `repository_url()`).

    Raises ValueError when it is not https://github.com/OWNER/NAME[/tree/REF]."""
    url = url or repository_url()
    match = GITHUB_URL.fullmatch(url)
    if not match:
        raise ValueError(f"the kit's repository must be https://github.com/OWNER/NAME[/tree/REF], got {url!r}")
    return match.group(1), match.group(2)


def url_from_spec(spec: str) -> str:
    """The repository URL (str) for `course build --repo OWNER/NAME[@REF]`.

    Raises ValueError, saying the expected form, for anything else."""
    match = SPEC.fullmatch(spec.strip())
    if not match:
        raise ValueError(f"--repo {spec!r}: use OWNER/NAME or OWNER/NAME@REF (a branch or tag), e.g. acme/ml-class")
    return f"https://github.com/{match.group(1)}" + (f"/tree/{match.group(2)}" if match.group(2) else "")


def install_source(repository: str | None = None) -> str:
    """The pip requirement (str) that installs the kit from a repository URL (default
    `repository_url()`): git+https://github.com/OWNER/NAME[@REF]. Raises ValueError as
    `parse_repository` does."""
    slug, ref = parse_repository(repository)
    return f"git+https://github.com/{slug}" + (f"@{ref}" if ref else "")


def bootstrap_source(repository: str | None = None) -> str:
    """The exact source (str) of the first code cell of every notebook; `repository`
    defaults to `repository_url()`."""
    return BOOTSTRAP_TEMPLATE.replace(SOURCE_PLACE, install_source(repository))


def colab_url(notebook: str, repository: str | None = None) -> str:
    """Colab link (str) for a notebook path relative to the repository root (e.g.
    "notebooks/00_start_here.ipynb"), on the repository URL's REF, else on `BRANCH`.

    Raises ValueError when the repository URL is not https://github.com/OWNER/NAME[/tree/REF].
    """
    slug, ref = parse_repository(repository)
    return f"https://colab.research.google.com/github/{slug}/blob/{ref or BRANCH}/{notebook}"


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
    repository = repository_url(repository_root)
    if not code or "".join(code[0]["source"]) != bootstrap_source(repository):
        problems.append(f"{relative}: first code cell is not the bootstrap cell (tinylib.course.bootstrap_source())")
    markdown = "".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown")
    if colab_badge(relative, repository) not in markdown:
        problems.append(f"{relative}: no Colab badge for this path (tinylib.course.colab_badge({relative!r}))")
    return problems
