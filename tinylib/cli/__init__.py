"""The `tinylib` command: demo, train, lr-find, evaluate, report, export, predict, environment report,
dataset tools and course tools. Handlers are thin: parse, call one function, print."""

from __future__ import annotations

import argparse
import sys

from tinylib.cli.parser import (
    add_course_commands,
    add_data_commands,
    add_lr_find_command,
    add_model_commands,
    add_training_commands,
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every `tinylib` command."""
    from tinylib import __version__

    parser = argparse.ArgumentParser(prog="tinylib", description="Tiny ImageNet residual-network teaching kit.")
    parser.add_argument("--version", action="version", version=f"tinylib {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    add_training_commands(commands)
    add_lr_find_command(commands)
    add_model_commands(commands)
    add_course_commands(commands)
    add_data_commands(commands)
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
