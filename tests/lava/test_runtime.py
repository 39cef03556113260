"""GuardedRuntime turns every Lava failure into one clear error within a bounded time.

The failures are real: a process model that raises in ``run_spk`` (upstream of other processes,
which plain Lava turns into a hang, and at the end of the chain, which plain Lava reports as a
bare RuntimeError and then hangs in ``stop``), one that never returns, and one whose constructor
raises.
"""

import os
import threading
import time

import numpy as np
import pytest
from lava.proc.dense.process import Dense
from lava.proc.io.sink import RingBuffer as Sink
from lava.proc.io.source import RingBuffer

from rat_lava.errors import RatLavaError
from rat_lava.lava.errors import LavaProcessError, LavaRuntimeError, LavaTimeoutError
from rat_lava.lava.runtime import GuardedRuntime
from tests.helpers.lava_models.faulty_procs import Faulty, Modelless

STEPS = 12


def relay_chain(mode: str, fail_at: int = 5, tail: bool = True):
    """source -> Dense(x2) -> Faulty -> [Dense -> sink]; returns (faulty, sink or None)."""
    source = RingBuffer(data=np.tile(np.arange(1, 4, dtype=np.int32)[:, None], (1, STEPS)))
    double = Dense(weights=2 * np.eye(3, dtype=np.int32), num_message_bits=8)
    faulty = Faulty(shape=(3,), mode=mode, fail_at=fail_at)
    source.s_out.connect(double.s_in)
    double.a_out.connect(faulty.a_in)
    if not tail:
        return faulty, None
    relay = Dense(weights=np.eye(3, dtype=np.int32), num_message_bits=8)
    sink = Sink(shape=(3,), buffer=STEPS)
    faulty.s_out.connect(relay.s_in)
    relay.a_out.connect(sink.a_in)
    return faulty, sink


def shm_exists(names: tuple[str, ...]) -> list[str]:
    return [n for n in names if os.path.exists(os.path.join("/dev/shm", n))]


def assert_healthy_rerun() -> None:
    """A fresh graph runs correctly in the same Python process after a failure."""
    faulty, sink = relay_chain("ok")
    with GuardedRuntime(faulty) as runtime:
        runtime.run(STEPS)
        data = runtime.read(sink.data)
    expected = np.zeros((3, STEPS))
    expected[:, 2:] = 2 * np.arange(1, 4)[:, None]  # two synapses: two steps of latency
    assert np.array_equal(data, expected)


@pytest.mark.slow
@pytest.mark.parametrize("tail", [True, False], ids=["upstream-of-others", "last-in-chain"])
def test_raising_model_ends_in_one_clear_error(tail, no_leftover_children):
    faulty, _ = relay_chain("raise", tail=tail)
    runtime = GuardedRuntime(faulty)
    start = time.monotonic()
    with pytest.raises(LavaProcessError) as info:
        try:
            runtime.run(STEPS, timeout_s=60)
        finally:
            runtime.stop()
    assert time.monotonic() - start < 20
    message = str(info.value)
    assert "Faulty" in message and "ValueError: deliberate failure at time step 5" in message
    assert "run_spk" in info.value.details  # the child's traceback is kept for debugging
    assert isinstance(info.value, RatLavaError)
    assert runtime.shared_memory_names and not shm_exists(runtime.shared_memory_names)
    assert_healthy_rerun()


@pytest.mark.slow
def test_stuck_model_times_out_and_is_killed(no_leftover_children):
    faulty, _ = relay_chain("hang", fail_at=3)
    runtime = GuardedRuntime(faulty)
    runtime.start()
    pids = runtime.child_pids
    start = time.monotonic()
    with pytest.raises(LavaTimeoutError, match="stuck"):
        try:
            runtime.run(STEPS, timeout_s=3)
        finally:
            runtime.stop()
    assert 3 <= time.monotonic() - start < 15
    assert pids and not any(os.path.exists(f"/proc/{pid}") for pid in pids)
    assert not shm_exists(runtime.shared_memory_names)
    assert_healthy_rerun()


@pytest.mark.slow
def test_model_constructor_error_is_reported_at_start(no_leftover_children):
    faulty, _ = relay_chain("raise_in_init")
    runtime = GuardedRuntime(faulty)
    with pytest.raises(LavaProcessError, match="failed to start: ValueError: deliberate"):
        runtime.start()
    runtime.stop()
    assert_healthy_rerun()


def test_graph_without_model_is_a_compile_error(no_leftover_children):
    source = RingBuffer(data=np.ones((2, 4), dtype=np.int32))
    lonely = Modelless(shape=(2,))
    source.s_out.connect(lonely.a_in)
    runtime = GuardedRuntime(source)
    with pytest.raises(LavaRuntimeError, match="could not compile"):
        runtime.start()
    runtime.stop()


@pytest.mark.slow
def test_stop_is_idempotent_and_releases_everything(no_leftover_children):
    threads_before = threading.active_count()
    faulty, sink = relay_chain("ok")
    runtime = GuardedRuntime(faulty)
    runtime.run(4)
    runtime.run(4)
    assert runtime.time_step == 8
    runtime.stop()
    runtime.stop()
    assert threading.active_count() == threads_before
    assert not shm_exists(runtime.shared_memory_names)
    with pytest.raises(LavaRuntimeError):
        runtime.read(sink.data)
    with pytest.raises(LavaRuntimeError, match="stopped"):
        runtime.run(1)
