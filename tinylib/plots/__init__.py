"""Pictures for notebooks and reports; every function returns a matplotlib Figure.

Figures are made with matplotlib's object API (no pyplot state), so they work the same in
a notebook, a script and a headless CI run; save with `figure.savefig(path)`.
"""

from __future__ import annotations

from matplotlib.figure import Figure

from tinylib.plots.analysis import (
    confusion_heatmap,
    confusion_matrix_picture,
    grad_cam_overlays,
    hard_example_gallery,
    per_class_accuracy_chart,
    reliability_diagram,
)
from tinylib.plots.training import (
    compare_runs,
    gradient_profile,
    image_grid,
    live_curves,
    lr_curve,
    lr_finder,
    mistakes_grid,
    training_curves,
)

__all__ = [
    "compare_runs",
    "confusion_heatmap",
    "confusion_matrix_picture",
    "grad_cam_overlays",
    "gradient_profile",
    "hard_example_gallery",
    "image_grid",
    "live_curves",
    "lr_curve",
    "lr_finder",
    "mistakes_grid",
    "per_class_accuracy_chart",
    "reliability_diagram",
    "training_curves",
]


def _show_in_notebooks() -> None:
    """Let IPython display a returned Figure as a PNG, as it does for pyplot figures."""
    try:
        from IPython import get_ipython
        from IPython.core.pylabtools import print_figure
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None:
        shell.display_formatter.formatters["image/png"].for_type(
            Figure, lambda figure: print_figure(figure, "png", bbox_inches="tight")
        )


_show_in_notebooks()
