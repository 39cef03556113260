"""FusedNetwork: the whole deployed network as one Lava process sends what the leaves send.

Real Lava runs: the leaves graph (standard processes, fused attention model) and the
FusedNetwork process, recorded from their runs with probes on, compared bit for bit; the
shipped export decoded by the FusedNetwork against the numpy reference of the leaves.
"""

import numpy as np
import pytest

from rat_lava import LavaDecoder
from rat_lava.demo import SHIPPED_EXPORT
from rat_lava.deploy.graph import LavaGraph
from rat_lava.errors import DataError
from rat_lava.export.netfile import read_net
from rat_lava.reference.deployed import simulate
from tests.helpers.tiny_rat import random_counts, tiny_network

STEPS = 1234  # not a whole number of fused blocks (100 steps), more than one chunk


@pytest.fixture(scope="module")
def network():
    return tiny_network(quantize=True)


@pytest.mark.slow
def test_fused_network_records_what_the_leaves_send(network, no_leftover_children):
    counts = random_counts(STEPS, seed=3, rate=1.5)
    runs = {}
    for model in ("leaves", "fused"):
        with LavaDecoder(network, "sim-fixed", network_model=model, probes=True) as decoder:
            runs[model] = decoder.record(counts)
    leaves, fused = runs["leaves"], runs["fused"]
    assert np.abs(leaves.velocity).max() > 0  # the readout is driven
    assert np.array_equal(fused.velocity, leaves.velocity)
    assert set(fused.outputs) == set(leaves.outputs)
    for name, rows in leaves.outputs.items():
        assert np.array_equal(fused.outputs[name], rows), name
    assert fused.spikes.keys() == leaves.spikes.keys()
    for layer, per_step in leaves.spikes.items():
        assert np.array_equal(fused.spikes[layer], per_step), layer
    for counter in ("syn_ops", "dendrite_updates", "axon_out", "spikes_in"):
        a, b = getattr(fused.probes.activity, counter), getattr(leaves.probes.activity, counter)
        assert np.array_equal(a, b), counter
    assert fused.probes.energy.energy_per_step_j == leaves.probes.energy.energy_per_step_j


@pytest.mark.slow
def test_fused_network_streams_what_it_decodes(network, no_leftover_children):
    counts = random_counts(60, seed=5)
    with LavaDecoder(network, "sim-fixed", network_model="fused") as decoder:
        decoded = decoder.decode(counts)
        streamed = np.stack([decoder.step(row) for row in counts])
        decoder.reset()
        again = decoder.step(counts[0])
    assert np.array_equal(streamed, decoded)
    assert np.array_equal(again, decoded[0])


@pytest.mark.slow
def test_fused_network_decodes_the_shipped_export_like_the_reference(no_leftover_children):
    net_file = read_net(SHIPPED_EXPORT)
    graph = LavaGraph.from_network(net_file.network, "fixed")
    rng = np.random.default_rng(0)
    counts = rng.poisson(0.05, (1000, graph.n_inputs)).astype(np.int32)
    readout = simulate(graph, counts).readout(graph)
    with LavaDecoder(SHIPPED_EXPORT, "sim-fixed", network_model="fused") as decoder:
        decoded = decoder.decode(counts)
    assert np.array_equal(decoded, graph.velocity(readout) * decoder.velocity_scale)
    assert np.abs(decoded).max() > 0


@pytest.mark.parametrize("backend", ["sim-float", "loihi2"])
def test_fused_network_runs_in_sim_fixed_only(network, backend):
    with pytest.raises(DataError, match="fused network model runs in the backend 'sim-fixed'"):
        LavaDecoder(network, backend, network_model="fused")


def test_unknown_network_model_is_refused(network):
    with pytest.raises(ValueError, match="unknown network model 'chip'"):
        LavaDecoder(network, "sim-fixed", network_model="chip")


@pytest.mark.slow
def test_any_block_of_steps_decodes_the_same(network, no_leftover_children):
    counts = random_counts(250, seed=7, rate=1.5)
    decoded = {}
    for block in (1, 7, 100):
        with LavaDecoder(network, "sim-fixed", network_model="fused", block_steps=block) as dec:
            decoded[block] = dec.decode(counts)
    assert np.abs(decoded[1]).max() > 0
    assert np.array_equal(decoded[7], decoded[1]) and np.array_equal(decoded[100], decoded[1])


@pytest.mark.parametrize("block", [0, -3, 2.5, True])
def test_block_steps_must_be_a_positive_integer(network, block):
    with pytest.raises(DataError, match="block_steps must be a positive integer"):
        LavaDecoder(network, "sim-fixed", network_model="fused", block_steps=block)


def test_block_steps_apply_to_the_fused_network_only(network):
    with pytest.raises(DataError, match="fused' only"):
        LavaDecoder(network, "sim-fixed", block_steps=10)
