"""Downloads against a local HTTP server on 127.0.0.1 with Range support (no network)."""

import hashlib
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from rat_lava.data.download import NEUROBENCH_SESSIONS, download_session
from rat_lava.errors import DataError

PAYLOAD = bytes(range(256)) * 40 + b"end"  # 10243 bytes
MD5 = hashlib.md5(PAYLOAD).hexdigest()
NAME = "indy_20160622_01"


class _Handler(BaseHTTPRequestHandler):
    """Serves PAYLOAD at /file.mat; honours ``Range: bytes=N-``; may cut a response short."""

    timeout = 5

    def do_GET(self):
        server = self.server
        asked = self.headers.get("Range")
        server.ranges.append(asked)
        if self.path != "/file.mat":
            self.send_error(404)
            return
        start = int(re.fullmatch(r"bytes=(\d+)-", asked).group(1)) if asked else 0
        if start >= len(PAYLOAD):
            self.send_error(416)
            return
        body = PAYLOAD[start:]
        self.send_response(206 if asked else 200)
        if asked:
            self.send_header("Content-Range", f"bytes {start}-{len(PAYLOAD) - 1}/{len(PAYLOAD)}")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if server.cut_after is not None:
            body, server.cut_after = body[: server.cut_after], None
            self.close_connection = True
        self.wfile.write(body)
        server.sent += len(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.ranges, httpd.cut_after, httpd.sent = [], None, 0
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}/file.mat"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def _get(tmp_path, server, **kwargs):
    options = {"url": server.url, "md5": MD5, "progress": False, **kwargs}
    return download_session(NAME, tmp_path, **options)


def test_table_lists_the_six_neurobench_sessions_with_md5s():
    assert sorted(NEUROBENCH_SESSIONS) == [
        "indy_20160622_01",
        "indy_20160630_01",
        "indy_20170131_02",
        "loco_20170210_03",
        "loco_20170215_02",
        "loco_20170301_05",
    ]
    assert all(re.fullmatch(r"[0-9a-f]{32}", md5) for md5 in NEUROBENCH_SESSIONS.values())


def test_full_download(tmp_path, server):
    path = _get(tmp_path, server, progress=True)
    assert path == tmp_path / f"{NAME}.mat" and path.read_bytes() == PAYLOAD
    assert server.ranges == [None]
    assert [p.name for p in tmp_path.iterdir()] == [f"{NAME}.mat"]


def test_resume_from_a_partial_file_fetches_only_the_rest(tmp_path, server):
    (tmp_path / f"{NAME}.mat.part").write_bytes(PAYLOAD[:4000])
    assert _get(tmp_path, server).read_bytes() == PAYLOAD
    assert server.ranges == ["bytes=4000-"] and server.sent == len(PAYLOAD) - 4000
    assert not (tmp_path / f"{NAME}.mat.part").exists()


def test_interrupted_download_keeps_the_part_file_and_resumes(tmp_path, server):
    server.cut_after = 3000
    with pytest.raises(DataError, match="connection ended after 3000 of 10243 bytes"):
        _get(tmp_path, server)
    assert not (tmp_path / f"{NAME}.mat").exists()
    assert (tmp_path / f"{NAME}.mat.part").stat().st_size == 3000
    assert _get(tmp_path, server).read_bytes() == PAYLOAD
    assert server.ranges == [None, "bytes=3000-"]


def test_checksum_mismatch_writes_nothing(tmp_path, server):
    with pytest.raises(DataError) as info:
        _get(tmp_path, server, md5="0" * 32)
    assert f"has MD5 {MD5}, expected {'0' * 32}" in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_complete_part_file_is_verified_not_refetched(tmp_path, server):
    (tmp_path / f"{NAME}.mat.part").write_bytes(PAYLOAD)
    assert _get(tmp_path, server).read_bytes() == PAYLOAD
    assert server.ranges == [f"bytes={len(PAYLOAD)}-"] and server.sent == 0


def test_existing_verified_file_is_not_downloaded_again(tmp_path, server):
    (tmp_path / f"{NAME}.mat").write_bytes(PAYLOAD)
    assert _get(tmp_path, server) == tmp_path / f"{NAME}.mat"
    assert server.ranges == []
    (tmp_path / f"{NAME}.mat").write_bytes(b"something else")
    with pytest.raises(DataError, match="exists but its MD5 is"):
        _get(tmp_path, server)


def test_file_url_restarts_a_stale_part_file(tmp_path):
    source = tmp_path / "source.mat"
    source.write_bytes(PAYLOAD)
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / f"{NAME}.mat.part").write_bytes(b"stale bytes")
    path = download_session(NAME, dest, url=source.as_uri(), md5=MD5, progress=False)
    assert path.read_bytes() == PAYLOAD


@pytest.mark.parametrize(
    ("name", "options", "message"),
    [
        ("indy_20991231_01", {}, "unknown session 'indy_20991231_01'; choose one of indy_2016"),
        (NAME, {"md5": "xyz"}, "md5 must be 32 hexadecimal digits"),
        (NAME, {"url": "http://127.0.0.1:{port}/nothing.mat"}, "HTTP error 404"),
        (NAME, {"url": "file:///nonexistent/indy.mat"}, "download failed"),
    ],
)
def test_bad_requests_raise_data_error(tmp_path, server, name, options, message):
    if "url" in options:
        options = {"url": options["url"].format(port=server.server_address[1])}
    with pytest.raises(DataError, match=message):
        download_session(name, tmp_path, progress=False, **options)
    assert not (tmp_path / f"{name}.mat").exists()
