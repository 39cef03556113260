"""A network that steps several times per data bin, run for real in Lava.

The tiny RAT with 3 network steps per 15 ms bin, each bin read one latency (8 steps) after it:
the leaves, the FusedNetwork and the numpy reference of the leaves
(``rat_lava.reference.deployed``) give the same velocity, bit for bit, over 1,000 bins (3,008
Lava steps); streaming one bin per ``step`` equals the whole-sequence decode, ``lag_bins``
behind; probes count every network step and charge each bin its sub-steps.
"""

import numpy as np
import pytest

from rat_lava import LavaDecoder
from rat_lava.deploy.graph import LavaGraph
from rat_lava.reference.deployed import simulate
from tests.helpers.tiny_rat import CONDITION, random_counts, tiny_model

SUBSTEPS = 3
BINS = 1000


@pytest.fixture(scope="module")
def network():
    model = tiny_model(dt=0.015, substeps=SUBSTEPS, read_delay=8, quantize=True)
    return model.fold(CONDITION)


@pytest.fixture(scope="module")
def counts():
    return random_counts(BINS, seed=4, rate=1.2)


@pytest.fixture(scope="module")
def reference(network, counts):
    """Velocity per bin of the numpy reference of the Lava leaves (model units)."""
    graph = LavaGraph.from_network(network, "fixed")
    timing = network.timing
    trace = simulate(graph, timing.to_steps(counts))
    return graph.velocity(timing.to_bins(trace.readout(graph)))


def test_reference_equals_the_folded_network(network, counts, reference):
    assert network.substeps == SUBSTEPS and network.latency_ms == pytest.approx(40.0)
    assert np.abs(reference).max() > 0
    assert np.array_equal(reference, network.simulate(counts))


@pytest.mark.slow
@pytest.mark.parametrize("network_model", ["leaves", "fused"])
def test_lava_decodes_bins_as_the_reference(
    network, counts, reference, network_model, no_leftover_children
):
    with LavaDecoder(network, "sim-fixed", network_model=network_model, probes=True) as decoder:
        decoded = decoder.record(counts)
    assert decoded.velocity.shape == (BINS, 2)
    assert np.array_equal(decoded.velocity, reference)
    assert all(per_bin.shape == (BINS,) for per_bin in decoded.spikes.values())
    probes = decoded.probes
    assert probes.activity.num_steps == BINS * SUBSTEPS + 8 and probes.substeps == SUBSTEPS
    assert probes.dt_s == pytest.approx(0.005)
    assert probes.energy_per_bin_j == pytest.approx(SUBSTEPS * probes.energy.energy_per_step_j)
    steps_per_bin = (BINS * SUBSTEPS + 8) / BINS
    assert decoded.timing["steps_per_s"] == pytest.approx(
        steps_per_bin * decoded.timing["bins_per_s"]
    )


@pytest.mark.slow
def test_streaming_bins_equals_the_whole_sequence(network, counts, reference, no_leftover_children):
    with LavaDecoder(network, "sim-fixed", network_model="fused") as decoder:
        streamed = np.stack([decoder.step(row) for row in counts[:60]])
        lag = decoder.lag_bins
    assert lag == 3  # read 2 + 8 steps after a bin's first sub-step: during the third bin after it
    assert np.array_equal(streamed[lag:], reference[: 60 - lag])
