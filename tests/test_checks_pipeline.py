"""The tf.data pipeline checker: passes two right pipelines, names each classic mistake."""

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from tinylib.checks import ExerciseError, check_tf_data_pipeline  # noqa: E402
from tinylib.checks.pipeline import TRAIN_CASE, VAL_CASE, colours  # noqa: E402

pytestmark = pytest.mark.versions


def load(path, label, channels=3, scale=255.0):
    image = tf.io.decode_jpeg(tf.io.read_file(path), channels=channels)
    return tf.cast(image, tf.float32) / scale, label


def build(files, labels, batch_size, training, *, order="read cache shuffle batch", **options):
    """A pipeline in the given order of steps; `options` pass on to `load`."""
    dataset = tf.data.Dataset.from_tensor_slices((files, labels))
    for step in order.split():
        if step == "read":
            dataset = dataset.map(lambda path, label: load(path, label, **options))
        elif step == "cache":
            dataset = dataset.cache()
        elif step == "shuffle" and training:
            dataset = dataset.shuffle(len(files))
        elif step == "batch":
            dataset = dataset.batch(batch_size)
    return dataset.prefetch(tf.data.AUTOTUNE)


def reference(files, labels, batch_size, training):
    return build(files, labels, batch_size, training)


def with_convert_image_dtype(files, labels, batch_size, training):
    """A second right answer: decode_image + convert_image_dtype (which scales), parallel map, seeded shuffle."""

    def read(path, label):
        image = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
        return tf.image.convert_image_dtype(image, tf.float32), label

    dataset = tf.data.Dataset.from_tensor_slices((files, labels)).map(read, num_parallel_calls=tf.data.AUTOTUNE)
    dataset = dataset.cache()
    if training:
        dataset = dataset.shuffle(1000, seed=3)
    return dataset.batch(batch_size).prefetch(1)


def shuffled_apart(files, labels, batch_size, training):
    images = tf.data.Dataset.from_tensor_slices(files).map(lambda path: load(path, 0)[0]).cache()
    labels = tf.data.Dataset.from_tensor_slices(labels)
    if training:
        images = images.shuffle(100)
    return tf.data.Dataset.zip((images, labels)).batch(batch_size)


WRONG = {
    "not scaled": (lambda f, y, b, t: build(f, y, b, t, scale=1.0), "up to 2"),
    "uint8": (lambda f, y, b, t: build(f, y, b, t).map(lambda x, y: (tf.cast(x * 255, tf.uint8), y)), "float32"),
    "minus one to one": (lambda f, y, b, t: build(f, y, b, t, scale=127.5).map(lambda x, y: (x - 1, y)), "not [-1, 1]"),
    "channels=0": (lambda f, y, b, t: build(f, y, b, t, channels=0), "channels=3"),
    "val shuffled": (lambda f, y, b, t: build(f, y, b, True), "do not shuffle"),
    "batch before map": (lambda f, y, b, t: build(f, y, b, t, order="batch read cache shuffle"), "batch before map"),
    "no cache": (lambda f, y, b, t: build(f, y, b, t, order="read shuffle batch"), "Add .cache()"),
    "cache before decoding": (lambda f, y, b, t: build(f, y, b, t, order="cache read shuffle batch"), "Add .cache()"),
    "shuffled batches": (lambda f, y, b, t: build(f, y, b, t, order="read cache batch shuffle"), "whole batches"),
    "never shuffled": (lambda f, y, b, t: build(f, y, b, False), "shuffle the (image, label) pairs"),
    "cache after shuffle": (lambda f, y, b, t: build(f, y, b, t, order="read shuffle cache batch"), "same order"),
    "shuffled apart": (shuffled_apart, "labels do not belong"),
    "fixed batch size": (lambda f, y, b, t: build(f, y, 128, t), "first batch holds"),
    "drop remainder": (lambda f, y, b, t: build(f, y, b, t).unbatch().batch(b, drop_remainder=True), "exactly once"),
    "not batched": (lambda f, y, b, t: build(f, y, b, t).unbatch(), "batch them"),
    "a list": (lambda f, y, b, t: list(build(f, y, b, t)), "return the tf.data.Dataset"),
    "images only": (lambda f, y, b, t: build(f, y, b, t).map(lambda x, y: x), "(images, labels)"),
}


@pytest.mark.parametrize("function", [reference, with_convert_image_dtype])
def test_right_pipelines_pass(function, capsys):
    check_tf_data_pipeline(function)
    assert "✓ tf.data pipeline: correct" in capsys.readouterr().out


@pytest.mark.parametrize("name", WRONG)
def test_wrong_pipelines_get_specific_feedback(name):
    function, expected = WRONG[name]
    with pytest.raises(ExerciseError) as error:
        check_tf_data_pipeline(function)
    assert expected in str(error.value)


def test_the_colours_tell_every_file_apart():
    for count, _, gray, _ in (VAL_CASE, TRAIN_CASE):
        palette = colours(count, gray).astype(int)
        gaps = np.abs(palette[:, None] - palette[None]).max(axis=-1) + 255 * np.eye(count, dtype=int)
        assert gaps.min() >= 24
        assert all(len(set(palette[index])) == 1 for index in gray)
