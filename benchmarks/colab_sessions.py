"""Data ready on Colab in the first session vs the second, with Google Drive mounted: the zip
is kept on Drive (`config.data_dir()`) and reused after its size and MD5 are checked, while
extraction and the packed cache go to the local disk (`config.extract_dir()`), which a new
session starts without.

    python benchmarks/colab_sessions.py [--zip PATH] [--out benchmarks/results/colab_sessions.json]

Folders on this machine stand in for /content and MyDrive (TINYLIB_PLATFORM=colab,
TINYLIB_DRIVE), and the "download" reads the zip from a file:// URL through the kit's
downloader, so the first session's download here is a local copy: on Colab it is a network
download (not measured here). Each session runs the kit's own steps, timed one by one: the zip
(download, or check of the kept one), extraction + verification (`prepare`), packing (`pack`).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path


def _session(zip_url: str, size: int, md5: str) -> dict:
    from tinylib import config
    from tinylib.data import pack, prepare
    from tinylib.data.download import download

    seconds, load = {}, os.getloadavg()[0]
    start = time.perf_counter()
    kept = download(config.data_dir(), mirrors=[zip_url], size=size, md5=md5, progress=False)
    seconds["zip"] = time.perf_counter() - start
    start = time.perf_counter()
    root = prepare(kept, progress=False)
    seconds["extract_and_verify"] = time.perf_counter() - start
    start = time.perf_counter()
    folder = pack(root, progress=False)
    seconds["pack"] = time.perf_counter() - start
    seconds["total"] = sum(seconds.values())
    places = {"zip": str(kept), "dataset": str(root), "packed": str(folder)}
    rounded = {k: round(v, 2) for k, v in seconds.items()}
    return {"seconds": rounded, "load_average_1min_at_start": round(load, 2), "places": places}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zip", default="/work/shared/data/tiny-imagenet-20.zip", help="an official-layout zip")
    parser.add_argument("--out", default="benchmarks/results/colab_sessions.json")
    args = parser.parse_args(argv)
    from tinylib import config, files

    source = Path(args.zip).resolve()
    size, md5 = source.stat().st_size, hashlib.md5(source.read_bytes(), usedforsecurity=False).hexdigest()
    with tempfile.TemporaryDirectory(prefix="colab-sessions-") as scratch:
        drive, content = Path(scratch) / "drive" / "MyDrive", Path(scratch) / "content"
        drive.mkdir(parents=True)
        os.environ.pop("TINYLIB_DATA", None)
        os.environ.update(TINYLIB_PLATFORM="colab", TINYLIB_DRIVE=str(drive))
        config.COLAB_LOCAL = content
        sessions = []
        for _ in range(2):
            shutil.rmtree(content, ignore_errors=True)  # a new session: the local disk starts empty
            sessions.append(_session(source.as_uri(), size, md5))
    result = {
        "what": "data ready (zip, extract + verify, pack) in Colab session 1 vs 2, Drive and /content as folders",
        "command": "python " + " ".join([sys.argv[0], *(argv if argv is not None else sys.argv[1:])]),
        "machine": f"{platform.node()}: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}",
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "zip": {"path": str(source), "bytes": size, "md5": md5},
        "first_session": sessions[0],
        "second_session": sessions[1],
        "note": "what the kept zip saves is the zip step: here the first session's copies a local file "
        "(file:// URL), on Colab it downloads (248 MB for the official zip; not measured here); extraction, "
        "verification and packing run in both sessions (a new session's local disk is empty), so differences "
        "there are this shared machine's load (see load_average_1min_at_start) and its file cache",
    }
    files.write_atomically(args.out, json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
