"""Getting spike counts into a Lava graph and decoded values out of it.

- Whole sequences: a ``RingBuffer`` source holds the (C, T) counts and sends column t - 1 at step
  t (graded payloads, int32 in fixed_pt); an ``Extractor`` with a buffer of T messages collects
  the output, one message per step, read after the run without any Var access (``Var.get``
  moves values one by one through two process hops, as float64).
- Streaming: an ``Injector`` with a blocking receive holds each time step until the host sends
  the next counts (see ``rat_lava.lava.streaming``).
"""

import time

import numpy as np
from lava.proc.io.extractor import Extractor
from lava.proc.io.injector import Injector
from lava.proc.io.source import RingBuffer

from rat_lava.errors import DataError
from rat_lava.lava.errors import LavaRuntimeError


def check_counts(counts: np.ndarray, num_channels: int | None = None) -> np.ndarray:
    """Validate spike counts (non-negative integers, finite) and return them as int32.

    counts: (T, C) or (C,) array. Raises ``DataError`` with a one-line reason.
    """
    array = np.asarray(counts)
    if array.size and not np.issubdtype(array.dtype, np.number):
        raise DataError(f"spike counts must be numbers, got dtype {array.dtype}")
    if array.size and not np.all(np.isfinite(array)):
        raise DataError("spike counts contain NaN or infinite values")
    if array.size and np.any(array < 0):
        raise DataError("spike counts must be non-negative")
    if array.size and np.any(array != np.rint(array)):
        raise DataError("spike counts must be whole numbers")
    if num_channels is not None and array.shape[-1] != num_channels:
        raise DataError(f"expected {num_channels} channels, got {array.shape[-1]}")
    if array.size and np.max(array) > np.iinfo(np.int32).max:
        raise DataError("spike counts do not fit 32-bit integers")
    return array.astype(np.int32)


def counts_source(counts: np.ndarray) -> RingBuffer:
    """A source that sends row t - 1 of ``counts`` (T, C), checked non-negative integers (see
    ``check_counts``), as graded spikes at time step t."""
    return RingBuffer(data=np.asarray(counts, dtype=np.int32).T.copy())


def sequence_extractor(num_outputs: int, num_steps: int) -> Extractor:
    """An Extractor that can hold one (num_outputs,) message for each of ``num_steps`` steps."""
    return Extractor(shape=(num_outputs,), buffer_size=num_steps)


def stream_injector(num_channels: int) -> Injector:
    """An Injector for one (num_channels,) counts vector per time step (blocking, FIFO)."""
    return Injector(shape=(num_channels,), buffer_size=2)


RECEIVE_GRACE_S = 5.0
"""Seconds ``receive_all`` waits for messages still in transit after a run returned."""


def receive_all(extractor: Extractor, num_steps: int) -> np.ndarray:
    """The ``num_steps`` messages an Extractor collected, as a (num_steps, n) array.

    Call after the run; raises ``LavaRuntimeError`` instead of blocking if messages are missing.
    """
    queue = extractor.out_port.external_pipe_csp_recv_port._queue
    deadline = time.monotonic() + RECEIVE_GRACE_S
    while (pending := queue.qsize()) < num_steps and time.monotonic() < deadline:
        time.sleep(0.01)  # the last messages can still be on their way from the child process
    if pending < num_steps:
        raise LavaRuntimeError(f"expected {num_steps} output messages, the network sent {pending}")
    return np.stack([extractor.receive() for _ in range(num_steps)])
