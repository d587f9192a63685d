import keras
import numpy as np
import pytest

from tinylib.analysis import predict, top_k_accuracy, worst_mistakes
from tinylib.models import resnet10

PROBABILITIES = np.array(
    [
        [0.7, 0.2, 0.1],  # right
        [0.1, 0.3, 0.6],  # wrong (true 1), 60 % on class 2
        [0.05, 0.9, 0.05],  # wrong (true 0), 90 % on class 1
        [0.2, 0.5, 0.3],  # right
    ],
    dtype=np.float32,
)
LABELS = np.array([0, 1, 0, 1])


def test_top_k_accuracy():
    assert top_k_accuracy(PROBABILITIES, LABELS, 1) == 0.5
    assert top_k_accuracy(PROBABILITIES, LABELS, 2) == 1.0
    with pytest.raises(ValueError):
        top_k_accuracy(PROBABILITIES[:0], LABELS[:0])


def test_worst_mistakes_most_confident_first():
    assert worst_mistakes(PROBABILITIES, LABELS).tolist() == [2, 1]
    assert worst_mistakes(PROBABILITIES, LABELS, count=1).tolist() == [2]
    assert worst_mistakes(PROBABILITIES, np.array([0, 2, 1, 1])).tolist() == []


def test_predict_batches_uint8_like_the_model():
    model = resnet10(width=8, stem="imagenet", num_classes=3)
    images = np.random.default_rng(1).integers(0, 256, (7, 64, 64, 3), dtype=np.uint8)
    expected = keras.ops.convert_to_numpy(model(images.astype("float32") / 255, training=False))
    np.testing.assert_allclose(predict(model, images, batch_size=3), expected, atol=1e-5)
    np.testing.assert_allclose(predict(model, images.astype("float32") / 255), expected, atol=1e-5)
    assert predict(model, images[:0]).shape == (0, 3)
