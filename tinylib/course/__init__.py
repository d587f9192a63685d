"""Teacher's tools: the shared bootstrap cell and Colab badges, student editions, grading.

The repository URL is defined once, in pyproject.toml ([project.urls] Repository); the
bootstrap cell and every "Open in Colab" badge are derived from it, and the tests check that
the committed notebooks agree (`check_notebook`, in `bootstrap`). Notebooks in notebooks/ are
the solution editions; cells tagged "solution" become stubs in the student editions in
exercises/ (`build_student_editions`, in `editions`; `tinylib course build`, which first stamps
the repository into notebooks and docs: `stamp_repository`, in `stamp`), so every exercise
is written once, and cells tagged "assert" are folded away there. `grade` (in `grading`) runs a
copy of a learner's notebook and grades each expected exercise from the checkers' signed
records; `classroom` grades a folder of submissions in parallel and `gradebook` writes the CSV
gradebook and the feedback files.
Learners import `tinylib.checks`, never this package.
"""

from tinylib.course.bootstrap import (
    BOOTSTRAP_TEMPLATE,
    BRANCH,
    bootstrap_source,
    check_notebook,
    colab_badge,
    colab_url,
    install_source,
    parse_repository,
    repository_url,
    url_from_spec,
)
from tinylib.course.editions import (
    STUB,
    STUDENT_FOLDER,
    assert_only,
    build_student_editions,
    expected_exercises,
    student_edition,
    student_source,
)
from tinylib.course.grading import NOTEBOOK, Grade, grade
from tinylib.course.stamp import foreign_repositories, stamp_repository, stamp_text

__all__ = [
    "foreign_repositories",
    "install_source",
    "parse_repository",
    "stamp_repository",
    "stamp_text",
    "url_from_spec",
    "BOOTSTRAP_TEMPLATE",
    "BRANCH",
    "NOTEBOOK",
    "STUB",
    "STUDENT_FOLDER",
    "Grade",
    "assert_only",
    "bootstrap_source",
    "build_student_editions",
    "check_notebook",
    "colab_badge",
    "colab_url",
    "expected_exercises",
    "grade",
    "repository_url",
    "student_edition",
    "student_source",
]
