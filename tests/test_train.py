"""fit(): one resumable work folder, honest evaluation, time budget, NaN stop."""

import keras
import numpy as np
import pytest
from conftest import copy_run, random_data, small_model, trained_run_recipe

from tinylib.train import (
    Recipe,
    TrainingData,
    TrainingDiverged,
    evaluate,
    fit,
    recipe,
)
from tinylib.workdir import Workdir

pytestmark = pytest.mark.backend

RECIPE = recipe("demo", epochs=3, batch_size=16)


@pytest.fixture(scope="module")
def data():
    return random_data(48, 24)


@pytest.fixture(scope="module")
def paused_once(tmp_path_factory, data):
    """One work folder paused by its time budget after its first epoch, trained once per module."""
    folder = tmp_path_factory.mktemp("paused-once") / "run"
    paused = fit(small_model(), data, RECIPE, folder, max_minutes=0, verbose=0)
    assert paused["status"] == "paused" and paused["epochs_done"] == 1 and "val" not in paused
    return folder


@pytest.fixture
def paused(paused_once, tmp_path):
    """A copy of `paused_once` for a test that goes on writing into it."""
    return copy_run(paused_once, tmp_path / "run")


@pytest.mark.versions
def test_fit_writes_one_workdir(trained_run):
    """The session's run, trained by `fit` (2 epochs of 3 steps, 20 val images)."""
    names = {p.name for p in trained_run.iterdir()}
    assert {"history.csv", "best.keras", "last.keras", "recipe.json", "run.json", "tb"} <= names
    assert "backup" not in names  # removed by BackupAndRestore once training completed
    rows = Workdir(trained_run).history()
    assert [row["epoch"] for row in rows] == ["0", "1"]
    assert {"loss", "accuracy", "top4", "val_loss", "val_accuracy", "seconds", "learning_rate"} <= set(rows[0])
    run = Workdir(trained_run).run()  # what fit returned (conftest checks they are equal)
    assert run["status"] == "complete" and run["epochs_done"] == 2 and run["steps_per_epoch"] == 3
    assert run["val"]["images"] == 20 and 0 <= run["val"]["top1"] <= run["val"]["top5"] <= 1
    assert run["recipe"]["name"] == "demo" and run["versions"]["keras"].startswith("3.")
    assert run["images_per_second"] > 0 and "CPU cores" in run["hardware"]
    plan = run["device_plan"]  # the one device plan, each choice with its reason
    assert plan["precision"] == "float32 (the policy the model was built under)" and plan["replicas"] == 1
    assert plan["augment_on"].startswith("host (") and plan["jit_compile"].startswith("False (")
    assert plan["device"].startswith("CPU:0 (") and plan["strategy"].startswith("_DefaultDistributionStrategy (")
    assert Recipe.from_json((trained_run / "recipe.json").read_text()) == trained_run_recipe()
    best = keras.models.load_model(trained_run / "best.keras")
    assert best.count_params() == small_model().count_params()


def test_second_call_does_not_train_again(trained_run, tmp_path):
    workdir = copy_run(trained_run, tmp_path / "run")
    first = Workdir(workdir).run()
    data = TrainingData.from_root(Workdir(workdir).dataset_root(), progress=False)
    model = small_model()
    again = fit(model, data, trained_run_recipe(), workdir, verbose=0)
    assert again == first
    assert len(Workdir(workdir).history()) == 2
    assert evaluate(model, data.val_images, data.val_labels)["top1"] == first["val"]["top1"]


def test_time_budget_pauses_then_the_same_call_finishes(paused, data):
    assert (paused / "backup").is_dir()
    done = fit(small_model(), data, RECIPE, paused, verbose=0)
    assert done["status"] == "complete" and done["epochs_done"] == 3
    assert [row["epoch"] for row in Workdir(paused).history()] == ["0", "1", "2"]


def test_another_recipe_in_the_same_workdir_is_refused(paused, data):
    with pytest.raises(ValueError, match="another recipe"):
        fit(small_model(), data, RECIPE.replace(learning_rate=1.0), paused, verbose=0)


@pytest.mark.versions
def test_nan_loss_stops_with_likely_causes(tmp_path, data):
    exploding = RECIPE.replace(optimizer="sgd", learning_rate=1e12, weight_decay=0.0, epochs=4)
    with pytest.raises(TrainingDiverged, match="learning rate too high"):
        fit(small_model(), data, exploding, tmp_path / "run", verbose=0)


@pytest.mark.versions
def test_evaluation_sees_every_val_image_exactly_once(data):
    model = small_model()
    seen = []
    original = model.predict_on_batch

    def counting(batch):
        seen.extend(bytes(image) for image in np.asarray(batch))
        return original(batch)

    model.predict_on_batch = counting
    result = evaluate(model, data.val_images, data.val_labels, batch_size=10)
    assert result["images"] == len(seen) == 24
    expected = {bytes(image.astype(np.float32) / 255) for image in data.val_images}
    assert set(seen) == expected
    flipped = evaluate(model, data.val_images, data.val_labels, test_time_flip=True, batch_size=10)
    assert flipped["images"] == 24 and len(seen) == 24 + 48


@pytest.mark.versions
def test_recipe_refuses_bad_values():
    with pytest.raises(ValueError, match="optimizer"):
        Recipe(optimizer="adam9")
    with pytest.raises(ValueError, match="augment"):
        Recipe(augment="mixup")
    with pytest.raises(ValueError, match="epoch_fraction"):
        Recipe(epoch_fraction=0)
    assert Recipe.from_json(recipe("seed").to_json()) == recipe("seed")


def test_class_weight_reaches_the_loss(tmp_path, data):
    """Per-sample losses are multiplied by their class's weight. With the classifier zeroed (every
    prediction uniform, every image's loss log 4) and a learning rate of 0 (it stays so), an epoch
    that sees each training image once has a loss of exactly log 4 times the labels' mean weight."""
    weights = {0: 10.0, 1: 0.1, 2: 0.1, 3: 0.1}
    frozen = RECIPE.replace(learning_rate=0.0, epochs=1)

    def uniform():
        model = small_model()
        classifier = model.get_layer("classifier")
        classifier.set_weights([np.zeros_like(w) for w in classifier.get_weights()])
        return model

    run = fit(uniform(), data, frozen, tmp_path / "weighted", verbose=0, class_weight=weights)
    assert run["class_weight"] == {"0": 10.0, "1": 0.1, "2": 0.1, "3": 0.1}
    fit(uniform(), data, frozen, tmp_path / "plain", verbose=0)
    weighted, plain = (float(Workdir(tmp_path / name).history()[0]["loss"]) for name in ("weighted", "plain"))
    mean_weight = np.mean([weights[int(label)] for label in data.train_labels])
    assert plain == pytest.approx(np.log(4), rel=1e-5)
    assert weighted == pytest.approx(np.log(4) * mean_weight, rel=1e-5)
