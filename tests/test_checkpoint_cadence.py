"""fit's checkpoints on accelerators (issue 25: writing best.keras and last.keras cost 0.8 s an
epoch on an H200, more than the epoch): at most one write per min_seconds, the held weights
written at the end of training, the best epoch's weights and not the latest."""

import keras
import numpy as np

from tinylib.train.callbacks import Checkpoint


def _model() -> keras.Model:
    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])


def _fill(model: keras.Model, value: float) -> None:
    model.set_weights([np.full(w.shape, value, w.dtype) for w in model.get_weights()])


def _saved(path) -> float:
    return float(keras.saving.load_model(path).get_weights()[0][0, 0])


def test_last_checkpoint_waits_min_seconds_then_writes_the_held_epoch_at_the_end(tmp_path):
    model, now = _model(), [0.0]
    path = tmp_path / "last.keras"
    checkpoint = Checkpoint(model, path, min_seconds=30, clock=lambda: now[0])
    checkpoint.set_model(model)
    _fill(model, 1.0)
    checkpoint.on_epoch_end(0, {})
    assert _saved(path) == 1.0  # the first epoch is written at once
    for epoch, (second, value) in enumerate([(10.0, 2.0), (20.0, 3.0)], start=1):
        now[0] = second
        _fill(model, value)
        checkpoint.on_epoch_end(epoch, {})
        assert _saved(path) == 1.0  # held: less than 30 s since the write
    checkpoint.on_train_end()
    assert _saved(path) == 3.0 and model.get_weights()[0][0, 0] == 3.0
    now[0] = 50.0  # 30 s after the write at the end
    _fill(model, 4.0)
    checkpoint.on_epoch_end(3, {})
    assert _saved(path) == 4.0


def test_held_best_checkpoint_keeps_the_best_epochs_weights_not_the_latest(tmp_path):
    model, now = _model(), [0.0]
    path = tmp_path / "best.keras"
    checkpoint = Checkpoint(model, path, "val_accuracy", min_seconds=30, clock=lambda: now[0])
    checkpoint.set_model(model)
    for epoch, (value, accuracy) in enumerate([(1.0, 0.5), (2.0, 0.6), (3.0, 0.4)]):
        now[0] = 10.0 * epoch
        _fill(model, value)
        checkpoint.on_epoch_end(epoch, {"val_accuracy": accuracy})
    assert _saved(path) == 1.0 and checkpoint.best == 0.6
    checkpoint.on_train_end()
    assert _saved(path) == 2.0  # epoch 2's weights, the best
    assert model.get_weights()[0][0, 0] == 3.0  # the model keeps training's last weights


def test_without_min_seconds_every_epoch_is_written(tmp_path):
    model = _model()
    checkpoint = Checkpoint(model, tmp_path / "last.keras", clock=lambda: 0.0)
    checkpoint.set_model(model)
    for epoch in range(2):
        _fill(model, float(epoch))
        checkpoint.on_epoch_end(epoch, {})
        assert _saved(tmp_path / "last.keras") == float(epoch)
