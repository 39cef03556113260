"""Core mapping: determinism, limits, layer splits, warnings, counts checked against weights."""

import copy

import numpy as np
import pytest

from rat_lava.deploy.decomposition import decomposition_counts
from rat_lava.probes.cores import CoreLimits, format_core_table, map_to_cores

GROUP_ORDER = ["x", "q", "k", "v", "attn.coincidence", "attn", "a", "u", "mlp", "readout"]


def direct_synapses(network, layer_name: str, start: int, stop: int) -> int:
    """Nonzero input weights of neurons [start, stop) of a layer, read off the weights."""
    layer = network.layer(layer_name)
    total = sum(
        int(np.count_nonzero(conn.weight[start:stop]))
        for conn in network.connections
        if conn.dst == layer_name
    )
    if layer.recurrent is not None:
        total += int(np.count_nonzero(layer.recurrent[start:stop]))
    return total


def test_map_is_deterministic(small_network):
    first = map_to_cores(small_network)
    assert map_to_cores(copy.deepcopy(small_network)) == first
    assert [core.index for core in first.cores] == list(range(len(first.cores)))


def test_groups_in_execution_order_and_every_neuron_on_one_core(small_network):
    core_map = map_to_cores(small_network)
    order = list(dict.fromkeys(core.group for core in core_map.cores))
    assert order == GROUP_ORDER
    sizes = {layer.name: layer.size for layer in small_network.layers}
    product = small_network.products[0]
    counts = decomposition_counts(product.tokens, product.heads, product.head_features)
    sizes.update({"attn.coincidence": counts.coincidence_neurons, "attn": counts.counting_neurons})
    for name, size in sizes.items():
        cores = core_map.cores_of(name)
        bounds = [(core.start, core.stop) for core in cores]
        assert bounds[0][0] == 0 and bounds[-1][1] == size
        assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:], strict=False))


def test_per_core_counts_match_the_weights(small_network):
    core_map = map_to_cores(small_network)
    for core in core_map.cores:
        if core.group.startswith("attn"):
            continue
        layer = small_network.layer(core.group)
        assert core.synapses == direct_synapses(small_network, core.group, core.start, core.stop)
        pairs = zip(
            layer.current_decay[core.start : core.stop],
            layer.voltage_decay[core.start : core.stop],
            strict=True,
        )
        assert core.profiles == len(set(pairs))


def test_attention_cores_hold_the_decomposition(small_network):
    core_map = map_to_cores(small_network)
    product = small_network.products[0]
    counts = decomposition_counts(product.tokens, product.heads, product.head_features)
    cores = core_map.cores_of("attn.coincidence") + core_map.cores_of("attn")
    assert sum(core.neurons for core in cores) == counts.neurons == 8192 + 128
    assert sum(core.synapses for core in cores) == counts.synapses
    assert all(core.profiles == 1 for core in cores)


def test_pruned_weights_take_no_synaptic_memory(small_network):
    network = copy.deepcopy(small_network)
    conn = next(c for c in network.connections if c.src == "u" and c.dst == "mlp")
    before = sum(core.synapses for core in map_to_cores(network).cores_of("mlp"))
    conn.weight[:, ::2] = 0.0
    after = sum(core.synapses for core in map_to_cores(network).cores_of("mlp"))
    assert before - after == 128 * 64


@pytest.mark.parametrize(
    "limits",
    [
        CoreLimits(neurons=50),
        CoreLimits(synapses=3000, neurons=4096),
        CoreLimits(profiles=5),
        CoreLimits(neurons=100, synapses=5000, profiles=16),
    ],
)
def test_limits_are_respected(small_network, limits):
    core_map = map_to_cores(small_network, limits)
    assert not any("cannot fit" in text for text in core_map.warnings)
    for core in core_map.cores:
        assert core.neurons <= limits.neurons
        assert core.synapses <= limits.synapses
        assert core.profiles <= limits.profiles
    total = sum(core.synapses for core in core_map.cores)
    assert total == sum(core.synapses for core in map_to_cores(small_network).cores)


def test_a_layer_is_split_into_near_equal_contiguous_slices(small_network):
    core_map = map_to_cores(small_network, CoreLimits(neurons=50, profiles=1000))
    assert [(c.start, c.stop) for c in core_map.cores_of("mlp")] == [(0, 43), (43, 86), (86, 128)]
    coincidence = core_map.cores_of("attn.coincidence")
    assert len(coincidence) == -(-8192 // 50)


def test_distinct_decays_split_a_layer_and_shared_ones_do_not(small_network):
    # every neuron of the small model has its own (current, voltage) decay pair
    assert len(map_to_cores(small_network).cores_of("mlp")) == 128 // 32
    network = copy.deepcopy(small_network)
    layer = network.layer("mlp")
    layer.current_decay[:] = layer.current_decay[0]
    layer.voltage_decay[:] = layer.voltage_decay[0]
    cores = map_to_cores(network).cores_of("mlp")
    assert len(cores) == 1 and cores[0].profiles == 1


def test_fan_in_beyond_a_core_warns_and_marks_the_cores(small_network):
    core_map = map_to_cores(small_network, CoreLimits(synapses=200))
    mlp_fan_in = 128 + 128  # u -> mlp dense plus recurrent
    assert any(
        "mlp" in text and f"{mlp_fan_in} input synapses" in text and "200" in text
        for text in core_map.warnings
    )
    over = [core for core in core_map.cores if core.synapses > 200]
    assert over and all(not core.group.startswith("attn.") for core in over)
    table = format_core_table(core_map)
    assert any(line.endswith("!") and "mlp[" in line for line in table.splitlines())
    assert "warning: neuron group mlp cannot fit" in table
    for core in core_map.cores:
        assert core.profiles <= 32 and core.neurons <= 8192


def test_more_cores_than_a_chip_warns(small_network):
    core_map = map_to_cores(small_network, CoreLimits(cores_per_chip=8))
    cores = len(core_map.cores)
    assert core_map.chips == -(-cores // 8)
    assert [core.chip for core in core_map.cores] == [i // 8 for i in range(cores)]
    assert core_map.warnings == (
        f"the network needs {cores} cores, more than the 8 of one chip: it spans "
        f"{core_map.chips} chips",
    )


def test_core_table_lists_every_core_and_the_totals(small_network):
    core_map = map_to_cores(small_network)
    lines = format_core_table(core_map).splitlines()
    assert len(lines) == 1 + len(core_map.cores) + 2
    assert lines[1].split()[:3] == ["0", "0", "x[0:32]"]
    neurons = sum(layer.size for layer in small_network.layers) + 8192 + 128
    synapses = sum(core.synapses for core in core_map.cores)
    assert lines[-2] == (
        f"cores used: {len(core_map.cores)} on 1 chip(s); {neurons} neurons, {synapses} synapses"
    )
    assert not any(line.endswith("!") for line in lines)


@pytest.mark.parametrize("name", ["neurons", "synapses", "profiles", "cores_per_chip"])
def test_limits_must_be_positive(name):
    with pytest.raises(ValueError, match=name):
        CoreLimits(**{name: 0})
