"""Canaries for the private Keras API that tinylib.train.distribute relies on: when a Keras
upgrade moves one of these names, this fails loudly, naming the Keras version."""

import keras
import pytest

from tinylib.train import distribute

pytestmark = pytest.mark.versions


def test_every_private_keras_name_is_still_there():
    assert distribute.private_api_problems() == [], f"Keras {keras.__version__} moved private API"


def test_a_moved_name_is_reported_with_the_keras_version(monkeypatch):
    monkeypatch.setattr(distribute, "PRIVATE_API", (("keras.Model", "_no_such_member"),))
    assert distribute.private_api_problems() == [
        f"Keras {keras.__version__} has no keras.Model._no_such_member: tinylib.train.distribute needs updating"
    ]


def test_multi_worker_patches_are_scoped_to_the_block(monkeypatch):
    """Inside the block Keras' trainer is patched; afterwards it is Keras' own again."""
    import tensorflow as tf
    from keras.src.backend.tensorflow import trainer

    original = trainer.reduce_per_replica
    monkeypatch.setenv("TF_CONFIG", '{"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 0}}')
    monkeypatch.setattr(distribute, "is_multi_worker", lambda strategy: True)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    with distribute.multi_worker_patches(model, tf.distribute.get_strategy()):
        assert trainer.reduce_per_replica is not original and "_maybe_symbolic_build" in vars(model)
    assert trainer.reduce_per_replica is original and "_maybe_symbolic_build" not in vars(model)


def test_is_multi_worker_fails_closed(monkeypatch):
    import tensorflow as tf

    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert distribute.is_multi_worker(tf.distribute.get_strategy()) is False
    monkeypatch.setenv("TF_CONFIG", '{"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 0}}')
    with pytest.raises(ValueError, match="TF_CONFIG names 2 workers but the strategy is"):
        distribute.is_multi_worker(tf.distribute.get_strategy())
