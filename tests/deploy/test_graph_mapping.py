"""How a FoldedNetwork maps onto Lava leaves (LavaGraph), without running Lava."""

import dataclasses

import numpy as np
import pytest

from rat_lava.deploy.graph import CORE, GraphError, LavaGraph
from rat_lava.deploy.network import Connection
from rat_lava.export.quantize import quantize_network
from rat_lava.reference.deployed import simulate
from tests.helpers.tiny_rat import random_counts, tiny_network


def test_layers_merge_into_few_populations_with_the_folded_parameters():
    network = tiny_network()
    graph = LavaGraph.from_network(network, "fixed")
    pops = {p.name: p for p in graph.populations}
    assert list(pops) == [CORE, "q", "k", "v", "readout"]
    core = pops[CORE]
    assert core.layers == ("x", "a", "u", "mlp") and core.kind == "cuba"
    assert pops["readout"].kind == "integrator"
    span = core.slices()["u"]
    u = network.layer("u")
    assert np.array_equal(core.du[span], u.current_decay - 1)  # Lava decays u by du + 1
    assert np.array_equal(core.dv[span], u.voltage_decay)
    assert np.array_equal(core.vth[span], np.full(u.size, round(64 * u.threshold)))
    assert np.array_equal(core.bias_mant[span], 64 * u.bias) and set(core.bias_exp) == {6}


def test_connections_become_one_synapse_per_source_and_destination():
    network = tiny_network()
    graph = LavaGraph.from_network(network, "fixed")
    synapses = {s.name: s for s in graph.synapses}
    assert set(synapses) == {
        "input->core",
        "core->q",
        "core->k",
        "core->v",
        "q->q",
        "k->k",
        "v->v",
        "attn->core",
        "core->core",
        "core->readout",
    }
    core = graph.population(CORE).slices()
    inner = synapses["core->core"]
    # recurrences, a->u, u->mlp without delay; the shortcut x->u waits for the attention path
    x_to_u = next(c for c in network.connections if (c.src, c.dst) == ("x", "u"))
    assert np.array_equal(inner.delays[core["u"], core["x"]], np.full((32, 32), x_to_u.delay))
    assert x_to_u.delay == 2 + network.products[0].delay
    assert not inner.delays[core["u"], core["a"]].any()
    assert np.array_equal(inner.weights[core["x"], core["x"]], 64 * network.layer("x").recurrent)
    assert synapses["input->core"].num_message_bits == 8
    assert synapses["attn->core"].num_message_bits > 0 and synapses["core->q"].num_message_bits == 0
    assert synapses["attn->core"].delays is None
    assert graph.products[0].delay == network.products[0].delay == 2


def test_float_graph_uses_model_units():
    network = tiny_network(quantize=False)
    graph = LavaGraph.from_network(network, "float")
    x = network.layer("x")
    core = graph.population(CORE)
    span = core.slices()["x"]
    assert np.allclose(core.du[span], x.current_decay / 4096)
    assert np.array_equal(core.bias_mant[span], x.bias)
    weights = {s.name: s.weights for s in graph.synapses}["input->core"]
    assert np.array_equal(weights[span], network.connections[0].weight)


def test_fixed_point_refuses_float_parameters():
    network = tiny_network(quantize=True)
    with pytest.raises(GraphError, match="quantized"):
        LavaGraph.from_network(dataclasses.replace(network, quantized=False), "fixed")
    odd = network.connections[0].weight.copy()
    odd[0, 0] += 1 / 256
    network.connections[0] = dataclasses.replace(network.connections[0], weight=odd)
    with pytest.raises(GraphError, match="input->x.*grid"):
        LavaGraph.from_network(network, "fixed")


def test_a_one_signed_matrix_holding_minus_256_is_halved_exactly():
    network = tiny_network()
    index = next(i for i, c in enumerate(network.connections) if c.src == "mlp")
    connection = network.connections[index]
    weights = np.full(connection.weight.shape, -2.0)
    weights[0, 0] = -4.0  # -256 in Lava units: outside an inhibitory matrix's [-255, 0]
    network.connections[index] = dataclasses.replace(connection, weight=weights)
    graph = LavaGraph.from_network(network, "fixed")
    synapse = {s.name: s for s in graph.synapses}["core->readout"]
    assert synapse.weight_exp == 1
    mlp = graph.population(CORE).slices()["mlp"]
    assert np.array_equal(synapse.weights[:, mlp] * 2, 64 * weights)


def test_weights_beyond_8_bits_are_refused():
    network = tiny_network()
    first = network.connections[0]
    big = first.weight.copy()
    big[0, 0] = 5.0  # 320 in Lava units
    network.connections[0] = Connection(first.src, first.dst, big, first.delay)
    with pytest.raises(GraphError, match="input->x.*8-bit"):
        LavaGraph.from_network(network, "fixed")


def test_odd_weights_of_the_exporters_grid_are_kept_exactly():
    """``quantize_network`` puts small weights on the 1/64 grid (odd integers), which a
    mixed-sign Lava Dense would round; they are doubled with weight_exp -1, and connections that
    also hold large even weights get a synapse of their own."""
    network, _ = quantize_network(tiny_network(quantize=False))
    recurrent = np.round(network.layer("x").recurrent * 32) / 32  # the 1/32 grid: even
    recurrent[0, :2] = [3.0, -3.0]  # 192 and -192: too large to double
    network.layers[0] = dataclasses.replace(network.layers[0], recurrent=recurrent)
    graph = LavaGraph.from_network(network, "fixed")
    synapses = {s.name: s for s in graph.synapses}
    assert synapses["input->core"].weight_exp == -1
    assert {synapses["core->core"].weight_exp, synapses["core->core#1"].weight_exp} == {0, -1}
    counts = random_counts(120)
    trace = simulate(graph, counts)
    assert np.array_equal(graph.velocity(trace.readout(graph)), network.run(counts).velocity)
