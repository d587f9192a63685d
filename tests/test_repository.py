"""The kit's home is one setting (pyproject's Repository): every notebook, student edition and doc
names only it, and `tinylib course build --repo OWNER/NAME[@REF]` stamps a class's fork everywhere."""

import shutil
from pathlib import Path

import pytest

from tinylib import course
from tinylib.cli import main

ROOT = Path(__file__).resolve().parents[1]
STAMPED = sorted(
    [*ROOT.glob("notebooks/*.ipynb"), *ROOT.glob("exercises/*.ipynb"), ROOT / "README.md", *ROOT.glob("docs/*.md")]
)


@pytest.mark.parametrize("path", STAMPED, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_notebooks_and_docs_name_only_the_kits_repository(path):
    assert course.foreign_repositories(path.read_text(encoding="utf-8")) == [], "run `tinylib course build`"


def test_foreign_repositories_finds_badges_install_lines_and_links():
    text = (
        "[![b](x)](https://colab.research.google.com/github/someone/else/blob/main/notebooks/00.ipynb) "
        "`pip install git+https://github.com/other/kit@v2` see https://github.com/third/repo/issues/1 "
        "and https://github.com/tinylib-kit/tinylib, versions from https://github.com/googlecolab/backend-info"
    )
    assert course.foreign_repositories(text) == ["someone/else", "other/kit", "other/kit", "third/repo"]


def test_stamp_text_rewrites_badges_install_lines_and_links_to_the_previous_home():
    text = (
        "https://colab.research.google.com/github/tinylib-kit/tinylib/blob/main/notebooks/01.ipynb\n"
        "pip install git+https://github.com/tinylib-kit/tinylib\n"
        "https://github.com/tinylib-kit/tinylib/issues and https://github.com/googlecolab/backend-info\n"
    )
    fork = "https://github.com/acme/ml-class/tree/fall-2026"
    assert course.stamp_text(text, fork, "https://github.com/tinylib-kit/tinylib") == (
        "https://colab.research.google.com/github/acme/ml-class/blob/fall-2026/notebooks/01.ipynb\n"
        "pip install git+https://github.com/acme/ml-class@fall-2026\n"
        "https://github.com/acme/ml-class/issues and https://github.com/googlecolab/backend-info\n"
    )


@pytest.mark.parametrize("spec", ["acme", "acme/ml class", "https://gitlab.com/acme/ml", "acme/ml@"])
def test_a_malformed_repo_is_refused_with_the_form_to_use(spec):
    with pytest.raises(ValueError, match=r"use OWNER/NAME or OWNER/NAME@REF"):
        course.url_from_spec(spec)


def test_course_build_repo_stamps_a_fork_into_every_notebook_edition_and_doc(tmp_path, capsys):
    for name in ("notebooks", "exercises", "docs"):
        shutil.copytree(ROOT / name, tmp_path / name)
    for name in ("README.md", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    assert main(["course", "build", "--root", str(tmp_path), "--repo", "acme/ml-class@fall"]) == 0
    fork = "https://github.com/acme/ml-class/tree/fall"
    assert course.repository_url(tmp_path) == fork
    assert 'Repository = "https://github.com/acme/ml-class/tree/fall"' in (tmp_path / "pyproject.toml").read_text()
    for path in [*tmp_path.glob("*/*.ipynb"), tmp_path / "README.md", *tmp_path.glob("docs/*.md")]:
        text = path.read_text(encoding="utf-8")
        assert course.foreign_repositories(text, fork) == [], path
        assert "tinylib-kit" not in text, path
    for notebook in tmp_path.glob("notebooks/*.ipynb"):
        assert course.check_notebook(notebook, tmp_path) == []
        assert "git+https://github.com/acme/ml-class@fall" in notebook.read_text(encoding="utf-8")
    assert "colab.research.google.com/github/acme/ml-class/blob/fall/" in (tmp_path / "README.md").read_text()
    capsys.readouterr()
    assert main(["course", "build", "--root", str(tmp_path), "--check"]) == 0  # the fork stays stamped
    assert "up to date" in capsys.readouterr().out


def test_course_build_with_a_malformed_repo_exits_2_with_one_line_and_writes_nothing(tmp_path, capsys):
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    before = (tmp_path / "pyproject.toml").read_bytes()
    assert main(["course", "build", "--root", str(tmp_path), "--repo", "acme"]) == 2
    assert capsys.readouterr().err.strip() == (
        "tinylib: error: --repo 'acme': use OWNER/NAME or OWNER/NAME@REF (a branch or tag), e.g. acme/ml-class"
    )
    assert (tmp_path / "pyproject.toml").read_bytes() == before
