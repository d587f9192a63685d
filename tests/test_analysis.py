"""Metrics from probabilities, checked against hand-computed tiny cases."""

import tinylib  # noqa: F401  first: it turns TensorFlow's oneDNN kernels off before keras loads TensorFlow

# isort: split
import keras
import numpy as np
import pytest

from tinylib import analysis
from tinylib.analysis import confidently_wrong, top_k_accuracy
from tinylib.inference import predict_probabilities
from tinylib.models import resnet10

pytestmark = pytest.mark.backend

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
    assert confidently_wrong(PROBABILITIES, LABELS).tolist() == [2, 1]
    assert confidently_wrong(PROBABILITIES, LABELS, count=1).tolist() == [2]
    assert confidently_wrong(PROBABILITIES, np.array([0, 2, 1, 1])).tolist() == []


def test_predict_batches_uint8_like_the_model():
    model = resnet10(width=8, stem="imagenet", num_classes=3)
    images = np.random.default_rng(1).integers(0, 256, (7, 64, 64, 3), dtype=np.uint8)
    expected = keras.ops.convert_to_numpy(model(images.astype("float32") / 255, training=False))
    np.testing.assert_allclose(predict_probabilities(model, images, batch_size=3), expected, atol=1e-5)
    np.testing.assert_allclose(predict_probabilities(model, images.astype("float32") / 255), expected, atol=1e-5)
    assert predict_probabilities(model, images[:0]).shape == (0, 3)


def test_per_example_loss_is_minus_log_of_the_true_class():
    expected = -np.log([0.7, 0.3, 0.05, 0.5])
    np.testing.assert_allclose(analysis.per_example_loss(PROBABILITIES, LABELS), expected, rtol=1e-6)
    assert analysis.per_example_loss(np.array([[1.0, 0.0]]), np.array([1]))[0] == pytest.approx(-np.log(1e-7))


def test_hard_examples_orderings():
    assert analysis.hardest_examples(PROBABILITIES, LABELS).tolist() == [2, 1, 3, 0]  # losses -log .05, .3, .5, .7
    assert analysis.hardest_examples(PROBABILITIES, LABELS, count=2).tolist() == [2, 1]
    assert analysis.confidently_wrong(PROBABILITIES, LABELS).tolist() == [2, 1]
    assert analysis.confidently_wrong(PROBABILITIES, LABELS, min_confidence=0.7).tolist() == [2]
    assert analysis.least_confident_correct(PROBABILITIES, LABELS).tolist() == [3, 0]  # 0.5 before 0.7


def test_confusion_matrix_and_per_class_accuracy():
    probabilities = np.eye(4, dtype=np.float32)[[0, 0, 1, 2, 2, 0]]  # predicted 0 0 1 2 2 0
    labels = np.array([0, 1, 1, 2, 0, 0])  # class 3 has no images
    matrix = analysis.confusion_matrix(probabilities, labels)
    expected = np.zeros((4, 4), int)
    for true, predicted in zip(labels, [0, 0, 1, 2, 2, 0]):
        expected[true, predicted] += 1
    np.testing.assert_array_equal(matrix, expected)
    accuracy = analysis.per_class_accuracy(probabilities, labels)
    np.testing.assert_allclose(accuracy[:3], [2 / 3, 1 / 2, 1.0])
    assert np.isnan(accuracy[3])


def test_confused_pairs_most_frequent_first_then_larger_share():
    # true -> predicted: 2->0 three times (of 4), 0->1 twice (of 5), 1->2 twice (of 2), 0->2 once
    pairs_made = [(2, 0)] * 3 + [(2, 2)] + [(0, 1)] * 2 + [(0, 0)] * 2 + [(0, 2)] + [(1, 2)] * 2
    labels = np.array([t for t, _ in pairs_made])
    probabilities = np.eye(3, dtype=np.float32)[[p for _, p in pairs_made]]
    pairs = analysis.confused_pairs(probabilities, labels, ["cat", "dog", "fox"])
    assert [(p.true, p.predicted, p.count) for p in pairs] == [(2, 0, 3), (1, 2, 2), (0, 1, 2), (0, 2, 1)]
    assert pairs[1].share == 1.0 and pairs[2].share == pytest.approx(0.4)  # the tie of 2 goes to the larger share
    assert str(pairs[0]) == "fox → cat: 3 (75% of fox)"
    assert len(analysis.confused_pairs(probabilities, labels, top=2)) == 2
    assert analysis.confused_pairs(np.eye(3)[[0, 1]], np.array([0, 1])) == []


def test_reliability_table_and_ece_by_hand():
    probabilities = np.array(
        [[0.95, 0.03, 0.02], [0.95, 0.03, 0.02], [0.65, 0.2, 0.15], [0.15, 0.65, 0.2], [0.35, 0.33, 0.32]]
    )
    labels = np.array([0, 1, 0, 1, 2])  # right, wrong, right, right, wrong
    table = analysis.reliability_table(probabilities, labels, bins=10)
    assert table.counts.tolist() == [0, 0, 0, 1, 0, 0, 2, 0, 0, 2]
    np.testing.assert_allclose(table.accuracy[[3, 6, 9]], [0.0, 1.0, 0.5])
    np.testing.assert_allclose(table.confidence[[3, 6, 9]], [0.35, 0.65, 0.95])
    assert np.isnan(table.accuracy[0])
    expected = (1 * 0.35 + 2 * 0.35 + 2 * 0.45) / 5
    assert table.ece == pytest.approx(expected)
    assert analysis.expected_calibration_error(probabilities, labels) == pytest.approx(expected)
    assert [row["count"] for row in table.rows()] == [1, 2, 2]
    assert "ECE 0.390" in str(table)


def test_perfectly_calibrated_predictions_have_zero_ece():
    probabilities = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert analysis.expected_calibration_error(probabilities, np.array([0, 1])) == 0.0


def test_class_weights_from_errors():
    probabilities = np.eye(3, dtype=np.float32)[[0, 0, 1, 0, 0, 0]]  # accuracy per class: 1, 1/2, 0
    labels = np.array([0, 0, 1, 1, 2, 2])
    weights = analysis.class_weights_from_errors(probabilities, labels)
    raw = np.array([0.05, 0.5, 1.0])
    assert list(weights) == [0, 1, 2]
    np.testing.assert_allclose(list(weights.values()), raw / raw.mean())
    assert np.mean(list(weights.values())) == pytest.approx(1.0)
    assert analysis.class_weights_from_errors(probabilities, labels, power=0) == {0: 1.0, 1: 1.0, 2: 1.0}
    squared = analysis.class_weights_from_errors(probabilities, labels, power=2)
    assert squared[2] / squared[1] == pytest.approx(4.0)
    with_missing = analysis.class_weights_from_errors(np.eye(4)[[0, 1]], np.array([0, 1]))
    assert with_missing[2] == with_missing[3] == 1.0
    with pytest.raises(ValueError, match="floor must be > 0"):
        analysis.class_weights_from_errors(probabilities, labels, floor=0)


def test_predictions_object_feeds_every_metric():
    result = analysis.Predictions(PROBABILITIES, LABELS, ("cat", "dog", "fox"))
    assert result.predicted.tolist() == [0, 2, 1, 1] and result.correct.tolist() == [True, False, False, True]
    assert analysis.hardest_examples(result, count=2).tolist() == [2, 1]
    assert analysis.confused_pairs(result)[0].true_name == "cat"
    summary = result.summary()
    assert {key: summary[key] for key in ("images", "top1", "top5", "test_time_flip")} == {
        "images": 4,
        "top1": 0.5,
        "top5": 1.0,
        "test_time_flip": False,
    }
    assert summary["loss"] == pytest.approx(np.mean(-np.log([0.7, 0.3, 0.05, 0.5])), abs=1e-4)
    assert summary["ece"] == pytest.approx(analysis.expected_calibration_error(PROBABILITIES, LABELS), abs=1e-4)
    assert result.file_names([1]) == ["#1"]
    with pytest.raises(TypeError, match="pass the other arguments by name"):
        analysis.hardest_examples(result, 2)
    with pytest.raises(ValueError, match="one row of probabilities per labelled image"):
        analysis.top_k_accuracy(PROBABILITIES, LABELS[:3])
