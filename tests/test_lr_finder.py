"""The learning-rate range test: the model untouched, the suggestion inside the ramp, early stop, plot, CLI."""

import tinylib  # noqa: F401  first: it turns TensorFlow's oneDNN kernels off before keras loads TensorFlow

# isort: split
import shutil

import keras
import numpy as np
import pytest
from conftest import small_model

from tinylib import plots
from tinylib.cli import main
from tinylib.train import TrainingData, find_learning_rate, recipe
from tinylib.train.lr_finder import MINIMUM, RULES, STEEPEST, exponential_ramp, suggest

pytestmark = [pytest.mark.backend, pytest.mark.every_backend]


@pytest.fixture(scope="module")
def root(tmp_path_factory, synthetic_root):
    """A copy of the synthetic set (packing writes into the dataset folder)."""
    return shutil.copytree(synthetic_root, tmp_path_factory.mktemp("lr-find") / "tiny-synthetic")


@pytest.fixture(scope="module")
def data(root):
    return TrainingData.from_root(root, progress=False)


def test_the_model_its_optimiser_and_its_state_are_unchanged_and_the_suggestion_is_inside_the_ramp(data):
    model = small_model(width=4)
    model.compile(optimizer=keras.optimizers.SGD(0.01, momentum=0.9), loss="categorical_crossentropy")
    model.train_on_batch(data.train_images[:8] / 255, keras.utils.to_categorical(data.train_labels[:8], 4))
    optimizer = model.optimizer
    weights = [np.array(w) for w in model.get_weights()]  # BatchNorm statistics included
    state = [np.array(v) for v in optimizer.variables]  # iteration count and momentum
    result = find_learning_rate(model, data, recipe("baseline", batch_size=16), steps=40)
    assert model.optimizer is optimizer
    assert all(np.array_equal(a, b) for a, b in zip(weights, model.get_weights(), strict=True))
    assert all(np.array_equal(a, np.array(b)) for a, b in zip(state, optimizer.variables, strict=True))
    steps = len(result.rates)
    assert len(result.losses) == len(result.smoothed) == steps and 2 <= steps <= 40
    assert result.rates[0] == pytest.approx(1e-7) and np.all(np.diff(result.rates) > 0)
    assert result.rule == MINIMUM and set(result.suggestions) == set(RULES)
    assert 1e-7 <= result.suggestion <= 10
    if result.divergence is not None:
        assert result.suggestion < result.divergence
    average = 0.0  # the smoothed loss is the bias-corrected exponential moving average (beta 0.98)
    for step, loss in enumerate(result.losses):
        average = 0.98 * average + 0.02 * loss
        assert result.smoothed[step] == pytest.approx(average / (1 - 0.98 ** (step + 1)))
    assert str(result).startswith(f"suggested learning rate {result.suggestion:.2g} (minimum / 10")


@pytest.fixture(scope="module")
def diverged(data):
    """A ramp to a huge rate."""
    ramp = dict(start=1e-3, end=1e7, steps=200)
    return find_learning_rate(small_model(width=4), data, recipe("baseline", batch_size=16), **ramp)


def test_a_ramp_to_a_huge_rate_stops_early_at_the_divergence(diverged):
    result = diverged
    assert len(result.rates) < 200
    assert result.divergence is not None and result.divergence >= result.rates[-1]
    assert result.suggestion < result.divergence
    assert "diverged at" in str(result)


def test_an_optimizer_can_replace_the_recipe_and_is_not_touched(data):
    given = keras.optimizers.AdamW(1e-3, weight_decay=1e-4)
    result = find_learning_rate(small_model(width=4), data, given, steps=12, batch_size=16, rule=STEEPEST)
    assert float(given.learning_rate) == pytest.approx(1e-3) and int(keras.ops.convert_to_numpy(given.iterations)) == 0
    assert result.suggestion == result.suggestions[STEEPEST] and len(result.rates) <= 12
    with pytest.raises(ValueError, match="rule must be one of"):
        find_learning_rate(small_model(width=4), data, given, rule="valley")


def test_suggest_follows_the_named_rules_on_a_known_curve():
    rates = np.logspace(-6, 1, 71)  # 0.1 decade apart
    logs = np.log10(rates)
    loss = 2.0 - np.tanh(logs + 3) + np.where(logs > -1, 5 * (logs + 1) ** 2, 0)  # falls fastest at 1e-3, lowest ~0.1
    found = suggest(rates, loss)
    assert found[STEEPEST] == pytest.approx(1e-3, rel=0.3)
    lowest = rates[7:66][np.argmin(loss[7:66])]
    assert found[MINIMUM] == pytest.approx(lowest / 10)
    assert found[MINIMUM] < rates[np.argmax(loss > 4 * loss.min())]  # below where it would diverge


def test_exponential_ramp_runs_from_start_to_end():
    ramp = exponential_ramp(1e-7, 10.0, 101)
    assert float(ramp(0)) == pytest.approx(1e-7) and float(ramp(50)) == pytest.approx(1e-3, rel=1e-4)
    assert float(ramp(100)) == pytest.approx(10.0, rel=1e-4)
    with pytest.raises(ValueError, match="0 < start < end"):
        exponential_ramp(1.0, 0.1, 10)


def test_the_plot_marks_the_suggestion_and_the_divergence_on_a_log_axis(diverged):
    axis = plots.lr_finder(diverged).axes[0]
    assert axis.get_xscale() == "log"
    legend = [text.get_text() for text in axis.get_legend().get_texts()]
    assert f"minimum / 10: {diverged.suggestion:.2g} (suggested)" in legend
    assert f"diverging: {diverged.divergence:.2g}" in legend


def test_cli_prints_one_line_with_the_suggestion_and_saves_the_plot(root, tmp_path, capsys):
    picture = tmp_path / "lr.png"
    arguments = ["lr-find", "--data", str(root), "--model", "resnet10", "--width", "4", "--batch-size", "16"]
    assert main([*arguments, "--steps", "30", "--start", "1e-4", "--plot", str(picture)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("resnet10_w4: suggested learning rate ")
    assert "minimum / 10" in lines[0]
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["lr-find", "--data", str(root), "--start", "1", "--end", "0.1"]) == 2  # explained, not a traceback
