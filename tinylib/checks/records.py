"""The records channel: checkers hand each verdict to the grader in signed files, never in printed text.

The grader (`tinylib.course.grading`) makes a channel folder outside the notebook's working
folder, writes a per-run secret into it and starts the kernel with `CHANNEL` naming that
folder. The first import of this module (the grader runs it before the learner's first cell)
reads the secret, deletes its file and removes `CHANNEL` from the environment; every checker
then writes one record per call (exercise, status, message) signed with HMAC-SHA256 under the
secret. The grader keeps only records whose signature holds, so printing "✓ ...", editing or
deleting a check cell cannot make an exercise pass. Code in the same process can still call
`record` itself: docs/teaching.md ("What a determined learner can still forge") says so.
Outside grading there is no channel and `record` does nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import os
import secrets
from pathlib import Path

CHANNEL = "TINYLIB_GRADE_CHANNEL"  # environment variable: the channel folder of this grading run
SECRET_FILE = "secret"
RECORDS = "records"
STATUSES = ("passed", "failed")


def _take_channel() -> tuple[Path, bytes] | None:
    """(records folder, secret) of this kernel's grading run, read once; None outside grading."""
    folder = os.environ.pop(CHANNEL, None)
    if not folder:
        return None
    secret_path = Path(folder) / SECRET_FILE
    try:
        secret = secret_path.read_bytes()
        secret_path.unlink()
    except OSError:
        return None  # already taken (a second import in another process): this process cannot sign
    return Path(folder) / RECORDS, secret


_CHANNEL = _take_channel()
_SEQUENCE = itertools.count()


def _signature(secret: bytes, payload: str) -> str:
    return hmac.new(secret, payload.encode("utf-8"), hashlib.sha256).hexdigest()


def record(exercise: str, status: str, message: str) -> None:
    """Hand the grader one verdict: `exercise` the checker's name ("check_pad_crop"), `status`
    "passed" or "failed", `message` the learner's feedback line. Does nothing outside grading.

    Raises ValueError for another status."""
    if status not in STATUSES:
        raise ValueError(f"status must be one of {STATUSES}, got {status!r}")
    if _CHANNEL is None:
        return
    from tinylib.files import write_atomically

    folder, secret = _CHANNEL
    sequence = next(_SEQUENCE)
    payload = json.dumps({"exercise": exercise, "status": status, "message": message, "sequence": sequence})
    text = json.dumps({"payload": payload, "signature": _signature(secret, payload)})
    folder.mkdir(exist_ok=True)
    write_atomically(folder / f"{sequence:05d}-{os.getpid()}.json", text)


def open_channel(folder: str | os.PathLike) -> tuple[dict[str, str], bytes]:
    """Grader side: make `folder` a channel (a fresh secret in it); returns the environment
    variables to give the kernel ({CHANNEL: folder}) and the secret for `read_records`."""
    from tinylib.files import write_atomically

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_bytes(32)
    write_atomically(folder / SECRET_FILE, secret)
    return {CHANNEL: str(folder)}, secret


def read_records(folder: str | os.PathLike, secret: bytes) -> tuple[dict[str, tuple[str, str]], int]:
    """Grader side: the verdicts in channel `folder` signed with `secret`, as {exercise: (status,
    message)} (the last record of an exercise wins, in the order the checkers wrote them), and
    how many records were rejected (unreadable or badly signed: written by something else)."""
    found, rejected = [], 0
    for path in sorted((Path(folder) / RECORDS).glob("*.json")):
        try:
            outer = json.loads(path.read_text(encoding="utf-8"))
            payload = outer["payload"]
            if not hmac.compare_digest(_signature(secret, payload), str(outer["signature"])):
                raise ValueError("bad signature")
            inner = json.loads(payload)
            if inner["status"] not in STATUSES:
                raise ValueError("bad status")
            found.append((int(inner["sequence"]), str(inner["exercise"]), inner["status"], str(inner["message"])))
        except (OSError, ValueError, KeyError, TypeError):
            rejected += 1
    return {exercise: (status, message) for _, exercise, status, message in sorted(found)}, rejected
