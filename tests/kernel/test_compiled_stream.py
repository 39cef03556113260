"""The compiled kernel equals the pure-Python fixed-point reference bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from rat_lava.deploy.graph import LavaGraph
from rat_lava.kernel.plan import plan_graph
from rat_lava.kernel.step import CompiledStream
from rat_lava.reference.deployed import simulate
from tests.helpers.export_helpers import counts, tiny_quantized


def _reference(graph: LavaGraph, spikes: np.ndarray) -> np.ndarray:
    trace = simulate(graph, spikes)
    return np.concatenate([trace.outputs[name] for name in graph.node_sizes], axis=1)


@pytest.mark.parametrize("attention", [True, False])
@pytest.mark.parametrize("rate", [0.3, 2.5])
def test_equals_the_reference_in_any_chunks(attention, rate):
    graph = LavaGraph.from_network(tiny_quantized(attention=attention), "fixed")
    spikes = counts(240, graph.n_inputs, rate=rate, seed=3)
    stream = CompiledStream(plan_graph(graph))
    chunks = [stream.run(spikes[a:b]) for a, b in ((0, 1), (1, 97), (97, 240))]
    np.testing.assert_array_equal(np.concatenate(chunks), _reference(graph, spikes))


def test_large_graded_inputs_wrap_as_lava_does():
    graph = LavaGraph.from_network(tiny_quantized(attention=True), "fixed")
    rng = np.random.default_rng(0)
    spikes = rng.integers(0, 1 << 26, size=(60, graph.n_inputs))  # sums overflow int32
    stream = CompiledStream(plan_graph(graph))
    np.testing.assert_array_equal(stream.run(spikes), _reference(graph, spikes))


def test_float_graphs_are_refused():
    with pytest.raises(ValueError, match="fixed"):
        plan_graph(LavaGraph.from_network(tiny_quantized(), "float"))
