"""Notebook 05's checkers (label smoothing, test-time flip, class weights) pass the reference
solutions and name the plausible mistakes."""

import keras
import numpy as np
import pytest

from tinylib.analysis import class_weights_from_errors
from tinylib.checks import ExerciseError, check_class_weights, check_flip_average, check_label_smoothing

pytestmark = pytest.mark.backend


def smooth_labels(labels, num_classes, smoothing):
    return np.eye(num_classes)[labels] * (1 - smoothing) + smoothing / num_classes


def smoothing_as_keras_does(labels, num_classes, smoothing):
    """Keras' own label smoothing, read back from the loss: the targets that give the same loss."""
    one_hot = keras.ops.one_hot(labels, num_classes)
    loss = keras.losses.CategoricalCrossentropy(label_smoothing=smoothing, reduction=None)
    # the loss of predicting class k with certainty-ish probability reveals the target of class k
    eye = np.eye(num_classes) * 0.98 + 0.02 / num_classes
    losses = np.stack([keras.ops.convert_to_numpy(loss(one_hot, np.tile(row, (len(labels), 1)))) for row in eye], 1)
    # cross-entropy is linear in the targets: solve  losses = targets @ -log(eye).T
    return np.linalg.solve(-np.log(eye), losses.T).T


def flip_average(predict, images):
    return (predict(images) + predict(images[:, :, ::-1])) / 2


def class_weights(probabilities, labels):
    classes = probabilities.shape[1]
    predicted = probabilities.argmax(axis=1)
    errors = np.array([np.mean(predicted[labels == c] != c) for c in range(classes)])
    raw = np.maximum(errors, 0.05)
    return {c: float(w) for c, w in enumerate(raw / raw.mean())}


@pytest.mark.parametrize("solution", [smooth_labels, smoothing_as_keras_does])
def test_label_smoothing_reference_and_keras_pass(solution, capsys):
    check_label_smoothing(solution)
    assert "✓ label smoothing" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("wrong", "message"),
    [
        (lambda labels, c, s: np.eye(c)[labels], "nothing was smoothed"),
        (
            lambda labels, c, s: np.eye(c)[labels] * (1 - s) + (1 - np.eye(c)[labels]) * s / (c - 1),
            "other C - 1 classes",
        ),
        (lambda labels, c, s: np.eye(c)[labels] + s / c, "add up to 1.1"),
        (lambda labels, c, s: np.eye(c)[labels][:, :-1], r"returned shape \(3, 3\)"),
    ],
)
def test_label_smoothing_checker_names_the_mistake(wrong, message):
    with pytest.raises(ExerciseError, match=message):
        check_label_smoothing(wrong)


@pytest.mark.parametrize(
    ("wrong", "message"),
    [
        (lambda predict, images: (predict(images) + predict(images[:, ::-1])) / 2, "upside down"),
        (lambda predict, images: (predict(images) + predict(images[..., ::-1])) / 2, "colour channels"),
        (lambda predict, images: predict(images), "plain predictions"),
        (lambda predict, images: predict(images[:, :, ::-1]), "only the mirrored"),
        (lambda predict, images: (predict(images) + predict(images)[:, ::-1]) / 2, "class axis"),
        (lambda predict, images: predict(images) + predict(images[:, :, ::-1]), "divide by 2"),
    ],
)
def test_flip_average_checker_names_the_mistake(wrong, message, capsys):
    check_flip_average(flip_average)
    assert "✓ test-time flip" in capsys.readouterr().out
    with pytest.raises(ExerciseError, match=message):
        check_flip_average(wrong)


def test_flip_average_matches_the_library_evaluation():
    """The exercise's answer is what `evaluate(..., test_time_flip=True)` does with a Keras model."""
    from tinylib.train import predict_probabilities

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Flatten(), keras.layers.Dense(4, "softmax")])
    images = np.random.default_rng(0).random((5, 8, 8, 3)).astype(np.float32)
    expected = flip_average(lambda x: np.asarray(model.predict_on_batch(x)), images)
    np.testing.assert_allclose(predict_probabilities(model, images, test_time_flip=True), expected, atol=1e-6)


@pytest.mark.parametrize(
    ("wrong", "message"),
    [
        (lambda p, y: list(class_weights(p, y).values()), "wants a dict"),
        (lambda p, y: {c: 1 / w for c, w in class_weights(p, y).items()}, "not the accuracy"),
        (
            lambda p, y: {c: float(np.mean(p.argmax(1)[y == c] != c)) for c in range(p.shape[1])},
            "never gets wrong still needs a weight",
        ),
        (lambda p, y: {c: max(float(np.mean(p.argmax(1)[y == c] != c)), 0.05) for c in range(p.shape[1])}, "mean"),
        (lambda p, y: {str(c): w for c, w in class_weights(p, y).items()}, "one int key per class"),
    ],
)
def test_class_weights_checker_names_the_mistake(wrong, message, capsys):
    for solution in (class_weights, class_weights_from_errors):
        check_class_weights(solution)
        assert "✓ class weights from mistakes" in capsys.readouterr().out
    with pytest.raises(ExerciseError, match=message):
        check_class_weights(wrong)
