"""`predictions` from a model or a work folder, with files and boxes; test-time flip gain."""

import tinylib  # noqa: F401  first: it turns TensorFlow's oneDNN kernels off before keras loads TensorFlow

# isort: split

import numpy as np
import pytest
from conftest import copy_run

from tinylib import analysis
from tinylib.data import read_layout
from tinylib.inference import predict_probabilities
from tinylib.train import TrainingData
from tinylib.workdir import Workdir

pytestmark = pytest.mark.backend


@pytest.fixture(scope="module")
def workdir(tmp_path_factory, trained_run):
    """A copy of the session's trained run (best.keras, run.json naming its dataset)."""
    return copy_run(trained_run, tmp_path_factory.mktemp("analysis") / "run")


@pytest.fixture(scope="module")
def dataset(workdir):
    """The run's dataset: a copy of the shared synthetic set (4 classes, 48 train / 20 val)."""
    return Workdir(workdir).dataset_root()


def test_predictions_from_a_workdir_carry_files_boxes_and_names(workdir, dataset):
    info = read_layout(dataset)
    result = analysis.predictions(workdir, progress=False)
    model = Workdir(workdir).load_model()
    assert result.probabilities.shape == (20, 4) and result.labels.tolist() == info.val_labels.tolist()
    assert result.files == info.val_files and result.class_names == info.names
    np.testing.assert_array_equal(result.boxes, info.val_boxes)
    np.testing.assert_allclose(result.probabilities, predict_probabilities(model, result.images), atol=1e-6)
    np.testing.assert_allclose(result.losses, -np.log(result.probabilities[np.arange(20), result.labels]), rtol=1e-5)
    assert result.file_names([0, 3]) == [info.val_files[0].stem, info.val_files[3].stem]
    assert not result.test_time_flip


def test_predictions_from_training_data_a_model_and_a_split(workdir, dataset):
    model = Workdir(workdir).load_model()
    data = TrainingData.from_root(dataset, progress=False)
    train = analysis.predictions(model, data, split="train", test_time_flip=True, batch_size=7, progress=False)
    assert train.probabilities.shape == (48, 4) and train.test_time_flip and len(train.files) == 48
    np.testing.assert_allclose(
        train.probabilities, predict_probabilities(model, data.train_images, test_time_flip=True), atol=1e-6
    )
    plain = analysis.predictions(model, (data.val_images, data.val_labels), progress=False)
    assert plain.files == () and plain.boxes is None and plain.class_names == ("0", "1", "2", "3")


def test_predictions_explain_what_is_missing(workdir, tmp_path, dataset):
    with pytest.raises(ValueError, match="test images have no labels"):
        analysis.predictions(workdir, split="test")
    with pytest.raises(FileNotFoundError, match=r"no trained model \(best.keras or last.keras\) in"):
        analysis.predictions(tmp_path, dataset)
    with pytest.raises(ValueError, match="pass data=<dataset root>"):
        analysis.predictions(Workdir(workdir).load_model())


class LeftBright:
    """A stand-in model: class 0 with probability 0.9 when the left half is brighter, else class 1."""

    output_shape = (None, 2)

    def predict_on_batch(self, batch):
        left = batch[:, :, :32].mean(axis=(1, 2, 3)) > batch[:, :, 32:].mean(axis=(1, 2, 3))
        return np.where(left[:, None], [[0.9, 0.1]], [[0.2, 0.8]]).astype(np.float32)


def test_flip_gain_counts_fixed_and_broken_images():
    images = np.zeros((4, 64, 64, 3), np.uint8)
    images[[0, 1], :, :32] = 200  # left bright: predicted 0, mirror says 1 (0.9 vs 0.8 -> averaged 0.55 / 0.45)
    images[[2, 3], :, 32:] = 200  # right bright: predicted 1, mirror says 0 (0.2+0.9 vs 0.8+0.1 -> 0 wins)
    labels = np.array([0, 1, 1, 0])  # plain: right, wrong, right, wrong; flipped: all predict 0
    gain = analysis.test_time_flip_gain(LeftBright(), images, labels)
    assert gain == {"top1": 0.5, "top1_flip": 0.5, "gain": 0.0, "fixed": 1, "broken": 1}
