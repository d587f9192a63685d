"""House rules: one dependency list, notebooks without outputs and with the shared
bootstrap cell, the README's test command in CI, module sizes and import layers."""

import ast
import re
from pathlib import Path

import pytest
import tomllib
import yaml

from tinylib import course

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
# Layers import only downward (docs/architecture.md); course and cli sit on top.
LAYERS = (
    "files config backends data models inference workdir train doctor export predict analysis experiments plots "
    "widgets report checks demo course cli"
).split()


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _names(requirements) -> set[str]:
    return {r.split(";")[0].split("[")[0].split(">")[0].split("=")[0].split("<")[0].strip() for r in requirements}


def _floor(requirements, name: str) -> tuple[int, ...]:
    for requirement in requirements:
        if requirement.split(">=")[0].strip() == name:
            return tuple(int(part) for part in requirement.split(">=")[1].split(";")[0].strip().split("."))
    raise AssertionError(f"no floor for {name}")


def _pins(path: Path) -> dict[str, str]:
    lines = [line.split("#")[0].strip() for line in path.read_text().splitlines()]
    return {re.sub(r"[-_.]+", "-", line.split("==")[0]).lower(): line.split("==")[1] for line in lines if "==" in line}


def test_one_dependency_list():
    project = _pyproject()["project"]
    assert project["name"] == "tinylib-resnet-kit"  # "tinylib" on PyPI is an unrelated project
    core, extras = project["dependencies"], project["optional-dependencies"]
    assert {"tensorflow", "keras", "numpy", "pillow", "matplotlib", "ipywidgets", "tqdm"} <= _names(core)
    assert not {"jupyterlab", "scikit-learn", "scipy"} & _names(core), "JupyterLab: the lab extra; metrics: numpy"
    assert not any("==" in dependency for dependency in core), "no exact pins: they break Colab"
    assert set(extras) == {"lab", "onnx", "gpu", "dev", "jax", "torch"}
    assert _names(extras["lab"]) == {"jupyterlab", "nbconvert"}
    assert extras["gpu"] and all("tensorflow[and-cuda]" in r and "sys_platform == 'linux'" in r for r in extras["gpu"])
    assert {"pytest", "nbval", "ruff", "nbstripout"} <= _names(extras["dev"])


def test_python_range_is_where_tensorflow_ships_final_wheels():
    assert _pyproject()["project"]["requires-python"] == ">=3.10,<3.14"
    makefile = (ROOT / "Makefile").read_text()
    assert "(3, 10) <= v < (3, 14)" in makefile and "PYTHON=python3.11" in makefile


def test_floors_are_versions_a_ci_leg_tests():
    """No floor below the Colab leg's versions (constraints/colab.txt) for what that leg pins."""
    core = _pyproject()["project"]["dependencies"]
    colab = _pins(ROOT / "constraints" / "colab.txt")
    assert set(colab) == {"tensorflow", "keras", "numpy", "ipywidgets", "matplotlib", "pillow", "tensorboard"}
    for name, pinned in colab.items():
        floor = _floor(core, name)
        tested = tuple(int(part) for part in pinned.split("."))
        assert floor <= tested, f"{name} floor {floor} above Colab's {pinned}"
        assert floor >= tested[: len(floor)], f"{name}: floor {floor} below the tested {pinned}"


def test_ci_constraints_cover_the_main_leg():
    """constraints/ci.txt pins every core and dev requirement (so CI and learners resolve alike)
    and never the project itself; the Makefile installs with it."""
    pins = _pins(ROOT / "constraints" / "ci.txt")
    extras = _pyproject()["project"]["optional-dependencies"]
    wanted = _names(_pyproject()["project"]["dependencies"] + extras["dev"] + extras["onnx"]) - {"tinylib-resnet-kit"}
    assert wanted <= set(pins), f"not pinned in constraints/ci.txt: {sorted(wanted - set(pins))}"
    assert not {"tinylib", "tinylib-resnet-kit", "tinylib_resnet_kit"} & set(pins)
    assert "-c constraints/ci.txt" in (ROOT / "Makefile").read_text()


def test_environment_yml_repeats_no_package_list():
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert environment["channels"] == ["conda-forge"]
    conda = [d for d in environment["dependencies"] if isinstance(d, str)]
    pip = [d for d in environment["dependencies"] if isinstance(d, dict)]
    assert sorted(conda) == ["pip", "python=3.11"]  # one Python: the CI's, which constraints/ci.txt is for
    assert pip == [{"pip": ["-c constraints/ci.txt", "-e .[dev,lab]"]}]


def test_repository_url_is_defined_once_in_pyproject():
    assert course.repository_url() == _pyproject()["project"]["urls"]["Repository"]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_clean_and_bootstrapped(notebook):
    assert course.check_notebook(notebook, ROOT) == []


def test_notebooks_exist():
    assert [p.name for p in NOTEBOOKS][:1] == ["00_start_here.ipynb"]


def test_check_notebook_catches_outputs_and_a_wrong_badge(tmp_path):
    import json

    folder = tmp_path / "notebooks"
    folder.mkdir()
    notebook = json.loads(NOTEBOOKS[0].read_text())
    notebook["cells"][1]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["hi"]}]
    copy = folder / "renamed.ipynb"
    copy.write_text(json.dumps(notebook))
    problems = course.check_notebook(copy, tmp_path)
    assert any("outputs" in problem for problem in problems)
    assert any("Colab badge" in problem for problem in problems)


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / "README.md").read_text()
    commands = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert "make test" in commands


def _tinylib_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tinylib"):
            parts = node.module.split(".")
            found |= {parts[1]} if len(parts) > 1 else {alias.name for alias in node.names if alias.name in LAYERS}
        elif isinstance(node, ast.Import):
            found |= {alias.name.split(".")[1] for alias in node.names if alias.name.startswith("tinylib.")}
    return found


@pytest.mark.parametrize(
    "module", sorted((ROOT / "tinylib").rglob("*.py")), ids=lambda p: p.relative_to(ROOT).as_posix()
)
def test_module_size_and_layers(module):
    assert len(module.read_text().splitlines()) <= 300, "split modules over 300 lines"
    relative = module.relative_to(ROOT / "tinylib").parts
    own = relative[0].removesuffix(".py")
    if own in ("__init__", "__main__"):
        return
    for imported in _tinylib_imports(module) - {own}:
        assert LAYERS.index(imported) < LAYERS.index(own), f"{own} must not import {imported} (layers import downward)"


def _module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: Path) -> dict[str, set[str]]:
    """{module: the tinylib modules it imports}, for every module under `root` (a package
    folder), counting imports anywhere in a file (inside functions too) and within one package:
    `from tinylib.data import read_layout` is an edge to tinylib.data, `from tinylib.data import
    packed` one to tinylib.data.packed."""
    modules = {_module_name(path, root): path for path in sorted(root.rglob("*.py"))}
    graph = {}
    for name, path in modules.items():
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tinylib"):
                found |= {
                    f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module
                    for a in node.names
                }
            elif isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names if alias.name.startswith("tinylib")}
        graph[name] = {imported for imported in found if imported in modules and imported != name}
    return graph


def import_circle(graph: dict[str, set[str]]) -> list[str]:
    """One circle of imports in `graph` (["a", "b", "a"]), or [] when there is none."""
    import graphlib

    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as error:
        return list(error.args[1])
    return []


def test_no_two_modules_import_each_other():
    """The layers above cover imports between floors; this covers every module, within one
    package too (data.layout and data.folders once imported each other)."""
    circle = import_circle(import_graph(ROOT / "tinylib"))
    assert circle == [], f"import circle: {' -> '.join(circle)}"


def test_import_circle_is_found_inside_one_package(tmp_path):
    package = tmp_path / "tinylib" / "data"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "layout.py").write_text("def read():\n    from tinylib.data.folders import read_folders\n")
    (package / "folders.py").write_text("from tinylib.data.layout import read\n")
    (package / "images.py").write_text("import tinylib.data.layout\n")
    graph = import_graph(tmp_path / "tinylib")
    assert graph["tinylib.data.images"] == {"tinylib.data.layout"}
    circle = import_circle(graph)
    assert set(circle) == {"tinylib.data.layout", "tinylib.data.folders"} and circle[0] == circle[-1]
    (package / "layout.py").write_text("def read():\n    pass\n")
    assert import_circle(import_graph(tmp_path / "tinylib")) == []


@pytest.mark.parametrize(
    "module", sorted((ROOT / "tinylib").rglob("*.py")), ids=lambda p: p.relative_to(ROOT).as_posix()
)
def test_functions_are_at_most_50_lines(module):
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(ast.parse(module.read_text()))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno + 1 > 50
    ]
    assert long == [], f"split functions over 50 lines: {', '.join(long)}"


def test_private_keras_api_only_in_distribute():
    """docs/architecture.md: private Keras API (keras.src, underscore members) lives in one module."""
    import re

    pattern = re.compile(r"keras\.src|\._save_model\b|_training_metadata_path|_maybe_symbolic_build|_weights_path")
    users = sorted(
        p.relative_to(ROOT).as_posix() for p in (ROOT / "tinylib").rglob("*.py") if pattern.search(p.read_text())
    )
    assert users == ["tinylib/train/distribute.py"]


def test_every_package_file_is_tracked_by_git():
    """A .gitignore pattern once hid tinylib/data/ from commits; a fresh clone then broke."""
    import subprocess

    listed = subprocess.run(["git", "ls-files", "tinylib"], cwd=ROOT, capture_output=True, text=True)
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    tracked = set(listed.stdout.split())
    on_disk = {p.relative_to(ROOT).as_posix() for p in (ROOT / "tinylib").rglob("*.py")}
    assert on_disk <= tracked, f"untracked package files: {sorted(on_disk - tracked)}"


def test_colab_links_in_the_docs_point_at_existing_notebooks():
    """README and docs link notebooks on Colab; each link follows the repository URL and
    names a notebook that exists (a renamed notebook would otherwise leave a dead link)."""
    import re

    for document in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for path in re.findall(
            r"https://colab\.research\.google\.com/github/[^)\s]+?/blob/[^/]+/([^)\s]+)", document.read_text()
        ):
            assert (ROOT / path).is_file(), f"{document.name} links {path}, which does not exist"
            assert course.colab_url(path) in document.read_text(), f"{document.name}: stale Colab link for {path}"
