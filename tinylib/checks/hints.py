"""Help for a learner who is stuck: a hint per exercise, and short messages instead of tracebacks.

`hint("check_pad_crop")` (or `hint(check_pad_crop)`) prints a nudge that names the idea, not
the answer. In IPython and Jupyter, importing `tinylib.checks` installs `short_errors`: a
wrong answer or an exercise not written yet shows the checker's one or two lines, never a
traceback through tinylib (other errors keep their full traceback).
"""

from __future__ import annotations

from collections.abc import Callable

HINTS = {
    "check_tf_data_pipeline": "Start from tf.data.Dataset.from_tensor_slices((files, labels)); map a function that "
    "reads (tf.io.read_file), decodes with channels=3 and scales to float32 in [0, 1]; then cache(); shuffle only "
    "when training; then batch() and prefetch().",
    "check_val_label": "Val labels are not in folder names: read val/val_annotations.txt (tab-separated: file name, "
    "wnid, box) and turn the wnid into its line number in wnids.txt.",
    "check_pad_crop": "np.pad the image by `pad` on height and width only (not channels), then slice a window of the "
    "original height and width that starts at (pad + dy, pad + dx).",
    "check_channel_stats": "Divide by 255 first, then take mean and std over every axis except the last "
    "(axis=(0, 1, 2)): one value per colour channel.",
    "check_conv_output_size": "'valid': (size - kernel) // stride + 1. 'same': the kernel does not matter, only "
    "the stride: ceil(size / stride).",
    "check_residual_block": "conv3x3(stride) -> BN -> ReLU -> conv3x3 -> BN, then add the shortcut and apply ReLU. "
    "The shortcut is x itself, or a 1x1 conv with the same stride + BN when the shape changes.",
    "check_preact_block": "BN -> ReLU first, then conv3x3(stride); BN -> ReLU -> conv3x3; add the shortcut and stop: "
    "nothing after the addition. A projection shortcut takes the pre-activated input.",
    "check_bottleneck_block": "1x1 conv (filters) -> BN -> ReLU -> 3x3 conv (filters, stride) -> BN -> ReLU -> 1x1 "
    "conv (4 x filters) -> BN; add the shortcut (projected when the shape changes), then ReLU.",
    "check_triangular": "Find which cycle the step is in (cycle = 1 + step // (2 * step_size)) and how far it is "
    "from that cycle's peak (x = |step / step_size - 2 * cycle + 1|); the rate falls linearly with x.",
    "check_warmup_cosine": "Two pieces: during warm-up go linearly from 0.1 x peak to the peak; afterwards "
    "0.5 x peak x (1 + cos(pi x progress)), progress from 0 to 1 over the remaining steps; 0 after total_steps.",
    "check_top5_accuracy": "np.argsort each row (or np.argpartition) to get the five largest classes, then check "
    "whether the label is among them; average over rows.",
    "check_confusion_matrix": "Start from np.zeros((num_classes, num_classes), int); add 1 at [true, predicted] "
    "for every image (np.add.at does it in one call). Rows are the true classes.",
    "check_grad_cam_core": "Average the gradients over height and width: one weight per channel. Weight the maps, "
    "sum over channels, ReLU, divide by the maximum (unless it is 0).",
    "check_one_change": "Use dataclasses.replace(reference, field=new_value) on exactly one field; keep the seed. "
    "For the batch size, reference.with_batch_size(n) scales the learning rate too.",
    "check_label_smoothing": "Build the one-hot matrix (np.eye(num_classes)[labels]), multiply it by "
    "(1 - smoothing) and add smoothing / num_classes everywhere.",
    "check_flip_average": "Mirror left-right along the width axis (images[:, :, ::-1]), predict both batches and "
    "average the two probability arrays.",
    "check_class_weights": "Per class: the share of its val images the model gets wrong (at least 0.05); then "
    "divide every weight by their mean, and return {class index: weight}.",
    "check_split_key": "Encode f\"{seed}/{path}\" as bytes and hash it with hashlib.sha256; the first 8 bytes of the "
    "digest, read as a big-endian integer and divided by 2**64, give a number in [0, 1).",
    "check_centre_square": "The side is min(width, height); the margin of the longer side is split in two with //, "
    "so the odd pixel goes to the right or the bottom; right = left + side, bottom = top + side.",
}


def hint(exercise: str | Callable) -> None:
    """Print the hint of `exercise`: a checker's name ("check_pad_crop") or the checker itself.

    Raises KeyError (naming the exercises that have hints) for an unknown exercise."""
    name = exercise if isinstance(exercise, str) else getattr(exercise, "__name__", str(exercise))
    if name not in HINTS:
        raise KeyError(f"no hint for {name!r}; exercises with hints: {', '.join(sorted(HINTS))}")
    print(f"Hint ({name}): {HINTS[name]}")


def _short(shell, kind, error, trace, tb_offset=None) -> list[str]:
    """IPython custom-exception handler: the checker's message as the whole traceback (IPython
    leaves showing it to the handler; `_showtraceback` is how ipykernel sends an error output)."""
    from tinylib.checks.feedback import NotWrittenYet

    lines = [f"✗ {kind.__name__}: {error}"]
    if error.exercise and not isinstance(error, NotWrittenYet):
        lines.append(f'Stuck? from tinylib.checks import hint; hint("{error.exercise}")')
    shell._showtraceback(kind, error, lines)
    return lines


def short_errors() -> bool:
    """In IPython (Jupyter, Colab), show ExerciseError as its message alone; True where installed."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None or not hasattr(shell, "set_custom_exc"):
        return False
    from tinylib.checks.feedback import ExerciseError, NotWrittenYet

    shell.set_custom_exc((ExerciseError, NotWrittenYet), _short)
    return True
