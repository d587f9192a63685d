"""The HTML report: every section, embedded PNGs, valid markup; from Python, the CLI and the demo."""

import tinylib  # noqa: F401  first: it turns TensorFlow's oneDNN kernels off before keras loads TensorFlow

# isort: split
import base64
import json
import os
import subprocess
import sys
from html.parser import HTMLParser

import pytest
from conftest import copy_run

from tinylib.cli import main
from tinylib.report import SECTIONS, write_report

pytestmark = pytest.mark.backend

VOID = {"meta", "img", "br", "hr", "link", "input"}


class Page(HTMLParser):
    """Collects section ids, headings, images and table cells; checks that tags nest properly."""

    def __init__(self):
        super().__init__()
        self.open, self.sections, self.headings, self.images, self.cells, self.errors = [], [], [], [], [], []
        self.title, self._text = "", None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag not in VOID:
            self.open.append(tag)
        if tag == "section":
            self.sections.append(attrs["id"])
        if tag == "img":
            self.images.append(attrs["src"])
        if tag in ("h2", "title", "td"):
            self._text = ""

    def handle_endtag(self, tag):
        if not self.open or self.open.pop() != tag:
            self.errors.append(f"unbalanced </{tag}>")
        if tag == "h2":
            self.headings.append(self._text)
        elif tag == "title":
            self.title = self._text
        elif tag == "td":
            self.cells.append(self._text)

    def handle_data(self, data):
        if self._text is not None:
            self._text += data


def parse(path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


def external_references(html: str) -> list[str]:
    """Every src/href that is not a data: URI or a #fragment, and every CSS url(...) in the
    page (in <style>, style="..." attributes or anywhere else): what a browser would fetch."""
    import re

    class References(HTMLParser):
        def __init__(self):
            super().__init__()
            self.found = []

        def handle_starttag(self, tag, attrs):
            for name, value in attrs:
                if name in ("src", "href", "srcset", "poster", "data") and not (value or "").startswith(("data:", "#")):
                    self.found.append(f"<{tag} {name}={value!r}>")

    references = References()
    references.feed(html)
    outside_data = re.sub(r"data:[^\s\"')]+", "data:", html)  # base64 payloads may hold any letters
    return references.found + re.findall(r"url\(\s*(?!['\"]?(?:data:|#))[^)]*\)", outside_data)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory, trained_run):
    """A copy of the session's trained run (2 epochs on tiny-synthetic, 4 classes): the report is written into it."""
    return copy_run(trained_run, tmp_path_factory.mktemp("report") / "run")


def test_report_has_every_section_embedded_pictures_and_valid_markup(workdir):
    path = write_report(workdir, samples=4, progress=False)
    assert path == workdir / "report.html"
    page = parse(path)
    assert page.errors == [] and page.open == []
    assert page.sections == [key for key, _ in SECTIONS]
    assert page.headings == [heading for _, heading in SECTIONS]
    assert page.title == "tinylib report: resnet10_w8 on tiny-synthetic"
    assert len(page.images) >= 8
    for source in page.images:
        assert source.startswith("data:image/png;base64,")
        assert base64.b64decode(source.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert external_references(path.read_text(encoding="utf-8")) == []  # self-contained: nothing to fetch
    assert "top-1 accuracy" in page.cells and "correctly classified" in page.cells and "recipe.name" in page.cells
    text = path.read_text()  # the per-class table sorts on a click, with the page's own script
    assert text.count('<th data-sort="number"') == 5 and text.count("<script>") == 1
    assert "(title: true class, predicted class, box mass)" in text  # every Grad-CAM mistake names both
    assert text.split('<table class="sortable">')[1].split("</table>")[0].count("<tr>") == 1 + 4  # header + classes


def test_cli_report_writes_where_asked_and_explains_a_bad_folder(workdir, tmp_path, capsys):
    output = tmp_path / "shared.html"
    assert main(["report", str(workdir), "--output", str(output), "--quiet"]) == 0
    assert capsys.readouterr().out.strip() == f"report: {output}"
    assert parse(output).sections[0] == "metrics"
    assert main(["report", str(tmp_path), "--quiet"]) == 2
    assert "no trained model (best.keras or last.keras) in" in capsys.readouterr().err


# `tinylib demo`, with each row predicted counted (written to argv[1] as JSON at the end).
COUNTING_DEMO = """
import json, sys
import tinylib
import keras
rows = []
original = keras.Model.predict_on_batch
def counting(self, batch):
    rows.append(len(batch))
    return original(self, batch)
keras.Model.predict_on_batch = counting
from tinylib.cli import main
code = main(sys.argv[2:])
open(sys.argv[1], "w").write(json.dumps(sum(rows)))
raise SystemExit(code)
"""


@pytest.mark.end_to_end
def test_the_demo_learns_and_writes_every_file_and_the_report_with_two_passes_over_val(tmp_path):
    """What `make demo` runs, shrunk by the quick profile (trained once in the suite): it must
    learn, not just run. Under TensorFlow's op determinism the seeded run repeats digit for digit,
    so its top-1 is one fixed number per machine and versions, not a draw. It predicts the val set
    twice in all (fit's final evaluation, plain and mirrored); the mistakes picture and the report
    reuse those predictions."""
    workdir, counted = tmp_path / "demo", tmp_path / "predicted-rows.json"
    env = {**os.environ, "TINYLIB_PROFILE": "quick", "TINYLIB_DATA": str(tmp_path / "data")}
    env["TF_DETERMINISTIC_OPS"] = "1"
    result = subprocess.run([sys.executable, "-c", COUNTING_DEMO, str(counted), "demo", "--workdir", str(workdir)],
                            capture_output=True, text=True, env=env, timeout=600)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert "val top-1" in result.stdout
    for name in ("history.csv", "curves.png", "mistakes.png", "best.keras", "last.keras", "run.json", "summary.json"):
        assert (workdir / name).is_file(), name
    summary = json.loads((workdir / "summary.json").read_text())
    assert summary["classes"] == 10 and summary["val_images"] == 200
    assert summary["val_top1"] >= 4 * summary["chance"]  # 10 classes: >= 40 %
    assert summary["val_top5"] >= summary["val_top1"]
    assert len((workdir / "history.csv").read_text().splitlines()) == 1 + summary["epochs"]
    assert json.loads(counted.read_text()) == 2 * summary["val_images"]
    assert "report.html" in summary["files"]
    page = parse(workdir / "report.html")
    assert page.errors == [] and page.sections == [key for key, _ in SECTIONS]
