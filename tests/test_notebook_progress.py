"""Progress that saves well: a training cell executed in a notebook keeps a handful of outputs,
one line per epoch, never a progress bar's every update."""

from __future__ import annotations

import pytest

from tinylib.train.callbacks import progress_verbosity

TRAINING_CELL = """
import tinylib
from tinylib import plots
from tinylib.models import resnet
from tinylib.train import TrainingData, fit, recipe

data = TrainingData.from_root({root!r}, progress=False)
model = resnet(depth=10, width=4, stem="imagenet", num_classes=data.num_classes)
run = fit(model, data, recipe("demo", epochs={epochs}).with_batch_size(8), {workdir!r}, callbacks=[plots.live_curves()])
"""


def test_auto_progress_is_one_line_per_epoch_in_a_kernel_and_a_bar_elsewhere(monkeypatch):
    import sys

    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    assert progress_verbosity("auto") == ("auto", []) and progress_verbosity(1) == (1, [])
    monkeypatch.setitem(sys.modules, "ipykernel", sys)
    verbose, callbacks = progress_verbosity("auto")
    assert verbose == 0 and [type(c).__name__ for c in callbacks] == ["EpochLines"]
    assert progress_verbosity(2) == (2, [])


def test_an_executed_training_cell_holds_a_few_outputs_and_one_line_per_epoch(synthetic_root, tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    epochs = 3
    source = TRAINING_CELL.format(root=str(synthetic_root), epochs=epochs, workdir=str(tmp_path / "run"))
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3").execute()
    outputs = notebook.cells[0].outputs
    kinds = [output.output_type for output in outputs]
    assert kinds == ["display_data", "display_data"], kinds  # epoch lines and live curves, each updated in place
    text = outputs[0]["data"]["text/plain"]
    assert [line.split("  ")[0] for line in text.splitlines()] == [f"epoch {k}/{epochs}" for k in (1, 2, 3)]
    assert " val_accuracy " in text and "\r" not in text  # the scores, no redrawn progress bar


def test_epoch_lines_act_per_epoch_only_so_keras_never_waits_for_the_device_per_step():
    import keras

    from tinylib.train.callbacks import EpochLines

    for hook in ("on_batch_end", "on_train_batch_end", "on_train_batch_begin"):
        assert getattr(EpochLines, hook) is getattr(keras.callbacks.Callback, hook), hook
