"""Graded spike counts in, graded values out, and step-by-step streaming, in real Lava runs."""

import time

import numpy as np
import pytest

from rat_lava.bench.chains import build_chain
from rat_lava.errors import DataError
from rat_lava.lava.errors import LavaProcessError
from rat_lava.lava.io import counts_source, receive_all, sequence_extractor
from rat_lava.lava.runtime import GuardedRuntime
from rat_lava.lava.streaming import StreamingRun
from rat_lava.reference.network import LayerParams, SigmaParams, simulate
from rat_lava.reference.neuron import LIFParams
from rat_lava.reference.readout import leaky_readout_feedback
from rat_lava.reference.synapse import DenseParams
from tests.helpers.lava_models.faulty_procs import Faulty

CHANNELS = 5
STEPS = 200


def readout_network(rng: np.random.Generator) -> list[LayerParams]:
    """counts -> LIF(12) -> leaky Sigma readout(3): a miniature decoder."""
    return [
        LayerParams(
            DenseParams(rng.integers(-50, 51, (12, CHANNELS)), num_message_bits=8),
            LIFParams(du=800, dv=400, vth=30),
        ),
        LayerParams(
            DenseParams(rng.integers(-60, 61, (3, 12))),
            SigmaParams(3),
            recurrent=leaky_readout_feedback(np.array([8, 40, 120]), 8),
        ),
    ]


def run_batch(layers: list[LayerParams], counts: np.ndarray) -> np.ndarray:
    chain = build_chain(layers)
    source = counts_source(counts)
    source.s_out.connect(chain.inp)
    extractor = sequence_extractor(chain.out.shape[0], counts.shape[0])
    chain.out.connect(extractor.in_port)
    with GuardedRuntime(source) as runtime:
        runtime.run(counts.shape[0])
        return receive_all(extractor, counts.shape[0]).astype(np.int64)


@pytest.mark.slow
def test_graded_counts_in_and_leaky_graded_readout_out(no_leftover_children):
    rng = np.random.default_rng(11)
    layers = readout_network(rng)
    counts = rng.poisson(1.5, (STEPS, CHANNELS))
    assert counts.max() > 1
    lava = run_batch(layers, counts)
    assert np.array_equal(lava, simulate(layers, counts)[-1].output)
    # counts > 1 are graded payloads, not single spikes
    as_binary = simulate(layers, np.minimum(counts, 1))[-1].output
    assert not np.array_equal(lava, as_binary)


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["continuous", "stepwise"])
def test_streaming_one_step_at_a_time_equals_the_whole_run(mode, no_leftover_children):
    rng = np.random.default_rng(12)
    layers = readout_network(rng)
    counts = rng.poisson(1.5, (STEPS, CHANNELS))
    chain = build_chain(layers)
    with StreamingRun(chain.inp, chain.out, mode=mode) as stream:
        streamed = np.stack([stream.step(row) for row in counts]).astype(np.int64)
        with pytest.raises(DataError, match="non-negative"):
            stream.step(-np.ones(CHANNELS))
        with pytest.raises(DataError, match="expected 5 channels"):
            stream.step(np.ones(CHANNELS + 1))
        assert stream.step(np.zeros(CHANNELS)).shape == (3,)  # still usable after bad input
    assert np.array_equal(streamed, simulate(layers, counts)[-1].output)


@pytest.mark.slow
def test_streaming_failure_is_reported_not_hung(no_leftover_children):
    rng = np.random.default_rng(13)
    layers = readout_network(rng)
    chain = build_chain(layers)
    faulty = Faulty(shape=(CHANNELS,), mode="raise", fail_at=4)
    faulty.s_out.connect(chain.inp)
    stream = StreamingRun(faulty.a_in, chain.out, step_timeout_s=30)
    start = time.monotonic()
    with pytest.raises(LavaProcessError, match="deliberate failure at time step 4"):
        try:
            for _ in range(10):
                stream.step(np.ones(CHANNELS))
        finally:
            stream.close()
    assert time.monotonic() - start < 30
