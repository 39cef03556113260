"""The cached DelayDense models send exactly what Lava's own DelayDense models send."""

import numpy as np
import pytest
from lava.proc.dense.process import DelayDense
from lava.proc.io.source import RingBuffer

from rat_lava.lava.io import receive_all, sequence_extractor
from rat_lava.lava.processes.delay_dense.models import (
    PyDelayDenseModelCachedFixed,
    PyDelayDenseModelCachedFloat,
)
from rat_lava.lava.runtime import GuardedRuntime

STEPS, N_IN, N_OUT, MAX_DELAY = 60, 9, 7, 4
CACHED = {"fixed_pt": PyDelayDenseModelCachedFixed, "floating_pt": PyDelayDenseModelCachedFloat}


def run(data, weights, delays, bits, tag, cached):
    source = RingBuffer(data=data.T.copy())
    synapse = DelayDense(weights=weights, delays=delays, num_message_bits=bits)
    extractor = sequence_extractor(N_OUT, STEPS)
    source.s_out.connect(synapse.s_in)
    synapse.a_out.connect(extractor.in_port)
    overrides = {DelayDense: CACHED[tag]} if cached else None
    with GuardedRuntime(source, select_tag=tag, model_overrides=overrides) as runtime:
        runtime.run(STEPS)
        return receive_all(extractor, STEPS)


@pytest.mark.slow
@pytest.mark.parametrize("tag", ["fixed_pt", "floating_pt"])
@pytest.mark.parametrize("graded", [False, True], ids=["binary", "graded"])
def test_cached_model_equals_lavas_model(tag, graded, no_leftover_children):
    rng = np.random.default_rng(7)
    weights = rng.integers(-128, 128, (N_OUT, N_IN)) * 2
    weights[:, 0] = 0  # a column and a slot without weights
    delays = rng.integers(0, MAX_DELAY, (N_OUT, N_IN))
    delays[0, 1] = MAX_DELAY
    data = rng.integers(0, 2, (STEPS, N_IN))
    if graded:  # payloads up to 2**23: products beyond 2**31 wrap in the int32 model
        data = data * rng.integers(1, 1 << 23, (STEPS, N_IN))
    if tag == "floating_pt":
        weights = weights / 7.0
        data = data.astype(float)
    bits = 24 if graded else 0
    stock = run(data, weights, delays, bits, tag, cached=False)
    cached = run(data, weights, delays, bits, tag, cached=True)
    assert np.array_equal(stock, cached)
    assert np.count_nonzero(stock) > STEPS  # the synapse carried something
