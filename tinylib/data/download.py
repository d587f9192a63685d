"""Download the official Tiny ImageNet zip: mirrors in order, resume, MD5 check, atomic rename.

The zip is streamed into ``<name>.part`` next to its final place; an interrupted download
resumes from there with an HTTP Range request (on the next attempt or the next run). Only a
file whose size and MD5 match is renamed to its final name, and a complete, verified file is
never deleted or overwritten. Plumbing comes from the standard library (urllib, hashlib) and
tqdm.auto (a progress bar that renders in terminals and notebooks alike).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from http.client import HTTPException
from pathlib import Path

from tinylib import __version__, config

OFFICIAL_MIRRORS = (
    "http://cs231n.stanford.edu/tiny-imagenet-200.zip",
    "https://cs231n.stanford.edu/tiny-imagenet-200.zip",
)
OFFICIAL_SIZE = 248_100_043  # bytes
OFFICIAL_MD5 = "90528d7ca1a48142e341f4ef8d21d0de"
CHUNK = 1 << 20  # bytes read per network call


class DownloadError(RuntimeError):
    """No mirror delivered the expected file; the message says what to do instead."""


def file_md5(path: str | os.PathLike, progress: bool = False) -> str:
    """Hex MD5 of a file, read in 1 MiB chunks (about 0.5 s for the 248 MB zip)."""
    path = Path(path)
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle, _bar(path.stat().st_size, 0, f"MD5 {path.name}", progress) as bar:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            bar.update(len(chunk))
    return digest.hexdigest()


def _bar(total: int | None, initial: int, desc: str, show: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, desc=desc, unit="B", unit_scale=True, unit_divisor=1024, disable=not show)


def _mismatch(path: Path, size: int | None, md5: str | None, progress: bool) -> str | None:
    """Why `path` is not the expected file, or None when its size and MD5 match."""
    found = path.stat().st_size
    if size is not None and found != size:
        return f"{found:,} bytes, expected {size:,}"
    if md5 is not None:
        digest = file_md5(path, progress)
        if digest != md5.lower():
            return f"MD5 {digest}, expected {md5.lower()}"
    return None


def _fetch(url: str, part: Path, size: int | None, timeout: float, progress: bool) -> None:
    """Append the rest of `url` to `part`, resuming from its current length. Returns when the
    server stops sending (complete or cut short); raises on HTTP and network errors."""
    offset = part.stat().st_size if part.exists() else 0
    if size is not None and offset > size:  # longer than the real file: it cannot be resumed
        offset = 0
        part.write_bytes(b"")
    if size is not None and offset == size:
        return
    headers = {"User-Agent": f"tinylib/{__version__}"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout) as response:
        if offset and response.status != 206:  # the server ignored the Range header: start over
            offset = 0
        elif offset and not response.headers.get("Content-Range", "").startswith(f"bytes {offset}-"):
            raise HTTPException(f"server answered the resume request with {response.headers.get('Content-Range')!r}")
        length = response.headers.get("Content-Length")
        total = size if size is not None else (offset + int(length) if length else None)
        with open(part, "ab" if offset else "wb") as handle, _bar(total, offset, part.name, progress) as bar:
            while chunk := response.read(CHUNK):
                handle.write(chunk)
                bar.update(len(chunk))


def _describe(error: BaseException) -> str:
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        return f"cannot connect ({error.reason})"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


MAGIC = (  # (offset, bytes, what the file is): other archives people pass for a zip
    (0, b"\x1f\x8b", "a gzip file (a .tar.gz or .tgz?)"),
    (0, b"BZh", "a bzip2 file (a .tar.bz2?)"),
    (0, b"\xfd7zXZ\x00", "an xz file (a .tar.xz?)"),
    (0, b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive (.7z)"),
    (0, b"Rar!", "a RAR archive (.rar)"),
    (257, b"ustar", "a tar archive (.tar)"),
)


def archive_format(path: str | os.PathLike) -> str | None:
    """What a file that is not a zip is, from its first bytes ("a gzip file (a .tar.gz or
    .tgz?)", ...), or None when it is none of the archive formats in MAGIC."""
    with open(path, "rb") as handle:
        head = handle.read(262)
    return next((what for offset, magic, what in MAGIC if head[offset : offset + len(magic)] == magic), None)


def _place_from_zip(source: Path, target: Path, size: int | None, md5: str | None, progress: bool) -> Path:
    """Check a zip the user downloaded by hand and copy it into place (the original stays)."""
    if not source.is_file():
        raise FileNotFoundError(f"--from-zip {source}: no such file")
    other = archive_format(source)
    if other:
        raise DownloadError(f"--from-zip {source} is {other}, not a zip: pass the zip ({target.name})")
    problem = _mismatch(source, size, md5, progress)
    if problem:
        raise DownloadError(
            f"{source} is not the expected {target.name} ({problem}); download it again, "
            "or pass it to `tinylib data prepare --from-zip PATH`, which accepts any zip in the official layout"
        )
    if source.resolve() != target.resolve():
        partial = target.with_name(target.name + ".copy.part")
        shutil.copyfile(source, partial)
        os.replace(partial, target)
    return target


def download(
    dest: str | os.PathLike | None = None,
    mirrors: Sequence[str] = OFFICIAL_MIRRORS,
    size: int | None = OFFICIAL_SIZE,
    md5: str | None = OFFICIAL_MD5,
    filename: str | None = None,
    from_zip: str | os.PathLike | None = None,
    attempts: int = 3,
    timeout: float = 60.0,
    backoff: float = 2.0,
    progress: bool = True,
) -> Path:
    """Download the zip into the folder `dest` (default: `tinylib.config.data_dir()`) and
    return its path, e.g. ~/tinylib-data/tiny-imagenet-200.zip.

    mirrors are tried in order, each up to `attempts` times; a cut connection resumes from
    the bytes already in ``<name>.part`` (HTTP Range). size (bytes) and md5 (hex) are checked
    before the ``.part`` file is renamed; pass None to skip a check. A file already in place
    with the right size and MD5 is returned as is, without network access; one that does not
    match is left untouched and reported. from_zip: a zip downloaded by hand, checked and
    copied into place instead of downloading. backoff: seconds before the 2nd try of a mirror
    (doubling after). Raises DownloadError when every mirror fails.
    """
    dest = Path(dest).expanduser() if dest is not None else config.data_dir()
    filename = filename or Path(mirrors[0] if mirrors else "tiny-imagenet-200.zip").name
    target = dest / filename
    dest.mkdir(parents=True, exist_ok=True)
    if target.exists():
        problem = _mismatch(target, size, md5, progress)
        if problem is None:
            return target
        raise DownloadError(
            f"{target} exists but is not the expected file ({problem}); it was left as it is: "
            "move it away and run `tinylib data download` again"
        )
    if from_zip is not None:
        return _place_from_zip(Path(from_zip).expanduser(), target, size, md5, progress)

    part = target.with_name(target.name + ".part")
    failures: list[str] = []
    for url in mirrors:
        if _try_mirror(url, part, target, size, md5, attempts, timeout, backoff, progress, failures):
            return target
    tried = "; ".join(failures[-6:]) or "no mirrors given"
    raise DownloadError(
        f"could not download {filename} from any of {len(mirrors)} mirror(s) ({tried}). "
        f"Download it by hand (e.g. in a browser from {mirrors[0] if mirrors else 'the official site'}), "
        f"then run `tinylib data download --from-zip PATH` (or `tinylib data prepare --from-zip PATH`); "
        f"running the same command again resumes from {part.name}"
    )


def _try_mirror(url, part: Path, target: Path, size, md5, attempts, timeout, backoff, progress, failures) -> bool:
    """Up to `attempts` tries of one mirror, resuming `part`; True once `target` is in place
    and verified. Each failure is appended to `failures` as one line."""
    for attempt in range(attempts):
        if attempt:
            time.sleep(backoff * 2 ** (attempt - 1))
        try:
            _fetch(url, part, size, timeout, progress)
        except urllib.error.HTTPError as error:
            if error.code == 416 and part.exists():  # nothing left to send: check what we have
                pass
            elif 400 <= error.code < 500 and error.code not in (408, 429):
                failures.append(f"{url}: {_describe(error)}")
                return False  # this mirror does not have the file: try the next one
            else:
                failures.append(f"{url}: {_describe(error)}")
                continue
        except (OSError, HTTPException) as error:  # refused, reset, timed out, cut short
            failures.append(f"{url}: {_describe(error)}")
            continue
        received = part.stat().st_size if part.exists() else 0
        if size is not None and received < size:
            failures.append(f"{url}: connection closed after {received:,} of {size:,} bytes")
            continue  # resume on the next attempt
        problem = _mismatch(part, size, md5, progress)
        if problem is None:
            os.replace(part, target)
            return True
        part.unlink()  # complete but wrong bytes: discard them, never mix them into a resume
        failures.append(f"{url}: downloaded file failed verification ({problem})")
        return False
    return False
