"""Checkers for the architecture exercises of notebook 02: residual, pre-activation and
bottleneck blocks written by the learner as `block(x, filters, stride=1) -> tensor`."""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np

from tinylib.checks.feedback import ExerciseError, attempt, checker, expect, passed
from tinylib.models import bottleneck_block, residual_block

Block = Callable[..., object]


def _build(block: Block, input_shape: tuple[int, int, int], filters: int, stride: int) -> keras.Model:
    inputs = keras.Input(input_shape)
    call = f"calling your block on an input of shape {inputs.shape} with filters={filters}, stride={stride}"
    outputs = attempt(lambda: block(inputs, filters, stride=stride), call)
    expect(
        isinstance(outputs, keras.KerasTensor),
        f"your block should return a tensor; it returned {type(outputs).__name__}",
    )
    return keras.Model(inputs, outputs)


def _expect_shape(model: keras.Model, expected: tuple, filters: int, stride: int, hint: str) -> None:
    found = tuple(model.output.shape)
    expect(
        found == expected,
        f"your block returns shape {found} for input {tuple(model.input.shape)}, filters={filters}, stride={stride}; "
        f"expected {expected}. {hint}",
    )


def _expect_parameters(model: keras.Model, expected: int, what: str) -> None:
    found = model.count_params()
    expect(
        found == expected,
        f"your block has {found:,} parameters for {what}; the textbook block has {expected:,}. "
        "Check: convolutions without bias (use_bias=False), one BatchNormalization after each convolution, "
        "and a 1x1 projection only when the shape changes.",
    )


def _with_zero_kernels(model: keras.Model, inputs: np.ndarray) -> np.ndarray:
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            layer.kernel.assign(np.zeros(layer.kernel.shape, "float32"))
    return keras.ops.convert_to_numpy(model(inputs, training=False))


def _parameters_of(reference: Block, input_shape: tuple[int, int, int], filters: int, stride: int) -> int:
    inputs = keras.Input(input_shape)
    return keras.Model(inputs, reference(inputs, filters, stride=stride)).count_params()


def _shapes(block: Block, filters: int, expansion: int) -> tuple[keras.Model, keras.Model]:
    """The learner's block kept-shape and downsampling (stride 2, twice the filters)."""
    channels = filters * expansion
    same = _build(block, (8, 8, channels), filters, 1)
    _expect_shape(same, (None, 8, 8, channels), filters, 1, "With stride=1 the block keeps height, width and channels.")
    down = _build(block, (8, 8, channels), 2 * filters, 2)
    hint = "With stride=2 the block halves height and width (and the shortcut must do the same)."
    _expect_shape(down, (None, 4, 4, 2 * channels), 2 * filters, 2, hint)
    return same, down


def _parameters(
    same: keras.Model, down: keras.Model, reference: Block, name: str, filters: int, expansion: int
) -> None:
    """Parameter counts against `reference`, the library's own block."""
    channels = filters * expansion
    _expect_parameters(
        same, _parameters_of(reference, (8, 8, channels), filters, 1), f"{name} keeping {channels} channels"
    )
    expected = _parameters_of(reference, (8, 8, channels), 2 * filters, 2)
    _expect_parameters(down, expected, f"{name} going to {2 * channels} channels, stride 2")


@checker
def check_residual_block(block: Block) -> None:
    """The basic post-activation block: conv-BN-ReLU-conv-BN, add the shortcut, ReLU."""
    same, down = _shapes(block, 16, 1)
    x = np.random.default_rng(0).random((2, 8, 8, 16), dtype=np.float32)  # >= 0, like a ReLU output
    output = _with_zero_kernels(same, x)
    expect(
        not np.allclose(output, 0, atol=1e-4),
        "with all convolution weights at zero your block outputs zeros: the input is never added back "
        "(the skip connection is missing).",
    )
    expect(
        np.allclose(output, x, atol=1e-4),
        "with all convolution weights at zero, a residual block should pass a non-negative input through unchanged "
        "(ReLU(0 + x) = x); yours changes it. Is the input added to the branch output, before the last ReLU?",
    )
    _parameters(same, down, lambda x, f, stride: residual_block(x, f, stride), "a basic block", 16, 1)
    passed("residual block")


@checker
def check_preact_block(block: Block) -> None:
    """The pre-activation block: BN-ReLU-conv-BN-ReLU-conv, then add; nothing after the addition."""
    same, down = _shapes(block, 16, 1)
    x = np.random.default_rng(1).normal(size=(2, 8, 8, 16)).astype(np.float32)  # negative values too
    output = _with_zero_kernels(same, x)
    expect(
        not np.allclose(output, 0, atol=1e-4),
        "with zero weights your block outputs zeros: the skip connection is missing.",
    )
    expect(
        not np.allclose(output, np.maximum(x, 0), atol=1e-4),
        "your block applies a ReLU after the addition; in the pre-activation block nothing follows the addition, "
        "so negative inputs pass through too.",
    )
    expect(
        np.allclose(output, x, atol=1e-4),
        "with zero convolution weights a pre-activation block should return its input exactly; yours changes it. "
        "Does the shortcut carry x itself (not its normalised version) when the shape is kept?",
    )
    reference = lambda x, f, stride: residual_block(x, f, stride, preact=True)  # noqa: E731
    _parameters(same, down, reference, "a pre-activation block", 16, 1)
    passed("pre-activation block")


@checker
def check_bottleneck_block(block: Block) -> None:
    """The bottleneck block: 1x1 (filters) -> 3x3 (filters, stride) -> 1x1 (4 x filters), each
    followed by BN (ReLU after the first two), add the shortcut, ReLU."""
    same, down = _shapes(block, 4, 4)
    x = np.random.default_rng(2).random((2, 8, 8, 16), dtype=np.float32)
    output = _with_zero_kernels(same, x)
    expect(
        not np.allclose(output, 0, atol=1e-4),
        "with zero weights your block outputs zeros: the skip connection is missing.",
    )
    expect(
        np.allclose(output, x, atol=1e-4),
        "with zero weights a bottleneck block should pass a non-negative input through.",
    )
    _parameters(same, down, lambda x, f, stride: bottleneck_block(x, f, stride), "a bottleneck block", 4, 4)
    passed("bottleneck block")


# (size, kernel, stride, padding): odd and even sizes, the 7x7 stem, 1x1 projections
CONV_CASES = ((64, 3, 1, "same"), (64, 3, 2, "same"), (63, 3, 2, "same"), (64, 7, 2, "same"), (64, 3, 1, "valid"),
              (64, 7, 2, "valid"), (63, 3, 2, "valid"), (8, 1, 2, "valid"), (5, 3, 3, "same"))  # fmt: skip


def _conv_size(size: int, kernel: int, stride: int, padding: str) -> int:
    layer = keras.layers.Conv2D(1, kernel, strides=stride, padding=padding)
    return int(layer.compute_output_shape((1, size, size, 1))[1])


@checker
def check_conv_output_size(function: Callable[[int, int, int, str], int]) -> None:
    """Check ``function(size, kernel, stride, padding) -> int``: the output height (= width)
    of a Keras Conv2D on a size x size input; padding "same" or "valid". Keras itself gives
    the truth. Prints a success line, or raises ExerciseError."""
    for size, kernel, stride, padding in CONV_CASES:
        call = f"conv_output_size({size}, kernel={kernel}, stride={stride}, padding={padding!r})"
        answer = attempt(function, call, size, kernel, stride, padding)
        expect(
            isinstance(answer, (int, np.integer)) and not isinstance(answer, bool),
            f"{call} returned {type(answer).__name__} {answer!r}; a size is an int (use // or math.ceil).",
        )
        truth = _conv_size(size, kernel, stride, padding)
        if answer == truth:
            continue
        if padding == "same" and answer == size:
            hint = "'same' keeps the size only with stride 1; with a stride it divides the size (rounding up)."
        elif padding == "same" and answer == size // stride:
            hint = "'same' rounds up: an odd size with stride 2 keeps its last, partly covered window."
        elif padding == "valid" and answer == (size - kernel) // stride:
            hint = "one too few: count the first window too ((size - kernel) // stride + 1)."
        elif padding == "valid" and answer == -(-size // stride):
            hint = "that is 'same'. With 'valid' there is no padding, so the kernel must fit inside the input."
        else:
            hint = "work it out on paper for a 5-pixel row: where can the kernel's window start?"
        raise ExerciseError(f"{call} returned {answer}, which is wrong: {hint}")
    passed("convolution output size")
