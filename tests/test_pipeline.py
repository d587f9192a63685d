import numpy as np
import pytest
from PIL import Image

from tinylib.data import batches, load_images, load_split, read_layout

pytestmark = pytest.mark.versions


def test_tf_data_pipeline_batches(synthetic_root):
    info = read_layout(synthetic_root)
    found = list(batches(info.train_files, info.train_labels, batch_size=16))
    assert [len(labels) for _, labels in found] == [16, 16, 16]
    images, labels = found[0]
    assert images.shape == (16, 64, 64, 3) and images.dtype.name == "float32"
    assert 0.0 <= float(np.min(images)) and float(np.max(images)) <= 1.0
    np.testing.assert_array_equal(np.concatenate([labels.numpy() for _, labels in found]), info.train_labels)


def test_tf_decode_matches_pil_decode(synthetic_root):
    info = read_layout(synthetic_root)
    from_tf = next(iter(batches(info.val_files, batch_size=20))).numpy()
    from_pil = load_images(info.val_files).astype(np.float32) / 255
    assert from_tf.shape == from_pil.shape == (20, 64, 64, 3)
    assert np.abs(from_tf - from_pil).mean() < 2 / 255


def test_shuffle_is_a_seeded_permutation(synthetic_root):
    info = read_layout(synthetic_root)

    def order(seed):
        return np.concatenate(
            [
                labels.numpy()
                for _, labels in batches(info.train_files, np.arange(48), batch_size=48, shuffle=True, seed=seed)
            ]
        )

    first = order(1)
    assert sorted(first) == list(range(48)) and list(first) != list(range(48))
    np.testing.assert_array_equal(first, order(1))
    assert list(first) != list(order(2))


def test_repeat_loops_past_one_epoch(synthetic_root):
    info = read_layout(synthetic_root)
    dataset = batches(info.val_files, info.val_labels, batch_size=8, repeat=True)
    assert sum(len(labels) for _, labels in dataset.take(5)) == 40 > len(info.val_files)


def test_grayscale_files_get_three_channels(synthetic_root):
    info = read_layout(synthetic_root)
    gray = [p for p in info.train_files if Image.open(p).mode == "L"]
    assert gray
    images = next(iter(batches(gray, batch_size=len(gray)))).numpy()
    assert images.shape[-1] == 3
    np.testing.assert_array_equal(images[..., 0], images[..., 1])


def test_load_images_resizes_other_sizes_and_modes(tmp_path):
    Image.new("RGBA", (100, 80), (255, 0, 0, 255)).save(tmp_path / "odd.png")
    Image.new("RGBA", (100, 80), (255, 0, 0, 128)).save(tmp_path / "half.png")
    images = load_images([tmp_path / "odd.png", tmp_path / "half.png"])
    assert images.shape == (2, 64, 64, 3)
    assert tuple(images[0, 10, 10]) == (255, 0, 0)
    assert tuple(images[1, 10, 10]) == (255, 127, 127)  # half-transparent red over white, as a viewer shows it
    assert load_images([]).shape == (0, 64, 64, 3)


def test_load_split(synthetic_root):
    info = read_layout(synthetic_root)
    images, labels = load_split(info, "val", limit=7)
    assert images.shape == (7, 64, 64, 3) and labels.tolist() == info.val_labels[:7].tolist()
    assert load_split(info, "test")[1].tolist() == [-1] * 12
    with pytest.raises(ValueError, match="split must be"):
        load_split(info, "validation")


def test_mismatched_labels_are_refused(synthetic_root):
    info = read_layout(synthetic_root)
    with pytest.raises(ValueError, match="20 files but 3 labels"):
        batches(info.val_files, [0, 1, 2], batch_size=8)
    with pytest.raises(ValueError, match="at least one file"):
        batches([], batch_size=8)
