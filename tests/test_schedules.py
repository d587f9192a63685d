"""Schedules against values computed by hand from their formulas."""

import keras
import numpy as np
import pytest

from tinylib.train import CyclicalLearningRate, OneCycle, WarmupCosine, recipe

pytestmark = [pytest.mark.backend, pytest.mark.versions]


def rates(schedule, steps):
    return [float(keras.ops.convert_to_numpy(schedule(step))) for step in steps]


def test_triangular_like_the_original_callback():
    # cycle = floor(1 + step / 4000); x = |step / 2000 - 2 cycle + 1|; lr = 1e-4 + 9e-4 * max(0, 1 - x)
    schedule = CyclicalLearningRate(1e-4, 1e-3, 2000, "triangular")
    expected = [1e-4, 5.5e-4, 1e-3, 5.5e-4, 1e-4, 5.5e-4, 1e-3, 3.25e-4]
    assert rates(schedule, [0, 1000, 2000, 3000, 4000, 5000, 6000, 7500]) == pytest.approx(expected, rel=1e-5)


def test_triangular2_halves_each_cycle():
    schedule = CyclicalLearningRate(1e-4, 1e-3, 2000, "triangular2")
    assert rates(schedule, [2000, 6000, 10000]) == pytest.approx([1e-3, 5.5e-4, 3.25e-4], rel=1e-5)


def test_exp_range_and_time_decay():
    exp_range = CyclicalLearningRate(1e-4, 1e-3, 2000, "exp_range", gamma=0.9999)
    assert rates(exp_range, [2000]) == pytest.approx([1e-4 + 9e-4 * 0.9999**2000], rel=1e-4)
    decayed = CyclicalLearningRate(1e-4, 1e-3, 2000, "triangular", time_decay=1e-5)
    assert rates(decayed, [2000]) == pytest.approx([1e-3 / (1 + 1e-5 * 2000)], rel=1e-5)


def test_warmup_cosine():
    schedule = WarmupCosine(peak_lr=0.1, total_steps=100, warmup_steps=10)
    assert rates(schedule, [0, 5, 10, 55, 100, 150]) == pytest.approx([0.01, 0.055, 0.1, 0.05, 0.0, 0.0], abs=1e-6)


def test_one_cycle():
    schedule = OneCycle(max_lr=0.4, total_steps=100, pct_start=0.25)
    end = 0.4 / 25 / 1e4
    expected = [0.016, 0.016 + 0.384 / 2, 0.4, end + (0.4 - end) / 2, end]
    assert rates(schedule, [0, 12.5, 25, 62.5, 100]) == pytest.approx(expected, rel=1e-4)


def test_bad_arguments():
    with pytest.raises(ValueError, match="mode must be one of"):
        CyclicalLearningRate(mode="sawtooth")
    with pytest.raises(ValueError, match="must exceed warmup_steps"):
        WarmupCosine(total_steps=10, warmup_steps=10)
    with pytest.raises(ValueError, match="pct_start"):
        OneCycle(pct_start=1.5)


@pytest.mark.parametrize(
    "schedule", [CyclicalLearningRate(), WarmupCosine(), OneCycle()], ids=lambda s: type(s).__name__
)
def test_schedules_survive_a_keras_file(schedule, tmp_path):
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    model.compile(keras.optimizers.SGD(schedule), "mse")
    model.fit(np.zeros((4, 3)), np.zeros((4, 2)), verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    restored = loaded.optimizer.learning_rate
    assert type(loaded.optimizer._learning_rate) is type(schedule)
    assert float(keras.ops.convert_to_numpy(restored)) == pytest.approx(rates(schedule, [1])[0], rel=1e-5)


def test_recipes_build_their_schedules():
    seed = recipe("seed")
    assert isinstance(seed.schedule_for(200), CyclicalLearningRate)
    assert seed.batch_size == 250 and seed.momentum == 0.95 and seed.augment == "none" and seed.epoch_fraction == 0.5
    baseline = recipe("baseline")
    assert isinstance(baseline.schedule_for(100), keras.optimizers.schedules.CosineDecay)
    assert baseline.label_smoothing == 0.1
    assert baseline.with_batch_size(512).learning_rate == pytest.approx(0.4)
    assert isinstance(recipe("fast").schedule_for(100), OneCycle) and recipe("fast").test_time_flip
    assert recipe("demo", epochs=3).epochs == 3
    with pytest.raises(ValueError, match="unknown recipe"):
        recipe("slow")


def test_baseline_uses_keras_cosine_decay_equal_to_warmup_cosine():
    """Keras' own CosineDecay with warm-up (portable checkpoints) equals the kit's WarmupCosine,
    which the learners' warm-up exercise still checks against."""
    steps = np.arange(0, 1000, 7)
    keras_schedule = recipe("baseline", epochs=10).schedule_for(100)  # warm-up: 2 epochs = 200 steps
    ours = WarmupCosine(peak_lr=0.1, total_steps=1000, warmup_steps=200)
    theirs = [float(keras.ops.convert_to_numpy(keras_schedule(step))) for step in steps]
    expected = [float(keras.ops.convert_to_numpy(ours(step))) for step in steps]
    np.testing.assert_allclose(theirs, expected, atol=1e-7)
