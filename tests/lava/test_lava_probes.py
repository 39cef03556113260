"""Probes of a real Lava run: per-core counters vs a direct count on the spikes recorded in it.

The direct count below walks the core map neuron by neuron, from the FoldedNetwork's weights and
the attention decomposition's definition (coincidence neuron (h, n, m, i, j) <- q[n, h, i],
k[m, h, i], v[m, h, j]; it feeds count neuron (n, h, j)), not from the probes' code.
"""

import numpy as np
import pytest

from rat_lava import LavaDecoder
from rat_lava.deploy.network import INPUT
from rat_lava.lava.processes.attention.process import ChannelAttention
from rat_lava.lava.processes.recorder.process import Recorder
from rat_lava.probes.activity import COUNTERS
from rat_lava.probes.cores import CoreLimits, map_to_cores
from rat_lava.probes.simulated import simulated_probes
from tests.helpers.lava_models.faulty_attention import SilentAttention
from tests.helpers.tiny_rat import random_counts, tiny_network

STEPS = 40
LIMITS = CoreLimits(neurons=20)  # cut layers and products over several cores


@pytest.fixture(scope="module")
def network():
    return tiny_network(quantize=True)


@pytest.fixture(scope="module")
def counts():
    return random_counts(STEPS)


@pytest.fixture(scope="module")
def runs(network, counts):
    """Decoded (with probes) of the stock run and of a run with the silent attention model."""
    results = {}
    for name, overrides in (("stock", None), ("silent", {ChannelAttention: SilentAttention})):
        with LavaDecoder(network, probes=True, overrides=overrides, core_limits=LIMITS) as dec:
            results[name] = dec.record(counts)
            assert dec.probes is results[name].probes
    return results


def coincidence_indices(product):
    """Per coincidence neuron (C order over h, n, m, i, j): its q, k, v inputs and count output."""
    h, n, m, i, j = np.indices(
        (
            product.heads,
            product.tokens,
            product.tokens,
            product.head_features,
            product.head_features,
        )
    ).reshape(5, -1)
    d, f = product.heads * product.head_features, product.head_features
    return n * d + h * f + i, m * d + h * f + i, m * d + h * f + j, n * d + h * f + j


def direct_counters(network, core_map, outputs):
    """Per-step counters (T, cores), counted on the recorded outputs neuron by neuron."""
    steps = outputs[INPUT].shape[0]
    active = {name: (value != 0).astype(np.int64) for name, value in outputs.items()}
    products = {p.name: p for p in network.products}
    for p in network.products:  # coincidence neurons fire delay - 1 steps after q, k, v
        q, k, v, _ = coincidence_indices(p)
        fired = active[p.q][:, q] & active[p.k][:, k] & active[p.v][:, v]
        shifted = np.zeros_like(fired)
        shifted[p.delay - 1 :] = fired[: steps - (p.delay - 1)]
        active[p.name + ".coincidence"] = shifted
    fans = []  # (core, source node, synapses from each source neuron into the core)
    for core in core_map.cores:
        rows = slice(core.start, core.stop)
        if core.group.endswith(".coincidence"):
            p = products[core.group.removesuffix(".coincidence")]
            for src, index in zip((p.q, p.k, p.v), coincidence_indices(p)[:3], strict=True):
                fans.append((core, src, np.bincount(index[rows], minlength=p.size)))
        elif core.group in products:
            out = coincidence_indices(products[core.group])[3]
            fans.append(
                (core, core.group + ".coincidence", (out >= core.start) & (out < core.stop))
            )
        else:
            for conn in network.connections:
                if conn.dst == core.group:
                    fans.append((core, conn.src, np.count_nonzero(conn.weight[rows], axis=0)))
            recurrent = network.layer(core.group).recurrent
            if recurrent is not None:
                fans.append((core, core.group, np.count_nonzero(recurrent[rows], axis=0)))
    counters = {name: np.zeros((steps, len(core_map.cores)), np.int64) for name in COUNTERS}
    for core, src, fan in fans:
        counters["syn_ops"][:, core.index] += active[src] @ fan
        counters["spikes_in"][:, core.index] += active[src] @ (fan > 0)
    for core in core_map.cores:
        counters["dendrite_updates"][:, core.index] = core.neurons
        reach = [(fan > 0).astype(np.int64) for _, src, fan in fans if src == core.group]
        if reach:  # cores reached by each neuron of the core's group
            reached = np.sum(reach, axis=0)[core.start : core.stop]
            counters["axon_out"][:, core.index] = (
                active[core.group][:, core.start : core.stop] @ reached
            )
    return counters


@pytest.mark.slow
@pytest.mark.parametrize("run", ["stock", "silent"])
def test_per_core_counters_equal_a_direct_count_on_the_recorded_spikes(network, runs, run):
    decoded = runs[run]
    core_map = map_to_cores(network, LIMITS)
    assert decoded.probes.core_labels == tuple(core.label for core in core_map.cores)
    assert len(core_map.cores) > 10  # several cores per layer and per product stage
    expected = direct_counters(network, core_map, decoded.outputs)
    for name in COUNTERS:
        np.testing.assert_array_equal(getattr(decoded.probes.activity, name), expected[name], name)
    assert expected["syn_ops"].sum() > 0 and expected["axon_out"].sum() > 0
    assert decoded.probes.backend == "sim-fixed" and decoded.probes.activity.num_steps == STEPS
    assert decoded.timing["run_s"] > 0 and decoded.timing["probe_s"] >= 0


@pytest.mark.slow
def test_probes_count_what_lava_emitted_not_the_numpy_model(network, counts, runs):
    stock, silent = runs["stock"], runs["silent"]
    # the recording is the run's: stock Lava equals the bit-exact numpy model step for step
    reference = network.run(counts).outputs
    assert set(stock.outputs) == set(reference)
    for name, values in reference.items():
        if name != network.readout:  # the readout is recorded in Lava's units (v)
            np.testing.assert_array_equal(stock.outputs[name], values, name)
    np.testing.assert_array_equal(stock.outputs[INPUT], counts)
    model = simulated_probes(network, counts, limits=LIMITS)
    np.testing.assert_array_equal(stock.probes.activity.syn_ops, model.activity.syn_ops)
    # a Lava run that computes something else gives other counters than the numpy model
    assert not np.any(silent.outputs["attn"])
    assert not np.array_equal(silent.probes.activity.syn_ops, model.activity.syn_ops)
    for layer, per_step in silent.spikes.items():
        np.testing.assert_array_equal(per_step, silent.outputs[layer].sum(axis=1), layer)


def test_recorder_refuses_empty_or_bad_sizes():
    with pytest.raises(ValueError, match="at least one port"):
        Recorder(sizes=[], buffer_size=4)
    with pytest.raises(ValueError, match="at least one port"):
        Recorder(sizes=[3, 0], buffer_size=4)
    with pytest.raises(ValueError, match="buffer_size"):
        Recorder(sizes=[3], buffer_size=0)
    recorder = Recorder(sizes=[2, 3], buffer_size=4)
    assert [port.shape for port in recorder.inputs] == [(2,), (3,)]
    parts = recorder.split(np.arange(10).reshape(2, 5))
    np.testing.assert_array_equal(parts[1], [[2, 3, 4], [7, 8, 9]])
