"""The `tinylib` command: demo, environment report, dataset tools."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _demo(args: argparse.Namespace) -> int:
    from tinylib.demo import format_summary, run_demo

    summary = run_demo(args.workdir, args.data)
    workdir = Path(args.workdir)
    print(f"\nreport     {workdir / 'curves.png'}, {workdir / 'mistakes.png'}")
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


def _per_class(labels, num_classes: int) -> list[int]:
    import numpy as np

    return np.bincount(labels, minlength=num_classes).tolist()


def build_parser() -> argparse.ArgumentParser:
    from tinylib import __version__

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
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `tinylib` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, FileExistsError, FileNotFoundError) as error:
        print(f"tinylib: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("tinylib: interrupted", file=sys.stderr)
        return 130
