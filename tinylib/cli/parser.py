"""The `tinylib` command line: every command, its arguments and their help."""

from __future__ import annotations

import argparse

from tinylib.cli.grading import course_grade
from tinylib.cli.handlers import (
    _course_build,
    _demo,
    _download,
    _env,
    _evaluate,
    _export,
    _info,
    _lr_find,
    _pack,
    _predict,
    _prepare,
    _report,
    _subset,
    _synthetic,
    _train,
    _verify,
)


def _positive(text: str) -> int:
    """argparse type: a whole number >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def add_training_commands(commands) -> None:
    """demo, train, evaluate, report."""
    from tinylib.config import PRECISIONS

    demo = commands.add_parser("demo", help="synthetic data -> train a small ResNet -> evaluate -> report")
    demo.add_argument("--workdir", default="runs/demo", help="where to write the report (default: runs/demo)")
    demo.add_argument(
        "--data",
        default=None,
        help="a dataset in the official layout (default: the synthetic one, generated under $TINYLIB_DATA)",
    )
    demo.set_defaults(run=_demo)

    fit = commands.add_parser("train", help="train a model with a recipe into a work folder (resumes when re-run)")
    fit.add_argument(
        "--data",
        default="synthetic",
        help="a dataset root: the official layout, or a folder of class folders of your images; or 'synthetic'",
    )
    fit.add_argument("--model", default="resnet18", help="seed_net, resnet10, resnet18, resnet34, plain18, plain34")
    fit.add_argument("--recipe", default="baseline", help="seed, baseline, fast or demo")
    fit.add_argument("--epochs", type=_positive, default=None, help="override the recipe's number of epochs")
    fit.add_argument(
        "--batch-size", type=_positive, default=None, help="override the batch size (learning rate scales)"
    )
    fit.add_argument("--width", type=_positive, default=None, help="ResNet width (default: the profile's)")
    precision = "Keras dtype policy (default: auto: mixed precision on GPUs/TPUs, float32 on CPUs)"
    fit.add_argument("--precision", choices=PRECISIONS, default="auto", help=precision)
    fit.add_argument("--stem", choices=("cifar", "imagenet"), default=None, help="ResNet stem (default: the profile's)")
    fit.add_argument("--workdir", required=True, help="the run's folder; the same folder continues a stopped run")
    fit.add_argument("--max-minutes", type=float, default=None, help="stop cleanly after the epoch that passes this")
    fit.set_defaults(run=_train)

    evaluate = commands.add_parser("evaluate", help="evaluate a work folder's best model on every val image")
    evaluate.add_argument("workdir", help="a folder written by `tinylib train`")
    evaluate.add_argument("--data", default=None, help="dataset root (default: the one the run trained on)")
    evaluate.set_defaults(run=_evaluate)

    report = commands.add_parser("report", help="write a self-contained HTML report of a work folder")
    report.add_argument("workdir", help="a folder written by `tinylib train` (or `tinylib demo`)")
    report.add_argument("--data", default=None, help="dataset root (default: the one the run trained on)")
    report.add_argument("--output", default=None, help="where to write it (default: WORKDIR/report.html)")
    report.add_argument("--quiet", action="store_true", help="no progress bars")
    report.set_defaults(run=_report)


def add_lr_find_command(commands) -> None:
    """lr-find: the learning-rate range test."""
    find = commands.add_parser(
        "lr-find",
        help="the learning-rate range test: a suggested peak learning rate in a few hundred steps",
        description="Train a copy of the model for up to --steps batches while the learning rate grows "
        "exponentially from --start to --end (Smith 2015; fastai's lr_find); print the suggested rate and the "
        "rule that chose it. Nothing is written except the --plot picture.",
    )
    find.add_argument("--data", default="synthetic", help="dataset root in the official layout, or 'synthetic'")
    find.add_argument("--model", default="resnet10", help="seed_net, resnet10, resnet18, resnet34, plain18, plain34")
    find.add_argument("--width", type=_positive, default=None, help="ResNet width (default: the profile's)")
    find.add_argument("--stem", choices=("cifar", "imagenet"), default=None, help="ResNet stem (default: profile)")
    find.add_argument("--recipe", default="baseline", help="whose optimiser settings to use (default: baseline)")
    find.add_argument("--batch-size", type=_positive, default=None, help="default: the recipe's")
    find.add_argument("--steps", type=_positive, default=200, help="length of the ramp in batches (default: 200)")
    find.add_argument("--start", type=float, default=1e-7, help="first learning rate (default: 1e-7)")
    find.add_argument("--end", type=float, default=10.0, help="last learning rate (default: 10)")
    find.add_argument("--plot", default=None, metavar="PNG", help="also save the loss-against-rate picture here")
    find.set_defaults(run=_lr_find)


def add_model_commands(commands) -> None:
    """export and predict."""
    from tinylib.export import FORMATS

    contract = (
        "Every format takes float32 (N, 64, 64, 3) RGB images in [0, 1] (uint8 pixels / 255) and returns "
        "float32 (N, C) softmax probabilities; column i is named by line i of labels.txt."
    )
    export = commands.add_parser(
        "export",
        help="export a work folder's model (keras, savedmodel, tflite, onnx) with its class names",
        description="Export a trained model with labels.txt and wnids.txt into one folder, written atomically. "
        + contract,
    )
    export.add_argument("workdir", help="a folder written by `tinylib train`")
    export.add_argument(
        "--format", choices=FORMATS, default="keras", help="default: keras (onnx: pip install tf2onnx onnx onnxruntime)"
    )
    export.add_argument("--output", default=None, help="the export folder (default: WORKDIR/export/FORMAT)")
    export.add_argument("--which", choices=("best", "last"), default="best", help="best.keras (default) or last.keras")
    export.add_argument("--data", default=None, help="dataset root for class names (default: the run's dataset)")
    export.add_argument("--force", action="store_true", help="replace an existing export")
    export.set_defaults(run=_export)

    predict = commands.add_parser(
        "predict",
        help="print (or write to CSV) the top-5 classes of image files or folders, with a work or export folder",
        description="Read JPEG/PNG/... files of any size (converted to RGB, centre-cropped and resized to 64x64) "
        "and print the most probable classes of each, or write them to --csv; a folder stands for every image "
        "under it. Unreadable files are listed; exit 0 if at least one image was read, 1 if none. " + contract,
    )
    predict.add_argument("source", metavar="WORKDIR", help="a work folder (best.keras) or a `tinylib export` folder")
    predict.add_argument("images", metavar="IMAGE", nargs="+", help="image files, or folders (searched recursively)")
    predict.add_argument(
        "--csv", metavar="PATH", default=None, help="write path, name_1, probability_1, ..., error per image here"
    )
    predict.add_argument("--top", type=int, default=5, help="how many classes to print per image (default: 5)")
    predict.add_argument("--test-time-flip", action="store_true", help="average each image with its mirror")
    predict.add_argument("--data", default=None, help="dataset root for class names of a work folder")
    predict.set_defaults(run=_predict)


def add_course_commands(commands) -> None:
    """course build and course grade; env."""
    course = commands.add_parser("course", help="course tools").add_subparsers(
        dest="course_command", metavar="ACTION", required=True
    )
    build = course.add_parser(
        "build", help="stamp the kit's repository into notebooks and docs; write the student editions (exercises/)"
    )
    build.add_argument("--root", default=".", help="the repository root (default: here)")
    build.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file is out of date")
    build.add_argument(
        "--repo",
        metavar="OWNER/NAME[@REF]",
        help="the GitHub repository (and branch or tag) every Colab badge and install line names, written "
        "into pyproject.toml (default: the one already there), e.g. your class's fork",
    )
    build.add_argument(
        "--no-solutions",
        metavar="OUT",
        default=None,
        help="write the editions into OUT with no pointer to the solutions (for a private class repository)",
    )
    build.set_defaults(run=_course_build)
    grade = course.add_parser(
        "grade",
        help="grade learners' notebooks (quick profile): a verdict per exercise, a gradebook, feedback per learner",
        description="Run each submitted notebook on a copy in a fresh kernel (no network where Linux allows) and "
        "grade every exercise the student edition expects: passed, failed (the checker's message) or not run, "
        "from the checkers' signed records, never from printed text.",
    )
    grade.add_argument(
        "paths",
        metavar="PATH",
        nargs="+",
        help="learners' notebooks, or folders of submissions (a notebook or a folder per learner); left unchanged",
    )
    grade.add_argument("--jobs", type=_positive, default=1, help="notebooks graded at the same time (default: 1)")
    grade.add_argument("--timeout", type=_positive, default=900, help="seconds per notebook (default: 900)")
    grade.add_argument("--gradebook", metavar="CSV", default=None, help="write a row per learner here; then exit 0")
    grade.add_argument("--feedback", metavar="DIR", default=None, help="write one feedback file per learner here")
    grade.add_argument(
        "--editions", metavar="DIR", default=None, help="the student editions (default: ./exercises, else the kit's)"
    )
    grade.add_argument("--profile", default="quick", help="TINYLIB_PROFILE for the run (default: quick)")
    grade.set_defaults(run=course_grade)

    env = commands.add_parser("env", help="report Python, TensorFlow, Keras, devices and hints")
    env.set_defaults(run=_env)


def add_data_commands(commands) -> None:
    """data synthetic, info, download, prepare, verify, pack, subset."""
    data = commands.add_parser("data", help="dataset tools").add_subparsers(
        dest="data_command", metavar="ACTION", required=True
    )
    synthetic = data.add_parser("synthetic", help="generate a synthetic dataset in the official layout")
    synthetic.add_argument("root", help="folder to create")
    sized = "default: the profile's ($TINYLIB_PROFILE)"
    synthetic.add_argument("--classes", type=int, default=None, help=sized)
    synthetic.add_argument("--train-per-class", type=int, default=None, help=sized)
    synthetic.add_argument("--val-per-class", type=int, default=None, help=sized)
    synthetic.add_argument("--test-per-class", type=int, default=None, help=sized)
    synthetic.add_argument("--seed", type=int, default=0)
    synthetic.set_defaults(run=_synthetic)
    root = "the folder that contains wnids.txt (or your class folders)"
    info = data.add_parser("info", help="summarise a dataset (official layout or class folders)")
    info.add_argument("root", help=root)
    info.set_defaults(run=_info)

    quiet = {"action": "store_true", "help": "no progress bars"}
    dest = {"default": None, "help": "folder for the zip and the dataset (default: $TINYLIB_DATA or ~/tinylib-data)"}
    download = data.add_parser("download", help="download the official zip (resumes; checks size and MD5)")
    download.add_argument("--dest", **dest)
    download.add_argument("--from-zip", metavar="PATH", help="a zip you downloaded by hand: check it, copy it in place")
    download.add_argument("--quiet", **quiet)
    download.set_defaults(run=_download)
    prepare = data.add_parser("prepare", help="download if needed, extract safely, verify: a ready dataset")
    prepare.add_argument("--dest", **dest)
    prepare.add_argument("--from-zip", metavar="PATH", help="extract this zip (any zip in the official layout)")
    prepare.add_argument("--no-decode", action="store_true", help="verify annotations only, do not decode images")
    prepare.add_argument("--quiet", **quiet)
    prepare.set_defaults(run=_prepare)
    verify = data.add_parser("verify", help="check layout, counts, annotations and every image; exit 1 on problems")
    verify.add_argument("root", help=root)
    verify.add_argument("--official", action="store_true", help="also expect the official counts (200 x 500 / 50)")
    verify.add_argument("--quiet", **quiet)
    verify.set_defaults(run=_verify)
    pack = data.add_parser("pack", help="decode every split once into uint8 .npy arrays (the fast input path)")
    pack.add_argument("root", help=root)
    where = "where to write the cache (default: ROOT/packed; for class folders $TINYLIB_DATA/cache/NAME-HASH/packed)"
    pack.add_argument("--folder", default=None, help=where)
    pack.add_argument("--force", action="store_true", help="rebuild even when the cache is up to date")
    pack.add_argument("--quiet", **quiet)
    pack.set_defaults(run=_pack)
    _add_subset_command(data, quiet)


def _add_subset_command(data, quiet: dict) -> None:
    """data subset ROOT OUT --classes N --train-per-class K --val-per-class V [--seed S]."""
    subset = data.add_parser("subset", help="write a smaller official-layout dataset: N classes, K train / V val each")
    subset.add_argument("root", help="the folder that contains wnids.txt, or a zip in the official layout")
    subset.add_argument("out", help="the new folder to write")
    subset.add_argument("--classes", type=_positive, required=True, help="classes to keep (drawn at random)")
    subset.add_argument("--train-per-class", type=_positive, required=True, help="train images per class")
    subset.add_argument("--val-per-class", type=_positive, required=True, help="val images per class")
    subset.add_argument("--seed", type=int, default=0, help="the random draw (same seed, same subset)")
    subset.add_argument("--quiet", **quiet)
    subset.set_defaults(run=_subset)
