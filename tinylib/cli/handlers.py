"""What each `tinylib` command does: parse nothing, call one function of the kit, print the result."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _demo(args: argparse.Namespace) -> int:
    from tinylib.demo import format_summary, run_demo

    summary = run_demo(args.workdir, args.data)
    from tinylib.workdir import PICTURES, Workdir

    print(f"\nreport     {Workdir(args.workdir).report_file} (also {', '.join(PICTURES)})")
    print(format_summary(summary))
    return 0


def _env(args: argparse.Namespace) -> int:
    from tinylib import doctor

    doctor.report()
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
    if info.skipped:
        print(info.skipped_summary())
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


def _subset(args: argparse.Namespace) -> int:
    from tinylib.data import read_layout
    from tinylib.data.subset import make_subset

    sizes = {"classes": args.classes, "train_per_class": args.train_per_class, "val_per_class": args.val_per_class}
    out = make_subset(args.root, args.out, **sizes, seed=args.seed, progress=not args.quiet)
    print(f"subset: {read_layout(out)}")
    return 0


def _per_class(labels, num_classes: int) -> list[int]:
    import numpy as np

    return np.bincount(labels, minlength=num_classes).tolist()


def _train(args: argparse.Namespace) -> int:
    from tinylib import config, train
    from tinylib.data import synthetic_for_profile
    from tinylib.models import build
    from tinylib.train import devices

    profile = config.profile()
    recipe = train.recipe(args.recipe, **({"epochs": args.epochs} if args.epochs is not None else {}))
    if args.batch_size is not None:
        recipe = recipe.with_batch_size(args.batch_size)
    # first: a multi-worker TF_CONFIG must be set up (the plan's strategy) before TensorFlow does anything
    device_plan = devices.plan(recipe.augment, args.precision)
    root = synthetic_for_profile(profile) if args.data == "synthetic" else Path(args.data)
    data = train.TrainingData.from_root(root)
    _refuse_empty_classes(data, root)
    print(f"precision: {devices.use_precision(device_plan.precision[0])} ({device_plan.precision[1]})")
    size = profile.model_size() if args.model != "seed_net" else {"width": None, "stem": None}
    width = args.width if args.width is not None else size["width"]
    stem = args.stem or size["stem"]
    devices.seed_everything(recipe.seed)  # before building: the same command gives the same run
    model = build(args.model, data.num_classes, width=width, stem=stem)
    print(f"training {model.name} on {len(data.train_images)} images from {root} with the {recipe.name!r} recipe")
    try:
        verbose = "auto" if sys.stdout.isatty() else 2  # a live bar in a terminal, one line per epoch in logs
        run = train.fit(
            model, data, recipe, args.workdir, max_minutes=args.max_minutes, verbose=verbose, device_plan=device_plan
        )
    except train.TrainingDiverged as error:
        print(f"tinylib: error: {error}", file=sys.stderr)
        return 1
    print(_run_summary(run))
    return 0


def _lr_find(args: argparse.Namespace) -> int:
    from tinylib import config, plots, train
    from tinylib.data import synthetic_for_profile
    from tinylib.files import atomic_file, check_output_file
    from tinylib.models import build
    from tinylib.train import devices

    if args.plot:
        check_output_file(args.plot, "lr_finder.png")
    profile = config.profile()
    root = synthetic_for_profile(profile) if args.data == "synthetic" else Path(args.data)
    data = train.TrainingData.from_root(root)
    recipe = train.recipe(args.recipe)
    size = profile.model_size() if args.model != "seed_net" else {"width": None, "stem": None}
    devices.seed_everything(recipe.seed)  # the same command gives the same curve
    model = build(args.model, data.num_classes, width=args.width or size["width"], stem=args.stem or size["stem"])
    result = train.find_learning_rate(
        model, data, recipe, start=args.start, end=args.end, steps=args.steps, batch_size=args.batch_size
    )
    print(f"{model.name}: {result}")
    if args.plot:
        with atomic_file(args.plot) as partial:
            plots.lr_finder(result).savefig(partial, dpi=100)
    return 0


def _refuse_empty_classes(data, root: Path) -> None:
    """Raise ValueError (one line) when a class of `data` has no training images."""
    counts = _per_class(data.train_labels, data.num_classes)
    empty = [f"{wnid} ({name})" for wnid, name, count in zip(data.class_ids, data.class_names, counts) if count == 0]
    if empty:
        raise ValueError(
            f"{len(empty)} class(es) of {root} have no training images: {', '.join(empty[:5])}; add images to "
            f"train/<wnid>/images or remove the class from wnids.txt (`tinylib data verify {root}` lists every problem)"
        )


def _evaluate(args: argparse.Namespace) -> int:
    import numpy as np

    from tinylib.data.arrays import TrainingData
    from tinylib.inference import evaluate
    from tinylib.train import provenance
    from tinylib.workdir import Workdir

    workdir = Workdir(args.workdir)
    model = workdir.load_model("best")
    root = Path(args.data) if args.data else workdir.dataset_root()
    if root is None:
        raise FileNotFoundError(f"no dataset named in {workdir.run_file}: pass --data ROOT")
    data = TrainingData.from_root(root)
    provenance.check_val_is_unseen(workdir, data)
    outputs = workdir.class_order(data.class_ids)  # the run's output i is this dataset's class outputs[i]
    labels = np.argsort(outputs)[np.asarray(data.val_labels)]
    flip = bool((workdir.recipe() or {}).get("test_time_flip", False))
    result = evaluate(model, data.val_images, labels, test_time_flip=flip)
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
    from tinylib.files import check_output_file
    from tinylib.predict import predict_files, write_predictions_csv

    if args.csv:
        check_output_file(args.csv, "predictions.csv")
    results = predict_files(args.source, args.images, top=args.top, test_time_flip=args.test_time_flip, data=args.data)
    failed = [result for result in results if "error" in result]
    for result in failed:
        print(f"tinylib: error: {result['error']}", file=sys.stderr)
    if args.csv:
        write_predictions_csv(results, args.csv)
        print(f"predicted {len(results) - len(failed)} images, {len(failed)} unreadable: {args.csv}")
    else:
        for result in results:
            if "top" in result:
                print(result["path"])
                print("".join(f"  {probability:7.2%}  {name}\n" for name, probability in result["top"]), end="")
    if not results:
        print(f"tinylib: error: no image files in {' '.join(args.images)}", file=sys.stderr)
    return 0 if len(failed) < len(results) else 1


def _report(args: argparse.Namespace) -> int:
    from tinylib.data.arrays import TrainingData
    from tinylib.data.folders import is_class_folder_tree
    from tinylib.files import check_output_file
    from tinylib.report import write_report
    from tinylib.train import provenance
    from tinylib.workdir import Workdir

    if args.output:
        check_output_file(args.output, "report.html")
    data = args.data or Workdir(args.workdir).dataset_root()
    if data is not None and is_class_folder_tree(data):  # class names and ids from the folders, not wnids.txt
        data = TrainingData.from_root(data, progress=not args.quiet)
        provenance.check_val_is_unseen(Workdir(args.workdir), data)
    path = write_report(args.workdir, data=data, path=args.output, progress=not args.quiet)
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


def _course_build(args: argparse.Namespace) -> int:
    from tinylib.course import build_student_editions, stamp_repository, url_from_spec

    if args.no_solutions:
        written = build_student_editions(args.root, output=args.no_solutions, solutions=False)
        print(f"wrote {len(written)} editions without pointers to the solutions into {args.no_solutions}")
        return 0
    repository = url_from_spec(args.repo) if args.repo else None
    stale = stamp_repository(args.root, repository, check=args.check)
    stale += build_student_editions(args.root, check=args.check)
    for path in stale:
        print(f"{'out of date' if args.check else 'wrote'}: {path}")
    if args.check and stale:
        print("run `tinylib course build` and commit what it writes", file=sys.stderr)
        return 1
    if not stale:
        print("notebooks, docs and student editions are up to date")
    return 0
