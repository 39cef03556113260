"""Reading untrusted files in a child process under a time limit (``read_untrusted``)."""

import os
import time

import psutil
import pytest

from rat_lava import io_utils
from rat_lava.errors import RatLavaError
from rat_lava.export.netfile import NetFileError, read_net, write_net
from rat_lava.io_utils import read_untrusted
from tests.helpers.export_helpers import tiny_quantized

HANGING_EDIT = (2417, 8)
"""(offset, new value) of one byte that makes HDF5 1.14 loop forever while reading the
'content_sha256' attribute of the tiny export below (found by tests/robustness)."""


class Refused(RatLavaError):
    pass


def children() -> set[int]:
    return {child.pid for child in psutil.Process(os.getpid()).children(recursive=True)}


def sleep_forever(path):
    time.sleep(3600)


def refuse(path):
    raise Refused(f"{path}: refused")


def test_the_result_and_the_errors_of_the_reader_come_back():
    assert read_untrusted(lambda x: {"x": [x]}, 3, what="w") == {"x": [3]}
    with pytest.raises(Refused, match="f: refused"):
        read_untrusted(refuse, "f", what="f")


def test_a_reader_that_never_returns_is_killed_in_time():
    before = children()
    started = time.monotonic()
    with pytest.raises(Refused, match="w: reading it did not finish within 1 s"):
        read_untrusted(sleep_forever, "f", what="w", error=Refused, timeout_s=1)
    assert time.monotonic() - started < 10
    assert children() - before == set()


def test_a_net_file_on_which_hdf5_loops_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "hang.net"
    write_net(path, tiny_quantized(), {"quantization": {}})
    read_net(path)
    raw = bytearray(path.read_bytes())
    offset, value = HANGING_EDIT
    assert raw[offset] == 0, "the tiny export's layout changed: find the hanging byte again"
    raw[offset] = value
    path.write_bytes(raw)
    monkeypatch.setattr(io_utils, "READ_SECONDS", 3.0)
    with pytest.raises(NetFileError, match="did not finish within 3 s; the file is corrupt"):
        read_net(path)
