import numpy as np
import pytest

from tinylib.data import LayoutError, load_images, read_layout

SAMPLE_GRAYSCALE = {
    "n02099601_59",
    "n02124075_70",
    "n02504458_41",
    "n03444034_71",
    "n04285008_192",
    "n07920052_196",
    "n09246464_56",
    "val_116",
    "val_2537",
    "val_5928",
    "val_7470",
    "val_7927",
    "test_9",
}
SAMPLE_DEGENERATE_TRAIN = {"n01443537_425", "n02056570_233", "n04285008_425", "n09246464_110"}
SAMPLE_DEGENERATE_VAL = {"val_243", "val_2317", "val_3799", "val_7374"}


def test_synthetic_layout_parses(synthetic_root):
    info = read_layout(synthetic_root)
    assert info.num_classes == 4
    assert len(info.train_files) == 48 and len(info.val_files) == 20 and len(info.test_files) == 12
    for path, label in zip(info.train_files, info.train_labels):
        assert path.parent.parent.name == info.wnids[label]
    assert np.bincount(info.val_labels).tolist() == [5, 5, 5, 5]
    annotations = (synthetic_root / "val" / "val_annotations.txt").read_text().splitlines()
    assert [info.wnids[label] for label in info.val_labels] == [line.split("\t")[1] for line in annotations]
    assert info.names[0] == info.words[0] == "solid red circle"
    assert info.train_boxes.shape == (48, 4) and (info.train_boxes >= 0).all()
    assert info.labels("test").tolist() == [-1] * 12
    assert "classes=4" in repr(info)


def test_natural_file_order(tmp_path, synthetic_root):
    info = read_layout(synthetic_root)
    names = [p.name for p in info.train_files[:12]]
    assert names == [f"{info.wnids[0]}_{k}.JPEG" for k in range(12)]


def test_real_sample(sample_root):
    info = read_layout(sample_root)
    assert info.num_classes == 10
    assert len(info.train_files) == 300 and len(info.val_files) == 500 and len(info.test_files) == 10
    assert np.bincount(info.train_labels).tolist() == [30] * 10
    assert np.bincount(info.val_labels).tolist() == [50] * 10
    assert info.names[:2] == ("Egyptian cat", "cliff")
    assert info.words[4] == "goldfish, Carassius auratus"
    first = (sample_root / "val" / "val_annotations.txt").read_text().splitlines()[0].split("\t")
    assert info.val_files[0].name == first[0] and info.wnids[info.val_labels[0]] == first[1]
    assert info.val_boxes[0].tolist() == [int(v) for v in first[2:6]]


def test_real_sample_grayscale_files_decode_to_rgb(sample_root):
    info = read_layout(sample_root)
    files = [p for p in (*info.train_files, *info.val_files, *info.test_files) if p.stem in SAMPLE_GRAYSCALE]
    assert len(files) == 13
    images = load_images(files)
    assert images.shape == (13, 64, 64, 3) and images.dtype == np.uint8
    assert all(np.array_equal(image[..., 0], image[..., 2]) for image in images)


def test_real_sample_degenerate_boxes_are_parsed(sample_root):
    info = read_layout(sample_root)
    for files, boxes, expected in (
        (info.train_files, info.train_boxes, SAMPLE_DEGENERATE_TRAIN),
        (info.val_files, info.val_boxes, SAMPLE_DEGENERATE_VAL),
    ):
        degenerate = {p.stem for p, (x0, y0, x1, y1) in zip(files, boxes) if x0 == x1 or y0 == y1}
        assert degenerate == expected
    assert ((info.train_boxes >= 0) & (info.train_boxes <= 63)).all()


def test_missing_folder_says_what_to_do(tmp_path):
    with pytest.raises(LayoutError, match="tinylib data prepare"):
        read_layout(tmp_path / "nowhere")


def test_parent_folder_points_at_the_dataset(tmp_path, synthetic_root):
    with pytest.raises(LayoutError, match=f"did you mean {synthetic_root}"):
        read_layout(synthetic_root.parent)


def _copy(root, target):
    import shutil

    return shutil.copytree(root, target)


def test_val_annotation_for_a_missing_image(tmp_path, synthetic_root):
    root = _copy(synthetic_root, tmp_path / "copy")
    (root / "val" / "images" / "val_3.JPEG").unlink()
    with pytest.raises(LayoutError, match="1 images listed .* missing .*val_3.JPEG"):
        read_layout(root)


def test_val_annotation_with_unknown_class(tmp_path, synthetic_root):
    root = _copy(synthetic_root, tmp_path / "copy")
    annotations = root / "val" / "val_annotations.txt"
    lines = annotations.read_text().splitlines()
    lines[1] = "\t".join([lines[1].split("\t")[0], "n99999999", "0", "0", "1", "1"])
    annotations.write_text("\n".join(lines) + "\n")
    with pytest.raises(LayoutError, match=r"val_annotations.txt:2: class n99999999 is not in wnids.txt"):
        read_layout(root)


def test_bad_box_is_reported_with_its_file(tmp_path, synthetic_root):
    root = _copy(synthetic_root, tmp_path / "copy")
    wnid = (root / "wnids.txt").read_text().split()[0]
    boxes = root / "train" / wnid / f"{wnid}_boxes.txt"
    boxes.write_text(boxes.read_text().replace("\t", "\tx", 1))
    with pytest.raises(LayoutError, match="bad box"):
        read_layout(root)
