"""SIGINT and SIGKILL during `rat-lava run --out` and `rat-lava export --out`: the requested
file is either absent or complete and valid, never partial; Ctrl-C exits 130 in one line; no
Lava child process or shared-memory segment outlives the killed host."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from rat_lava.demo import SHIPPED_EXPORT
from rat_lava.export.netfile import read_net
from rat_lava.runs.runfile import read_run
from tests.helpers.export_helpers import save_tiny_checkpoint, tiny_model, tiny_npz

RAT_LAVA = Path(sys.executable).with_name("rat-lava")


def interrupted(argv: list[str], sig: int, after_s: float) -> subprocess.CompletedProcess:
    """Run ``rat-lava argv``, send ``sig`` after ``after_s`` seconds, wait for the end."""
    proc = subprocess.Popen(
        [str(RAT_LAVA), *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        time.sleep(after_s)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    return subprocess.CompletedProcess(argv, proc.returncode, out, err)


LAVA_CHILDREN = 10
"""The shipped export runs as more than this many forked Lava processes."""


def shared_memory() -> set[str]:
    return {p.name for p in Path("/dev/shm").iterdir()}


def wait_for_lava_children(proc: subprocess.Popen, timeout_s: float) -> list[psutil.Process]:
    """The host's children once Lava has forked them (more than ``LAVA_CHILDREN``)."""
    host = psutil.Process(proc.pid)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and proc.poll() is None:
        children = host.children()
        if len(children) > LAVA_CHILDREN:
            return children
        time.sleep(0.2)
    raise AssertionError(f"Lava's children did not start within {timeout_s:.0f} s")


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_interrupted_run_leaves_no_run_file_no_process_no_shared_memory(tmp_path, sig):
    out = tmp_path / "run.h5"
    before = shared_memory()
    argv = ["run", str(SHIPPED_EXPORT), "--data", "synthetic", "--out", str(out)]
    proc = subprocess.Popen(
        [str(RAT_LAVA), *argv], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        children = wait_for_lava_children(proc, 120.0)
        time.sleep(1.0)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
        _, alive = psutil.wait_procs(children, timeout=10)
    finally:
        proc.kill()
    assert not alive, f"{len(alive)} Lava processes outlived the host"
    assert not out.exists()
    assert not shared_memory() - before
    if sig == signal.SIGINT:
        assert proc.returncode == 130, err
        assert err.strip().splitlines()[-1] == "rat-lava: interrupted", err
        assert "Traceback" not in err


@pytest.mark.slow
@pytest.mark.parametrize("after_s", [0.5, 2.0, 3.5, 5.0])
def test_export_killed_at_any_moment_leaves_nothing_or_a_valid_file(tmp_path, after_s):
    data = tiny_npz(tmp_path / "tiny.npz")
    checkpoint = save_tiny_checkpoint(tmp_path / "rat.pt", tiny_model(), str(data))
    out = tmp_path / "tiny.net"
    interrupted(["export", str(checkpoint), "--out", str(out)], signal.SIGKILL, after_s)
    if out.exists():
        read_net(out)
    assert not any(p.name.endswith(".net") and p != out for p in tmp_path.iterdir())


@pytest.mark.slow
def test_a_completed_run_file_reads_back(tmp_path):
    data = tiny_npz(tmp_path / "tiny.npz", duration_s=4.0)
    checkpoint = save_tiny_checkpoint(tmp_path / "rat.pt", tiny_model(), str(data))
    net = tmp_path / "tiny.net"
    subprocess.run([str(RAT_LAVA), "export", str(checkpoint), "--out", str(net)], check=True)
    out = tmp_path / "run.h5"
    subprocess.run(
        [str(RAT_LAVA), "run", str(net), "--data", str(data), "--out", str(out)], check=True
    )
    assert read_run(out).steps == 1000
