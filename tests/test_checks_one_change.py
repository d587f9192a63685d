"""The one-change checker of notebook 05: one field changed from the reference, seed kept."""

import dataclasses

import pytest

from tinylib.checks import ExerciseError, check_one_change
from tinylib.checks.improving import ONE_CHANGE_REFERENCES, _differences
from tinylib.train import recipe

RIGHT = {
    "no label smoothing": lambda reference: reference.replace(label_smoothing=0.0),
    "one-cycle, renamed": lambda reference: reference.replace(schedule="onecycle", name="one-cycle"),
    "double weight decay": lambda reference: dataclasses.replace(reference, weight_decay=2 * reference.weight_decay),
    "larger batch, scaled rate": lambda reference: reference.with_batch_size(2 * reference.batch_size),
}

WRONG = {
    "nothing changed": (lambda reference: reference.replace(name="mine"), "the reference itself"),
    "new seed": (lambda reference: reference.replace(seed=reference.seed + 1, augment="none"), "keep the seed"),
    "two changes": (lambda reference: reference.replace(schedule="onecycle", learning_rate=0.05), "changes 2 things"),
    "from a preset": (lambda reference: recipe("baseline", schedule="onecycle"), "looks built from a"),
    "epochs of the first": (lambda reference: reference.replace(epochs=6, augment="strong"), "2 things"),
    "a dict of changes": (lambda reference: {"label_smoothing": 0.0}, "returned a dict"),
    "a name": (lambda reference: "no label smoothing", "return a Recipe"),
    "crashes": (lambda reference: reference.replace(learning_rte=0.05), "raised TypeError"),
}


@pytest.mark.parametrize("name", RIGHT)
def test_one_change_passes(name, capsys):
    check_one_change(RIGHT[name])
    assert "✓ one change: correct" in capsys.readouterr().out


@pytest.mark.parametrize("name", WRONG)
def test_more_or_less_than_one_change_is_named(name):
    function, expected = WRONG[name]
    with pytest.raises(ExerciseError) as error:
        check_one_change(function)
    assert expected in str(error.value)


def test_the_references_differ_from_every_preset_in_several_fields():
    for reference in ONE_CHANGE_REFERENCES:
        for preset in ("baseline", "seed", "fast", "demo"):
            assert len(_differences(recipe(preset), reference)) >= 2
