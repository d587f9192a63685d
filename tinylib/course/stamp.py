"""One repository named everywhere: `tinylib course build [--repo OWNER/NAME[@REF]]` writes it into
pyproject.toml and stamps it into every Colab badge and install line, so a class can run its fork.

The kit's home is pyproject.toml's [project.urls] Repository (`bootstrap.repository_url`). Stamping
rewrites, in notebooks/*.ipynb, README.md and docs/*.md, every Colab link
(colab.research.google.com/github/OWNER/NAME/blob/REF/...), every `git+https://github.com/...`
install source and every plain link to the previous repository, and every notebook's bootstrap
cell. The student editions (exercises/) are then rebuilt from the notebooks (`editions`).
`foreign_repositories` finds what still names another repository (the tests run it).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from tinylib import files
from tinylib.course.bootstrap import (
    BRANCH,
    REPOSITORY_LINE,
    bootstrap_source,
    install_source,
    parse_repository,
    repository_url,
)

COLAB_LINK = re.compile(r"colab\.research\.google\.com/github/([\w.-]+/[\w.-]+)/blob/([\w.-]+)/")
GIT_SOURCE = re.compile(r"git\+https://github\.com/([\w.-]+/[\w.-]+?)(?:\.git)?(?:@([\w./-]+))?(?=[\s\"'`)#\\]|$)")
GITHUB_LINK = re.compile(r"(?<![\w+])github\.com/([\w.-]+/[\w.-]*\w)")
# Other repositories the docs cite as sources (not the kit's home): allowed by `foreign_repositories`.
CITED = frozenset({"googlecolab/backend-info"})
STAMPED = ("notebooks/*.ipynb", "README.md", "docs/*.md")


def stamp_text(text: str, repository: str, previous: str | None = None) -> str:
    """`text` with every Colab link and git+ install source naming `repository` (a URL of the
    form https://github.com/OWNER/NAME[/tree/REF]), and every plain link to the `previous`
    repository URL (if given) pointing at the new one. Raises ValueError for another URL form."""
    slug, ref = parse_repository(repository)
    text = COLAB_LINK.sub(f"colab.research.google.com/github/{slug}/blob/{ref or BRANCH}/", text)
    text = GIT_SOURCE.sub(install_source(repository), text)
    if previous:
        old = parse_repository(previous)[0]
        text = re.sub(rf"(?<![\w+])github\.com/{re.escape(old)}(?![\w.-])", f"github.com/{slug}", text)
    return text


def _stamp_notebook(text: str, repository: str, previous: str | None) -> str:
    notebook = json.loads(text)
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    for cell in notebook["cells"]:
        if cell is (code[0] if code else None):
            cell["source"] = bootstrap_source(repository).splitlines(keepends=True)
        else:
            cell["source"] = stamp_text("".join(cell["source"]), repository, previous).splitlines(keepends=True)
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def stamp_pyproject(root: str | os.PathLike, repository: str) -> bool:
    """Write `repository` as pyproject.toml's [project.urls] Repository under `root` (only that
    line changes). Returns True when the file changed. Raises FileNotFoundError when `root` has
    no pyproject.toml with such a line."""
    path = Path(root) / "pyproject.toml"
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    if not REPOSITORY_LINE.search(text):
        raise FileNotFoundError(f"{path}: no [project.urls] Repository line to write the repository into")
    new = REPOSITORY_LINE.sub(lambda match: match.group(1) + repository + match.group(3), text, count=1)
    if new != text:
        files.write_atomically(path, new)
    return new != text


def stamp_repository(root: str | os.PathLike = ".", repository: str | None = None, check: bool = False) -> list[Path]:
    """Name `repository` (default: pyproject's, `repository_url(root)`) in pyproject.toml and in
    every file of `STAMPED` under `root`; return the files changed (check=True: that would
    change; nothing is written). Raises ValueError for a URL not of the form
    https://github.com/OWNER/NAME[/tree/REF], FileNotFoundError as `stamp_pyproject`."""
    root = Path(root)
    previous = repository_url(root)
    repository = repository or previous
    parse_repository(repository)  # the form is checked before anything is written
    changed = [root / "pyproject.toml"] if repository != previous else []
    if changed and not check:
        stamp_pyproject(root, repository)
    for path in sorted(p for pattern in STAMPED for p in root.glob(pattern)):
        text = path.read_text(encoding="utf-8")
        stamp = _stamp_notebook if path.suffix == ".ipynb" else stamp_text
        new = stamp(text, repository, previous)
        if new != text:
            changed.append(path)
            if not check:
                files.write_atomically(path, new)
    return changed


def foreign_repositories(text: str, repository: str | None = None) -> list[str]:
    """Every repository `text` names that is neither the kit's (default `repository_url()`) nor
    cited as a source (`CITED`): "OWNER/NAME" per Colab link, git+ source or github.com link,
    in order, with repeats. Empty when the text names only the kit's repository."""
    slug = parse_repository(repository)[0]
    found = [m.group(1) for pattern in (COLAB_LINK, GIT_SOURCE, GITHUB_LINK) for m in pattern.finditer(text)]
    return [name for name in found if name.removesuffix(".git") != slug and name not in CITED]
