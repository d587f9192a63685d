"""The `tinylib` command: demo, train, evaluate, export, predict, environment report, dataset tools."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _demo(args: argparse.Namespace) -> int:
    from tinylib.demo import format_summary, run_demo

    summary = run_demo(args.workdir, args.data)
    workdir = Path(args.workdir)
    print(f"\nreport     {workdir / 'report.html'} (also curves.png, mistakes.png)")
    print(format_summary(summary))
    return 0


def _env(args: argparse.Namespace) -> int:
    from tinylib import runtime

    runtime.report()
    return 0


def _synthetic(args: argparse.Namespace) -> int:
    from tinylib.data import make_synthetic, read_layout

    root = make_synthetic(
        args.root,
        num_classes=args.classes,
        train_per_class=args.train_per_class,
        val_per_class=args.val_per_class,
        test_per_class=args.test_per_class,
        seed=args.seed,
    )
    print(read_layout(root))
    return 0


def _info(args: argparse.Namespace) -> int:
    from tinylib.data import read_layout

    info = read_layout(args.root)
    print(info)
    for wnid, name, count in zip(info.wnids[:10], info.names, _per_class(info.train_labels, info.num_classes)):
        print(f"  {wnid}  {count:4d} train  {name}")
    if info.num_classes > 10:
        print(f"  ... and {info.num_classes - 10} more classes")
    return 0


def _download(args: argparse.Namespace) -> int:
    from tinylib.data import download

    print(download(args.dest, from_zip=args.from_zip, progress=not args.quiet))
    return 0


def _prepare(args: argparse.Namespace) -> int:
    from tinylib.data import prepare, read_layout

    root = prepare(args.from_zip, args.dest, decode=not args.no_decode, progress=not args.quiet)
    print(f"ready: {read_layout(root)}")
    return 0


def _verify(args: argparse.Namespace) -> int:
    from tinylib.data import verify
    from tinylib.data.verify import OFFICIAL_COUNTS

    report = verify(args.root, expected=OFFICIAL_COUNTS if args.official else None, progress=not args.quiet)
    print(report.summary())
    for problem in report.problems:
        print(f"tinylib: problem: {problem}", file=sys.stderr)
    return 0 if report.ok else 1


def _pack(args: argparse.Namespace) -> int:
    from tinylib.data import pack
    from tinylib.data.packed import read_manifest

    folder = pack(args.root, args.folder, force=args.force, progress=not args.quiet)
    counts = read_manifest(folder)["counts"]
    print(f"packed: {folder} ({', '.join(f'{split} {count:,}' for split, count in counts.items())} images)")
    return 0


def _per_class(labels, num_classes: int) -> list[int]:
    import numpy as np

    return np.bincount(labels, minlength=num_classes).tolist()


def _train(args: argparse.Namespace) -> int:
    from tinylib import runtime, train
    from tinylib.data import dataset_for_profile
    from tinylib.models import build

    profile = runtime.profile()
    strategy = runtime.strategy()  # first: a multi-worker TF_CONFIG must be set up before TensorFlow does anything
    root = dataset_for_profile(profile) if args.data == "synthetic" else Path(args.data)
    data = train.TrainingData.from_root(root)
    recipe = train.recipe(args.recipe, **({"epochs": args.epochs} if args.epochs else {}))
    if args.batch_size:
        recipe = recipe.with_batch_size(args.batch_size)
    print(f"precision: {runtime.use_precision()}")
    width = args.width or (profile.model_width if args.model != "seed_net" else None)
    stem = args.stem or (profile.model_stem if args.model != "seed_net" else None)
    model = build(args.model, data.num_classes, width=width, stem=stem)
    print(f"training {model.name} on {len(data.train_images)} images from {root} with the {recipe.name!r} recipe")
    try:
        run = train.fit(model, data, recipe, args.workdir, max_minutes=args.max_minutes, strategy=strategy)
    except train.TrainingDiverged as error:
        print(f"tinylib: error: {error}", file=sys.stderr)
        return 1
    print(_run_summary(run))
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    import json

    import keras

    from tinylib import train

    workdir = Path(args.workdir)
    run_file = workdir / "run.json"
    if not run_file.is_file():
        raise FileNotFoundError(f"no run.json in {workdir}: pass the folder `tinylib train --workdir` wrote")
    run = json.loads(run_file.read_text())
    root = Path(args.data or run["data"])
    model = keras.models.load_model(workdir / ("best.keras" if (workdir / "best.keras").is_file() else "last.keras"))
    data = train.TrainingData.from_root(root)
    result = train.evaluate(model, data.val_images, data.val_labels, flip=run["recipe"].get("test_time_flip", False))
    print(
        f"{model.name} on all {result['images']} val images of {root}: top-1 {result['top1']:.1%}, "
        f"top-5 {result['top5']:.1%}, loss {result['loss']:.3f}"
    )
    return 0


def _export(args: argparse.Namespace) -> int:
    from tinylib.export import export

    folder = export(args.workdir, args.format, output=args.output, which=args.which, data=args.data, force=args.force)
    files = ", ".join(sorted(path.name for path in folder.iterdir()))
    print(f"exported: {folder} ({files})")
    return 0


def _predict(args: argparse.Namespace) -> int:
    from tinylib.export import predict_files

    failed = 0
    for result in predict_files(args.source, args.images, top=args.top, flip=args.flip, data=args.data):
        if "error" in result:
            failed += 1
            print(f"tinylib: error: {result['error']}", file=sys.stderr)
            continue
        print(result["path"])
        for name, probability in result["top"]:
            print(f"  {probability:7.2%}  {name}")
    return 1 if failed else 0


def _report(args: argparse.Namespace) -> int:
    from tinylib.report import write_report

    path = write_report(args.workdir, data=args.data, path=args.output, progress=not args.quiet)
    print(f"report: {path}")
    return 0


def _run_summary(run: dict) -> str:
    lines = [
        f"status     {run['status']}: {run['epochs_done']} of {run['epochs_planned']} epochs, "
        f"{run['wall_seconds']} s, {run['images_per_second']} img/s"
    ]
    if "val" in run:
        val = run["val"]
        lines.append(
            f"val        top-1 {val['top1']:.1%}, top-5 {val['top5']:.1%}, loss {val['loss']:.3f} "
            f"on all {val['images']} val images"
        )
    return "\n".join(lines)


def _course_grade(args: argparse.Namespace) -> int:
    from tinylib.course import grade

    failed = 0
    for notebook in args.notebooks:
        grades = grade(notebook, timeout=args.timeout, profile=args.profile)
        passed = sum(g.passed for g in grades)
        print(f"{notebook}: {passed} of {len(grades)} exercises pass")
        for g in grades:
            print(f"  {'pass' if g.passed else 'FAIL'}  {g.exercise:24s} {g.message}")
        failed += len(grades) - passed
    return 1 if failed else 0


def _course_build(args: argparse.Namespace) -> int:
    from tinylib.course import build_student_editions

    stale = build_student_editions(args.root, check=args.check)
    for path in stale:
        print(f"{'out of date' if args.check else 'wrote'}: {path}")
    if args.check and stale:
        print("run `tinylib course build` and commit exercises/", file=sys.stderr)
        return 1
    if not stale:
        print("student editions are up to date")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from tinylib import __version__
    from tinylib.export import FORMATS

    parser = argparse.ArgumentParser(prog="tinylib", description="Tiny ImageNet residual-network teaching kit.")
    parser.add_argument("--version", action="version", version=f"tinylib {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    demo = commands.add_parser("demo", help="synthetic data -> train a small ResNet -> evaluate -> report")
    demo.add_argument("--workdir", default="runs/demo", help="where to write the report (default: runs/demo)")
    demo.add_argument(
        "--data",
        default=None,
        help="a dataset in the official layout (default: the synthetic one, generated under $TINYLIB_DATA)",
    )
    demo.set_defaults(run=_demo)

    fit = commands.add_parser("train", help="train a model with a recipe into a work folder (resumes when re-run)")
    fit.add_argument("--data", default="synthetic", help="dataset root in the official layout, or 'synthetic'")
    fit.add_argument("--model", default="resnet18", help="seed_net, resnet10, resnet18, resnet34, plain18, plain34")
    fit.add_argument("--recipe", default="baseline", help="seed, baseline, fast or demo")
    fit.add_argument("--epochs", type=int, default=None, help="override the recipe's number of epochs")
    fit.add_argument("--batch-size", type=int, default=None, help="override the batch size (learning rate scales)")
    fit.add_argument("--width", type=int, default=None, help="ResNet width (default: the profile's)")
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
        help="print the top-5 classes of image files, with a work folder or an export folder",
        description="Read JPEG/PNG files of any size (converted to RGB, resized to 64x64) and print the most "
        "probable classes of each; exit 1 if a file could not be read. " + contract,
    )
    predict.add_argument("source", metavar="WORKDIR", help="a work folder (best.keras) or a `tinylib export` folder")
    predict.add_argument("images", metavar="IMAGE", nargs="+", help="image files")
    predict.add_argument("--top", type=int, default=5, help="how many classes to print per image (default: 5)")
    predict.add_argument("--flip", action="store_true", help="average each image with its mirror")
    predict.add_argument("--data", default=None, help="dataset root for class names of a work folder")
    predict.set_defaults(run=_predict)

    course = commands.add_parser("course", help="course tools").add_subparsers(
        dest="course_command", metavar="ACTION", required=True
    )
    build = course.add_parser("build", help="write the student editions (exercises/) from the solution notebooks")
    build.add_argument("--root", default=".", help="the repository root (default: here)")
    build.add_argument("--check", action="store_true", help="write nothing; exit 1 if an edition is out of date")
    build.set_defaults(run=_course_build)
    grade = course.add_parser(
        "grade", help="run learners' notebooks in a fresh kernel (quick profile) and list each exercise check"
    )
    grade.add_argument("notebooks", metavar="NOTEBOOK", nargs="+", help="the learners' .ipynb files (left unchanged)")
    grade.add_argument("--timeout", type=int, default=900, help="seconds per cell (default: 900)")
    grade.add_argument("--profile", default="quick", help="TINYLIB_PROFILE for the run (default: quick)")
    grade.set_defaults(run=_course_grade)

    env = commands.add_parser("env", help="report Python, TensorFlow, Keras, devices and hints")
    env.set_defaults(run=_env)

    data = commands.add_parser("data", help="dataset tools").add_subparsers(
        dest="data_command", metavar="ACTION", required=True
    )
    synthetic = data.add_parser("synthetic", help="generate a synthetic dataset in the official layout")
    synthetic.add_argument("root", help="folder to create")
    synthetic.add_argument("--classes", type=int, default=10)
    synthetic.add_argument("--train-per-class", type=int, default=500)
    synthetic.add_argument("--val-per-class", type=int, default=50)
    synthetic.add_argument("--test-per-class", type=int, default=50)
    synthetic.add_argument("--seed", type=int, default=0)
    synthetic.set_defaults(run=_synthetic)
    info = data.add_parser("info", help="summarise a dataset in the official layout")
    info.add_argument("root", help="the folder that contains wnids.txt")
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
    verify.add_argument("root", help="the folder that contains wnids.txt")
    verify.add_argument("--official", action="store_true", help="also expect the official counts (200 x 500 / 50)")
    verify.add_argument("--quiet", **quiet)
    verify.set_defaults(run=_verify)
    pack = data.add_parser("pack", help="decode every split once into uint8 .npy arrays (the fast input path)")
    pack.add_argument("root", help="the folder that contains wnids.txt")
    pack.add_argument("--folder", default=None, help="where to write the cache (default: ROOT/packed)")
    pack.add_argument("--force", action="store_true", help="rebuild even when the cache is up to date")
    pack.add_argument("--quiet", **quiet)
    pack.set_defaults(run=_pack)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `tinylib` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    from tinylib.data.download import DownloadError

    try:
        return args.run(args)
    except (ValueError, FileExistsError, FileNotFoundError, PermissionError, DownloadError) as error:
        print(f"tinylib: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("tinylib: interrupted", file=sys.stderr)
        return 130
