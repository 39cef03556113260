"""A Lava child that raises or hangs inside LavaDecoder ends in one clear error, in bounded
time, with every Lava process stopped and the shared memory released; the next decode works."""

import os
import time

import numpy as np
import pytest

from rat_lava import LavaDecoder
from rat_lava.lava.errors import LavaProcessError, LavaTimeoutError
from rat_lava.lava.processes.attention.process import ChannelAttention
from tests.helpers.lava_models.faulty_attention import FAIL_AT, HangingAttention, RaisingAttention
from tests.helpers.tiny_rat import random_counts, tiny_network

STEPS = 30
TIMEOUT_S = 3.0


def shared_memory() -> set[str]:
    return set(os.listdir("/dev/shm"))


@pytest.fixture(scope="module")
def network():
    return tiny_network()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("model", "error", "message", "bound_s"),
    [
        (RaisingAttention, LavaProcessError, "raised ValueError: deliberate attention failure", 10),
        (HangingAttention, LavaTimeoutError, "stuck", TIMEOUT_S + 10),
    ],
    ids=["raise", "hang"],
)
@pytest.mark.parametrize("mode", ["decode", "step"])
def test_failure_is_one_clear_error(
    network, model, error, message, bound_s, mode, no_leftover_children
):
    counts = random_counts(STEPS)
    before = shared_memory()
    decoder = LavaDecoder(network, overrides={ChannelAttention: model}, timeout_s=TIMEOUT_S)
    started = time.monotonic()
    with pytest.raises(error, match=message):
        if mode == "decode":
            decoder.decode(counts)
        else:
            for row in counts:
                decoder.step(row)
    decoder.close()
    assert time.monotonic() - started < bound_s
    assert not shared_memory() - before  # Lava's shared-memory segments were unlinked
    healthy = LavaDecoder(network).decode(counts[: FAIL_AT + 3])
    assert np.array_equal(healthy, network.run(counts[: FAIL_AT + 3]).velocity)
