"""Per-core activity counted on a run, checked against direct computation from the weights."""

import numpy as np
import pytest

from rat_lava.deploy.counters import efficiency
from rat_lava.deploy.decomposition import COINCIDENCE_THRESHOLD
from rat_lava.deploy.network import INPUT
from rat_lava.probes import activity as activity_module
from rat_lava.probes.activity import CoreActivity, activity_from_outputs, coincidence_spikes
from rat_lava.probes.cores import CoreLimits, map_to_cores
from rat_lava.probes.groups import attention_groups
from rat_lava.probes.simulated import probes_from_outputs, simulated_probes


@pytest.fixture(scope="module")
def run(small_network, counts):
    core_map = map_to_cores(small_network)
    outputs = small_network.run(counts).outputs
    return core_map, outputs, activity_from_outputs(small_network, core_map, outputs)


def layer_inputs(network, name):
    """(source, weight (dst, src)) of every synapse matrix into layer ``name``."""
    items = [(c.src, c.weight) for c in network.connections if c.dst == name]
    layer = network.layer(name)
    if layer.recurrent is not None:
        items.append((name, layer.recurrent))
    return items


def test_layer_cores_count_synaptic_ops_and_input_spikes_of_their_weights(small_network, run):
    core_map, outputs, activity = run
    assert activity.per_step and activity.syn_ops.shape == (120, len(core_map.cores))
    for core in core_map.cores:
        if core.group.startswith("attn"):
            continue
        syn_ops = np.zeros(120, dtype=np.int64)
        spikes_in = np.zeros(120, dtype=np.int64)
        for src, weight in layer_inputs(small_network, core.group):
            fan = np.count_nonzero(weight[core.start : core.stop], axis=0)
            active = (outputs[src] != 0).astype(np.int64)
            syn_ops += active @ fan
            spikes_in += active @ (fan > 0)
        np.testing.assert_array_equal(activity.syn_ops[:, core.index], syn_ops)
        np.testing.assert_array_equal(activity.spikes_in[:, core.index], spikes_in)
        assert np.all(activity.dendrite_updates[:, core.index] == core.neurons)


def test_sent_messages_are_the_received_ones_minus_the_hosts(small_network, counts, run):
    core_map, _, activity = run
    embed = next(c for c in small_network.connections if c.src == INPUT)
    host_messages = 0
    for core in core_map.cores_of("x"):
        reaches = np.count_nonzero(embed.weight[core.start : core.stop], axis=0) > 0
        host_messages += int(((counts != 0).astype(np.int64) @ reaches).sum())
    totals = activity.totals()
    assert host_messages > 0
    assert totals.axon_out.sum() == totals.spikes_in.sum() - host_messages


def test_a_layer_core_sends_one_message_per_spike_and_destination_core(small_network, run):
    core_map, outputs, activity = run
    core = core_map.cores_of("mlp")[0]
    spikes = outputs["mlp"][:, core.start : core.stop] != 0
    # mlp neurons reach every mlp core (recurrent, dense) and every readout core
    destinations = len(core_map.cores_of("mlp")) + len(core_map.cores_of("readout"))
    np.testing.assert_array_equal(
        activity.axon_out[:, core.index], spikes.sum(axis=1) * destinations
    )
    readout = core_map.cores_of("readout")[0]
    assert np.all(activity.axon_out[:, readout.index] == 0)


def test_coincidence_neurons_count_the_attention_product(small_network, run):
    _, outputs, _ = run
    product = small_network.products[0]
    coincidence, counting = attention_groups(product)
    q, k, v = (outputs[name] for name in product.inputs)
    spikes = coincidence_spikes(q, k, v, product)
    # the same neurons, in the same order, as the decomposition's wiring drives to threshold
    pairs = zip(coincidence.inputs, (q, k, v), strict=True)
    drive = sum((item.synapses @ (x != 0).T.astype(np.int64)).T for item, x in pairs)
    np.testing.assert_array_equal(spikes, drive > COINCIDENCE_THRESHOLD)
    assert spikes.any()
    count = (counting.inputs[0].synapses @ spikes.T.astype(np.int64)).T
    np.testing.assert_array_equal(count, product(q, k, v))
    # the counting neurons emit the product two steps after q, k, v spiked
    np.testing.assert_array_equal(count[:-2], outputs["attn"][2:])


def test_activity_does_not_depend_on_how_the_network_is_cut(small_network, counts, run):
    core_map, outputs, activity = run
    other = map_to_cores(small_network, CoreLimits(neurons=37, profiles=1000))
    finer = activity_from_outputs(small_network, other, outputs).totals()
    coarse = activity.totals()
    assert finer.syn_ops.sum() == coarse.syn_ops.sum()
    assert finer.dendrite_updates.sum() == coarse.dendrite_updates.sum()
    assert finer.spikes_in.sum() > coarse.spikes_in.sum()  # more cores, more messages


def test_totals_and_shape_checks():
    per_step = CoreActivity(
        core_idx=np.array([0, 1]),
        chip_idx=np.array([0, 0]),
        syn_ops=np.array([[1, 2], [3, 4], [5, 6]]),
        dendrite_updates=np.full((3, 2), 7),
        axon_out=np.zeros((3, 2), dtype=np.int64),
        spikes_in=np.ones((3, 2), dtype=np.int64),
        num_steps=3,
    )
    totals = per_step.totals()
    assert not totals.per_step and totals.num_steps == 3
    np.testing.assert_array_equal(totals.syn_ops, [9, 12])
    np.testing.assert_array_equal(totals.dendrite_updates, [21, 21])
    with pytest.raises(ValueError, match="per step"):
        CoreActivity(
            core_idx=np.array([0, 1]),
            chip_idx=np.array([0, 0]),
            syn_ops=np.zeros((4, 2)),
            dendrite_updates=np.zeros((3, 2)),
            axon_out=np.zeros((3, 2)),
            spikes_in=np.zeros((3, 2)),
            num_steps=3,
        )


def test_simulated_probes_report(small_network, counts, run):
    core_map, _, activity = run
    report = simulated_probes(small_network, counts)
    assert report.source == "modelled" and report.backend == "folded"
    assert report.core_labels == tuple(core.label for core in core_map.cores)
    np.testing.assert_array_equal(report.activity.syn_ops, activity.syn_ops)
    assert np.all(np.isnan(report.memory_utilization))
    total_ops = efficiency(small_network, counts).total
    assert report.energy.acs_per_step == total_ops.acs_per_step
    assert report.energy.macs_per_step == total_ops.macs_per_step
    assert report.dt_s == small_network.dt
    from_outputs = probes_from_outputs(small_network, run[1], "sim-fixed")
    assert from_outputs.backend == "sim-fixed"
    np.testing.assert_array_equal(from_outputs.activity.axon_out, activity.axon_out)
    assert from_outputs.energy.total_energy_j == report.energy.total_energy_j


def test_coincidence_spikes_counted_in_chunks_give_the_same_activity(
    small_network, run, monkeypatch
):
    core_map, outputs, activity = run
    monkeypatch.setattr(
        activity_module, "_CHUNK_ELEMENTS", 8192 * 8
    )  # 8 steps per chunk, 118 steps (delay 2)
    chunked = activity_from_outputs(small_network, core_map, outputs)
    for name in ("syn_ops", "spikes_in", "axon_out"):
        np.testing.assert_array_equal(getattr(chunked, name), getattr(activity, name))
