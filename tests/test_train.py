import csv
import json

import keras
import numpy as np
import pytest

from tinylib.models import resnet10
from tinylib.train import Recipe, array_dataset, fit, learning_rate_schedule


def test_recipe_round_trips_through_json():
    recipe = Recipe(name="x", epochs=3, optimizer="sgd", learning_rate=0.1)
    assert Recipe.from_json(recipe.to_json()) == recipe
    assert recipe.replace(epochs=5).epochs == 5


@pytest.mark.parametrize(("field", "value"), [("optimizer", "adam9"), ("augment", "mixup"), ("epochs", 0)])
def test_recipe_refuses_bad_values(field, value):
    with pytest.raises(ValueError, match=field):
        Recipe(**{field: value})


def test_schedule_warms_up_then_decays_to_zero():
    schedule = learning_rate_schedule(Recipe(epochs=10, learning_rate=1e-2, warmup_epochs=1), steps_per_epoch=10)
    rates = [float(schedule(step)) for step in (0, 5, 10, 55, 100)]
    assert rates[0] == pytest.approx(1e-3)
    assert rates[0] < rates[1] < rates[2] == pytest.approx(1e-2)
    assert rates[2] > rates[3] > rates[4]
    assert rates[4] == pytest.approx(0.0, abs=1e-6)


def test_array_dataset_flips_half_and_repeats_exactly():
    images = np.random.default_rng(0).integers(0, 256, (64, 64, 64, 3), dtype=np.uint8)
    labels = np.arange(64)

    def first_batch(seed):
        batch, batch_labels = next(iter(array_dataset(images, labels, 64, augment="flip", seed=seed)))
        return batch.numpy(), batch_labels.numpy()

    batch, batch_labels = first_batch(3)
    np.testing.assert_array_equal(batch_labels, labels)
    original = images.astype(np.float32) / 255
    flipped = np.array([np.array_equal(b, o[:, ::-1]) for b, o in zip(batch, original)])
    kept = np.array([np.array_equal(b, o) for b, o in zip(batch, original)])
    assert (flipped | kept).all() and 16 < flipped.sum() < 48
    np.testing.assert_array_equal(first_batch(3)[0], batch)
    assert not np.array_equal(first_batch(4)[0], batch)


def test_fit_writes_one_workdir(tmp_path):
    rng = np.random.default_rng(0)
    train = (rng.integers(0, 256, (40, 64, 64, 3), dtype=np.uint8), rng.integers(0, 4, 40))
    val = (rng.integers(0, 256, (12, 64, 64, 3), dtype=np.uint8), rng.integers(0, 4, 12))
    model = resnet10(width=8, stem="imagenet", num_classes=4)
    run = fit(model, train, val, Recipe(epochs=2, batch_size=8), tmp_path / "run", verbose=0)
    files = {p.name for p in (tmp_path / "run").iterdir()}
    assert {"history.csv", "model.keras", "recipe.json", "run.json"} <= files
    with open(tmp_path / "run" / "history.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["epoch"] for row in rows] == ["0", "1"]
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "val_top4"} <= set(rows[0])
    assert json.loads((tmp_path / "run" / "run.json").read_text()) == run
    assert run["epochs"] == 2 and run["train_images"] == 40 and 0 <= run["val_accuracy"] <= 1
    assert run["images_per_second"] > 0
    reloaded = keras.models.load_model(tmp_path / "run" / "model.keras")
    x = val[0][:4].astype("float32") / 255
    np.testing.assert_allclose(reloaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-5)
