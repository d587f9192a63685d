"""Readable output: `tinylib train` writes one line per epoch into logs and a live bar into a
terminal; live curves in a notebook update one display in place (no cleared cell)."""

import tinylib  # noqa: F401  first: it turns TensorFlow's oneDNN kernels off before keras loads TensorFlow

# isort: split
import sys

import pytest

from tinylib import plots, train
from tinylib.cli import main

pytestmark = pytest.mark.backend


@pytest.mark.parametrize(("terminal", "expected"), [(False, 2), (True, "auto")])
def test_train_verbosity_follows_the_terminal(terminal, expected, synthetic_root, tmp_path, monkeypatch):
    seen = {}

    def fake_fit(model, data, recipe, workdir, **options):
        seen.update(options)
        raise train.TrainingDiverged("stopped by the test")

    monkeypatch.setattr(train, "fit", fake_fit)
    monkeypatch.setattr(sys, "stdout", _Stream(terminal))
    command = ["train", "--data", str(synthetic_root), "--model", "resnet10", "--width", "8", "--recipe", "demo"]
    assert main([*command, "--workdir", str(tmp_path / "run")]) == 1
    assert seen["verbose"] == expected


class _Stream:
    def __init__(self, terminal: bool):
        self.terminal, self.text = terminal, []

    def isatty(self) -> bool:
        return self.terminal

    def write(self, text: str) -> int:
        self.text.append(text)
        return len(text)

    def flush(self) -> None:
        pass


class _FakeDisplay:
    """IPython's display(..., display_id=True) and its handle's update, recorded."""

    def __init__(self):
        self.calls = []

    def __call__(self, obj, display_id=None):
        self.calls.append(("display", display_id))
        return self

    def update(self, obj):
        self.calls.append(("update", type(obj).__name__))


def test_live_curves_update_one_display_in_place(monkeypatch):
    import IPython.display

    fake = _FakeDisplay()
    monkeypatch.setattr(IPython.display, "display", fake)
    monkeypatch.setattr(
        IPython.display, "clear_output", lambda *a, **k: pytest.fail("live curves must not clear the cell")
    )
    callback = plots.live_curves()
    callback.on_train_begin()
    for epoch in range(3):
        logs = {"loss": 1.0 - epoch / 10, "accuracy": epoch / 10, "val_loss": 1.1, "val_accuracy": 0.1}
        callback.on_epoch_end(epoch, logs)
    assert fake.calls == [("display", True), ("update", "Figure"), ("update", "Figure")]
    assert callback.history["loss"] == [1.0, 0.9, 0.8]
