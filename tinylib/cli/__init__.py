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


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line (no usage block), exit status 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every `tinylib` command."""
    from tinylib import __version__

    parser = _Parser(prog="tinylib", description="Tiny ImageNet residual-network teaching kit.")
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
    from tinylib.cli.backend import backend_problem
    from tinylib.data.download import DownloadError

    problem = backend_problem()
    if problem:
        print(f"tinylib: error: {problem}", file=sys.stderr)
        return 2
    from tinylib.workdir import WorkdirInUse

    try:
        return args.run(args)
    except (ValueError, FileExistsError, FileNotFoundError, DownloadError, WorkdirInUse) as error:
        print(f"tinylib: error: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # read-only, not ours, disk full: one line with advice; anything else: a bug
        line = os_error_line(error)
        if line is None:
            raise
        print(f"tinylib: error: {line}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("tinylib: interrupted", file=sys.stderr)
        return 130


def os_error_line(error: OSError) -> str | None:
    """One line with advice for an OSError a user can fix (a read-only disk (EROFS) or a
    folder that is not theirs (EACCES, EPERM), a full disk), else None."""
    from tinylib.files import READ_ONLY, is_disk_full

    if error.errno is None and isinstance(error, PermissionError):
        return str(error)  # already one line with advice
    where = f"{error.filename}: " if error.filename else ""
    if error.errno in READ_ONLY:
        return (
            f"{where}{error.strerror} (a read-only disk, or a folder that is not yours): use a folder you can "
            "write (e.g. another --workdir, --output, --folder or --dest) or fix its permissions"
        )
    if is_disk_full(error):
        return f"{where}{error.strerror or error}: the disk is full: free some space or use a folder on another disk"
    return None
