"""The downloader against a local HTTP server: mirrors, resume after a cut, MD5, never losing files."""

from __future__ import annotations

import hashlib
import socket
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tinylib.data import DownloadError, download, prepare, read_layout


class Handler(BaseHTTPRequestHandler):
    """GET /<mode>/<name>: mode "ok" (Range supported), "cut" (the first response stops half
    way), "norange" (ignores Range), "missing" (404), "down" (503)."""

    def log_message(self, *args):  # keep pytest output clean
        pass

    def do_GET(self):
        server = self.server
        _, mode, name = self.path.split("/", 2)
        server.requests.append((mode, self.headers.get("Range")))
        data = server.files.get(name)
        if mode == "missing" or data is None:
            return self.send_error(404)
        if mode == "down":
            return self.send_error(503)
        start = 0
        asked = self.headers.get("Range")
        if asked and mode != "norange":
            start = int(asked.removeprefix("bytes=").split("-")[0])
            if start >= len(data):
                return self.send_error(416)
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if mode == "cut" and server.cuts_left:
            server.cuts_left -= 1
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
            return
        self.wfile.write(body)


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.files, httpd.requests, httpd.cuts_left = {}, [], 1
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def small_zip(tmp_path_factory, synthetic_root) -> bytes:
    """A zip of the synthetic dataset in the official layout (top folder tiny-synthetic/)."""
    path = tmp_path_factory.mktemp("zip") / "tiny-synthetic.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for file in sorted(synthetic_root.rglob("*")):
            if file.is_file():
                archive.write(file, f"tiny-synthetic/{file.relative_to(synthetic_root).as_posix()}")
    return path.read_bytes()


def _dead_url() -> str:
    """A URL on a local port where nothing listens (connection refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/x/tiny-synthetic.zip"


def _get(server, tmp_path, mode: str | list[str], small_zip, **kwargs):
    server.files["tiny-synthetic.zip"] = small_zip
    modes = [mode] if isinstance(mode, str) else mode
    options = {
        "mirrors": [f"{server.url}/{m}/tiny-synthetic.zip" for m in modes],
        "size": len(small_zip),
        "md5": hashlib.md5(small_zip).hexdigest(),
        "backoff": 0,
        "progress": False,
        "timeout": 10,
    }
    return download(tmp_path / "downloads", **{**options, **kwargs})


def test_download_verifies_and_renames_atomically(server, tmp_path, small_zip):
    path = _get(server, tmp_path, "ok", small_zip)
    assert path == tmp_path / "downloads" / "tiny-synthetic.zip"
    assert path.read_bytes() == small_zip
    assert not path.with_name(path.name + ".part").exists()
    assert server.requests == [("ok", None)]


def test_a_cut_connection_resumes_with_a_range_request(server, tmp_path, small_zip):
    path = _get(server, tmp_path, "cut", small_zip)
    assert path.read_bytes() == small_zip
    half = len(small_zip) // 2
    assert server.requests == [("cut", None), ("cut", f"bytes={half}-")]


def test_a_part_file_from_an_earlier_run_is_resumed(server, tmp_path, small_zip):
    part = tmp_path / "downloads" / "tiny-synthetic.zip.part"
    part.parent.mkdir()
    part.write_bytes(small_zip[:1000])
    path = _get(server, tmp_path, "ok", small_zip)
    assert path.read_bytes() == small_zip
    assert server.requests == [("ok", "bytes=1000-")]


def test_a_server_without_range_support_restarts_from_zero(server, tmp_path, small_zip):
    part = tmp_path / "downloads" / "tiny-synthetic.zip.part"
    part.parent.mkdir()
    part.write_bytes(b"garbage that must not stay in front")
    assert _get(server, tmp_path, "norange", small_zip).read_bytes() == small_zip


def test_404_on_the_first_mirror_falls_through_to_the_next(server, tmp_path, small_zip):
    path = _get(server, tmp_path, ["missing", "ok"], small_zip)
    assert path.read_bytes() == small_zip
    assert [mode for mode, _ in server.requests] == ["missing", "ok"]  # no retries of a 404


def test_wrong_md5_is_rejected_and_nothing_is_kept(server, tmp_path, small_zip):
    with pytest.raises(DownloadError, match="failed verification") as error:
        _get(server, tmp_path, "ok", small_zip, md5="0" * 32)
    assert "--from-zip PATH" in str(error.value)
    assert list((tmp_path / "downloads").iterdir()) == []


def test_all_mirrors_down_says_what_to_do(server, tmp_path, small_zip):
    with pytest.raises(DownloadError) as error:
        _get(server, tmp_path, "down", small_zip, mirrors=[_dead_url(), f"{server.url}/down/tiny-synthetic.zip"])
    message = str(error.value)
    assert "any of 2 mirror(s)" in message and "cannot connect" in message and "HTTP 503" in message
    assert "tinylib data download --from-zip PATH" in message
    assert [mode for mode, _ in server.requests] == ["down"] * 3  # 5xx: retried `attempts` times


def test_a_complete_verified_file_is_kept_without_network(tmp_path, small_zip):
    target = tmp_path / "downloads" / "tiny-synthetic.zip"
    target.parent.mkdir()
    target.write_bytes(small_zip)
    found = download(
        target.parent,
        mirrors=[_dead_url()],
        size=len(small_zip),
        md5=hashlib.md5(small_zip).hexdigest(),
        progress=False,
    )
    assert found == target and target.read_bytes() == small_zip


def test_a_wrong_file_in_place_is_reported_and_left_alone(tmp_path, small_zip):
    target = tmp_path / "downloads" / "tiny-synthetic.zip"
    target.parent.mkdir()
    target.write_bytes(b"my own notes")
    with pytest.raises(DownloadError, match="exists but is not the expected file"):
        download(target.parent, mirrors=[_dead_url()], size=len(small_zip), progress=False)
    assert target.read_bytes() == b"my own notes"


def test_from_zip_checks_and_copies_a_hand_downloaded_file(tmp_path, small_zip):
    by_hand = tmp_path / "Downloads" / "tiny-synthetic.zip"
    by_hand.parent.mkdir()
    by_hand.write_bytes(small_zip)
    md5 = hashlib.md5(small_zip).hexdigest()
    path = download(tmp_path / "data", mirrors=[_dead_url()], md5=md5, size=None, from_zip=by_hand, progress=False)
    assert path.read_bytes() == small_zip and by_hand.is_file()
    with pytest.raises(DownloadError, match="is not the expected"):
        download(tmp_path / "other", mirrors=[_dead_url()], md5="1" * 32, size=None, from_zip=by_hand, progress=False)


def test_download_then_prepare_end_to_end(server, tmp_path, small_zip, synthetic_root):
    path = _get(server, tmp_path, "cut", small_zip)
    root = prepare(path, tmp_path / "data", progress=False)
    assert root == tmp_path / "data" / "tiny-synthetic"
    info, original = read_layout(root), read_layout(synthetic_root)
    assert info.wnids == original.wnids and len(info.val_files) == len(original.val_files)


def test_cli_download_from_a_wrong_zip_is_one_clear_line(tmp_path, capsys):
    from tinylib.cli import main

    wrong = tmp_path / "tiny-imagenet-200.zip"
    wrong.write_bytes(b"not the dataset")
    assert main(["data", "download", "--from-zip", str(wrong), "--dest", str(tmp_path / "data"), "--quiet"]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and "is not the expected tiny-imagenet-200.zip (15 bytes, expected 248,100,043)" in error[0]
