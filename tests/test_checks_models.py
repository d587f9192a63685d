"""Each architecture checker passes the reference solution and rejects plausible wrong ones
with a message that says what is wrong."""

import pytest
from keras import layers

from tinylib.checks import ExerciseError
from tinylib.checks.models import (
    check_bottleneck_block,
    check_conv_output_size,
    check_preact_block,
    check_residual_block,
)
from tinylib.models import bottleneck_block, residual_block

pytestmark = pytest.mark.backend


def _conv(x, filters, stride=1, kernel=3, bias=False):
    return layers.Conv2D(filters, kernel, strides=stride, padding="same", use_bias=bias)(x)


def basic(x, filters, stride=1):
    return residual_block(x, filters, stride)


def preact(x, filters, stride=1):
    return residual_block(x, filters, stride, preact=True)


def bottleneck(x, filters, stride=1):
    return bottleneck_block(x, filters, stride)


def no_skip(x, filters, stride=1):
    y = layers.ReLU()(layers.BatchNormalization()(_conv(x, filters, stride)))
    return layers.ReLU()(layers.BatchNormalization()(_conv(y, filters)))


def no_projection(x, filters, stride=1):
    y = layers.ReLU()(layers.BatchNormalization()(_conv(x, filters, stride)))
    y = layers.BatchNormalization()(_conv(y, filters))
    return layers.ReLU()(layers.Add()([x, y]))  # fails when the shape changes


def with_bias(x, filters, stride=1):
    shortcut = (
        x if stride == 1 and x.shape[-1] == filters else layers.BatchNormalization()(_conv(x, filters, stride, 1))
    )
    y = layers.ReLU()(layers.BatchNormalization()(_conv(x, filters, stride, bias=True)))
    y = layers.BatchNormalization()(_conv(y, filters, bias=True))
    return layers.ReLU()(layers.Add()([shortcut, y]))


def stride_ignored(x, filters, stride=1):
    return residual_block(x, filters, 1)


def not_a_tensor(x, filters, stride=1):
    return None


@pytest.mark.parametrize(
    ("checker", "solution"),
    [(check_residual_block, basic), (check_preact_block, preact), (check_bottleneck_block, bottleneck)],
)
def test_reference_solutions_pass(checker, solution, capsys):
    checker(solution)
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("wrong", "message"),
    [
        (no_skip, "skip connection is missing"),
        (no_projection, "raised ValueError"),
        (with_bias, "use_bias=False"),
        (stride_ignored, r"returns shape \(None, 8, 8, 32\).*expected \(None, 4, 4, 32\)"),
        (not_a_tensor, "should return a tensor"),
    ],
)
def test_residual_checker_rejects_with_a_reason(wrong, message):
    with pytest.raises(ExerciseError, match=message):
        check_residual_block(wrong)


def test_preact_checker_rejects_post_activation_and_no_skip():
    with pytest.raises(ExerciseError, match="ReLU after the addition"):
        check_preact_block(basic)
    with pytest.raises(ExerciseError, match="skip connection is missing"):
        check_preact_block(no_skip)


def test_bottleneck_checker_rejects_basic_block_and_no_skip():
    with pytest.raises(ExerciseError, match=r"expected \(None, 8, 8, 16\)"):
        check_bottleneck_block(basic)
    with pytest.raises(ExerciseError, match=r"expected \(None, 8, 8, 16\)"):
        check_bottleneck_block(no_skip)


# --- convolution output size ----------------------------------------------------------------


def conv_output_size(size, kernel, stride, padding):
    if padding == "same":
        return -(-size // stride)
    return (size - kernel) // stride + 1


@pytest.mark.parametrize(
    ("wrong", "message"),
    [
        (
            lambda size, kernel, stride, padding: size if padding == "same" else (size - kernel) // stride + 1,
            "rounding up",
        ),
        (
            lambda size, kernel, stride, padding: (
                size // stride if padding == "same" else (size - kernel) // stride + 1
            ),
            "'same' rounds up",
        ),
        (
            lambda size, kernel, stride, padding: (
                -(-size // stride) if padding == "same" else (size - kernel) // stride
            ),
            "one too few",
        ),
        (lambda size, kernel, stride, padding: -(-size // stride), "that is 'same'"),
        (lambda size, kernel, stride, padding: size / stride, "returned float"),
    ],
)
def test_conv_output_size_checker_names_the_mistake(wrong, message, capsys):
    check_conv_output_size(conv_output_size)
    assert "✓ convolution output size" in capsys.readouterr().out
    with pytest.raises(ExerciseError, match=message):
        check_conv_output_size(wrong)
