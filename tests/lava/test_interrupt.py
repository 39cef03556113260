"""Ctrl-C during a Lava run: the host stops the simulation cleanly; children print nothing."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

SCRIPT = """
import signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)
import numpy as np
from lava.proc.dense.process import Dense
from lava.proc.io.source import RingBuffer
from rat_lava.lava.runtime import GuardedRuntime

source = RingBuffer(data=np.ones((3, 50), dtype=np.int32))
dense = Dense(weights=np.eye(3, dtype=np.int32))
source.s_out.connect(dense.s_in)
runtime = GuardedRuntime(source)
try:
    runtime.start()
    print("pids", *runtime.child_pids, flush=True)
    runtime.run(10_000_000, timeout_s=600)
except KeyboardInterrupt:
    print("interrupted", flush=True)
finally:
    runtime.stop()
print("stopped", flush=True)
"""


@pytest.mark.slow
def test_ctrl_c_stops_the_simulation_cleanly():
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = proc.stdout.readline()
        assert line.startswith("pids"), line + proc.stderr.read()
        pids = [int(p) for p in line.split()[1:]]
        time.sleep(1.0)
        start = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert time.monotonic() - start < 15
    assert out.split() == ["interrupted", "stopped"], out + err
    assert "Traceback" not in err
    assert pids and not any(os.path.exists(f"/proc/{pid}") for pid in pids)
