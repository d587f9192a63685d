"""One self-contained HTML page about a trained work folder, to share or to grade.

`write_report(workdir)` predicts every val image once (or reuses predictions it is given)
and writes workdir/report.html: headline metrics, training curves, per-class accuracy, a sortable
table of per-class precision, recall and F1, the most confused pairs and the whole confusion
matrix, galleries of hard examples, Grad-CAM samples with the share of attention inside the
object's box, and calibration. Pictures are embedded as base64 PNG, so the file needs nothing beside it.
"""

from __future__ import annotations

import base64
import datetime
import html
import io
import os
from pathlib import Path

import numpy as np

from tinylib import analysis, plots
from tinylib.files import check_output_file, write_atomically
from tinylib.workdir import Workdir

SECTIONS = (
    ("metrics", "Metrics"),
    ("curves", "Training curves"),
    ("per-class", "Per-class accuracy"),
    ("per-class-scores", "Per-class precision, recall and F1"),
    ("confused-pairs", "Most confused pairs"),
    ("hardest", "Hardest examples (highest loss)"),
    ("confidently-wrong", "Confidently wrong"),
    ("least-confident", "Right, but barely"),
    ("grad-cam", "Where does the network look? (Grad-CAM)"),
    ("calibration", "Calibration"),
    ("run", "How it was trained"),
)

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 2em; }
table { border-collapse: collapse; margin: 0.8em 0; } td, th { padding: 0.25em 0.8em; border-bottom: 1px solid #eee; }
th { text-align: left; } td.number { text-align: right; font-variant-numeric: tabular-nums; }
img { max-width: 100%; } .meta, .note { color: #666; font-size: 0.9em; } nav a { margin-right: 0.8em; }
table.sortable th { cursor: pointer; } table.sortable th:hover { text-decoration: underline; }
"""

# Click a header of a table.sortable to sort its rows by that column (again: the other way);
# cells sort by their data-value when they have one (numbers), else by their text.
SORTING = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("th").forEach(function (header, column) {
    header.addEventListener("click", function () {
      var numeric = header.dataset.sort === "number", down = header.dataset.order !== "descending";
      header.dataset.order = down ? "descending" : "ascending";
      var rows = Array.from(table.querySelectorAll("tr")).slice(1);
      function key(row) {
        var cell = row.cells[column], value = parseFloat(cell.dataset.value);
        return numeric ? (isNaN(value) ? -1 : value) : cell.textContent;
      }
      rows.sort(function (a, b) {
        var x = key(a), y = key(b), order = numeric ? x - y : String(x).localeCompare(String(y));
        return down ? -order : order;
      });
      rows.forEach(function (row) { row.parentNode.appendChild(row); });
    });
  });
});
"""


def _png(figure) -> str:
    """An <img> with the figure as an embedded base64 PNG."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="figure" src="data:image/png;base64,{encoded}">'


def _table(header: list[str], rows: list[list]) -> str:
    def cell(value) -> str:
        if isinstance(value, (int, float, np.number)):
            return f'<td class="number">{value}</td>'
        return f"<td>{html.escape(str(value))}</td>"

    head = "".join(f"<th>{html.escape(name)}</th>" for name in header)
    body = "".join("<tr>" + "".join(cell(value) for value in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _percent(value: float) -> str:
    return "n/a" if value is None or not np.isfinite(value) else f"{value:.1%}"


def _grad_cam_section(model, result, samples: int, cam_images: int, seed: int) -> str:
    """Box-mass statistics over (up to) `cam_images` val images, and overlays of samples."""
    rng = np.random.default_rng(seed)
    count = min(cam_images, len(result.labels))
    chosen = np.sort(rng.choice(len(result.labels), count, replace=False)) if count else np.zeros(0, int)
    layer = analysis.default_cam_layer(model)
    heatmaps = analysis.grad_cam(model, result.images[chosen], layer)
    if result.boxes is None:
        return "<p>No boxes known for these images (pass the dataset root): the box statistic is skipped.</p>"
    boxes = result.boxes[chosen]
    mass = analysis.box_mass(heatmaps, boxes)
    stats = analysis.box_mass_summary(mass, result.correct[chosen], area=analysis.box_area_share(boxes))
    parts = [
        f"<p>Grad-CAM of the predicted class at layer <code>{html.escape(layer)}</code> on {stats['images']} val "
        "images. <em>Box mass</em> is the share of the heat-map inside the annotated box; the box area is what a "
        "network looking everywhere equally would score.</p>",
        _table(
            ["images", "mean box mass", "mean box area"],
            [
                ["correctly classified", _percent(stats["correct"]), ""],
                ["mistakes", _percent(stats["mistakes"]), ""],
                ["all", _percent(stats["all"]), _percent(stats["box_area"])],
            ],
        ),
    ]
    for title, keep in (("correct", result.correct[chosen]), ("mistakes", ~result.correct[chosen])):
        picked = np.flatnonzero(keep)[:samples]
        if len(picked):
            rows = chosen[picked]
            names = result.class_names
            titles = [
                f"true: {names[result.labels[i]][:16]}\npred: {names[result.predicted[i]][:16]}\n{m:.0%} in box"
                for i, m in zip(rows, mass[picked])
            ]
            overlays = plots.grad_cam_overlays(result.images[rows], heatmaps[picked], boxes[picked], titles)
            parts.append(f"<h3>{title} (title: true class, predicted class, box mass)</h3>{_png(overlays)}")
    return "".join(parts)


def write_report(
    workdir: str | os.PathLike,
    data=None,
    path: str | os.PathLike | None = None,
    model=None,
    samples: int = 12,
    cam_images: int = 1000,
    progress: bool = True,
    result=None,
    mirrored=None,
) -> Path:
    """Write the HTML report of a work folder written by `tinylib.train.fit`; returns its path.

    data: the dataset root (or a TrainingData); default: the one run.json names. path: where
    to write (default workdir/report.html). model: the model to report on (default: the
    folder's best.keras). result: that model's `analysis.Predictions` on val, and mirrored:
    its float32 (N, C) probabilities of the mirrored val images, when already computed (the
    demo passes those `fit` kept); otherwise one pass each. samples: images per gallery;
    cam_images: val images (a seeded random sample) the Grad-CAM statistic is measured on.
    Raises NoTrainedModel for a folder without a model, ValueError when the dataset is unknown
    or `path` cannot be written (checked first: a folder, a missing folder).
    """
    workdir = Workdir(workdir)
    path = check_output_file(path, "report.html") if path is not None else workdir / "report.html"
    run = workdir.run()
    model = model if model is not None else workdir.load_model("best")
    data = data if data is not None else run.get("data")
    if not data:
        raise ValueError(f"no dataset root in {workdir.run_file}: pass data=<dataset root> (or --data ROOT)")
    result = result if result is not None else analysis.predictions(model, data, progress=progress)
    flip = analysis.test_time_flip_gain(
        model, result.images, result.labels, plain=result.probabilities, mirrored=mirrored
    )
    page = _page(_sections(workdir, run, model, result, flip, samples, cam_images), model, result, workdir)
    path = Path(path) if path is not None else workdir.report_file
    write_atomically(path, page)
    return path


def _metrics(result, flip: dict) -> str:
    summary = result.summary()
    return _table(
        ["metric", "value"],
        [
            ["val images", summary["images"]],
            ["top-1 accuracy", _percent(summary["top1"])],
            [f"top-{min(5, result.num_classes)} accuracy", _percent(summary["top5"])],
            ["mean cross-entropy (nats)", f"{summary['loss']:.3f}"],
            ["expected calibration error", f"{summary['ece']:.3f}"],
            ["top-1 with test-time flip", f"{_percent(flip['top1_flip'])} ({100 * flip['gain']:+.1f} points)"],
            ["chance", _percent(1 / result.num_classes)],
        ],
    )


def _class_scores(result) -> str:
    """The sortable table of per-class precision, recall, F1 and support, with macro averages."""
    scores = analysis.per_class_report(result)

    def number(value: float, text: str) -> str:
        return f'<td class="number" data-value="{value if np.isfinite(value) else ""}">{text}</td>'

    columns = (("class", "text"), ("precision", "number"), ("recall", "number"), ("F1", "number"),
               ("images", "number"), ("predicted as it", "number"))  # fmt: skip
    head = "".join(f'<th data-sort="{kind}" title="click to sort">{name}</th>' for name, kind in columns)
    rows = "".join(
        f"<tr><td>{html.escape(s.name)}</td>{number(s.precision, _percent(s.precision))}"
        f"{number(s.recall, _percent(s.recall))}{number(s.f1, _percent(s.f1))}"
        f"{number(s.support, str(s.support))}{number(s.predicted, str(s.predicted))}</tr>"
        for s in scores
    )
    macro = [np.nanmean([getattr(s, field) for s in scores]) for field in ("precision", "recall", "f1")]
    return (
        f"<p>Precision: of the images predicted as the class, the share that are; recall: of the class's images, "
        f"the share found; F1: their harmonic mean. Macro averages over {len(scores)} classes: precision "
        f"{_percent(macro[0])}, recall {_percent(macro[1])}, F1 {_percent(macro[2])}. A class never predicted has "
        f'precision 0. Click a column header to sort.</p><table class="sortable"><tr>{head}</tr>{rows}</table>'
    )


def _galleries(result, samples: int) -> dict[str, str]:
    galleries = {
        "hardest": analysis.hardest_examples(result, count=samples),
        "confidently-wrong": analysis.confidently_wrong(result, count=samples),
        "least-confident": analysis.least_confident_correct(result, count=samples),
    }
    note = '<p class="note">Title: file, true class, predicted class and its probability; box in yellow.</p>'
    return {
        key: note + (_png(plots.hard_example_gallery(result, indices)) if len(indices) else "<p>None.</p>")
        for key, indices in galleries.items()
    }


def _calibration(result) -> str:
    rows = [
        [f"({r['lower']:.1f}, {r['upper']:.1f}]", r["count"], _percent(r["confidence"]), _percent(r["accuracy"])]
        for r in analysis.reliability_table(result).rows()
    ]
    return _png(plots.reliability_diagram(result)) + _table(
        ["confidence", "images", "mean confidence", "accuracy"], rows
    )


def _sections(workdir: Workdir, run: dict, model, result, flip: dict, samples: int, cam_images: int) -> dict:
    """The HTML of every section, keyed as in SECTIONS."""
    pairs = analysis.confused_pairs(result, top=10)
    body = {
        "metrics": _metrics(result, flip),
        "curves": _png(plots.training_curves(workdir)) if workdir.history() else "<p>No history.csv.</p>",
        "per-class": _png(plots.per_class_accuracy_chart(result)),
        "per-class-scores": _class_scores(result),
        "confused-pairs": _table(
            ["true class", "predicted as", "images", "share of the true class"],
            [[p.true_name, p.predicted_name, p.count, _percent(p.share)] for p in pairs],
        )
        + (_png(plots.confusion_heatmap(result, top=10)) if pairs else "<p>No mistakes at all.</p>")
        + '<h3>The whole confusion matrix</h3><p class="note">Classes ordered so that those confused with each '
        "other sit together: squares by the diagonal are groups the network mixes up.</p>"
        + _png(plots.confusion_matrix_picture(result)),
        **_galleries(result, samples),
        "grad-cam": _grad_cam_section(model, result, samples, cam_images, seed=0),
        "calibration": _calibration(result),
    }
    recipe = run.get("recipe", {})
    body["run"] = _table(
        ["setting", "value"],
        [[key, str(run.get(key, ""))] for key in ("status", "parameters", "epochs_done", "wall_seconds", "hardware")]
        + [[f"recipe.{key}", str(value)] for key, value in recipe.items()],
    )
    return body


def _page(body: dict, model, result, workdir: Workdir) -> str:
    """The whole HTML document around the sections."""
    dataset = result.files[0].parents[2].name if result.files else "its val set"  # root/val/images/val_0.JPEG
    title = f"{model.name} on {dataset}"
    stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    navigation = "".join(f'<a href="#{key}">{html.escape(heading)}</a>' for key, heading in SECTIONS)
    sections = "".join(
        f'<section id="{key}"><h2>{html.escape(heading)}</h2>{body[key]}</section>' for key, heading in SECTIONS
    )
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>tinylib report: {html.escape(title)}'
        f"</title><style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>"
        f'<p class="meta">{result.num_classes} classes, {len(result.labels)} val images, work folder '
        f"{html.escape(str(workdir.path))}, written {stamp} by tinylib</p>"
        f"<nav>{navigation}</nav>{sections}<script>{SORTING}</script></body></html>\n"
    )
