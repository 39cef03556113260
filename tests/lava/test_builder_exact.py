"""Bit-exact: a trained small RAT model in Lava's fixed-point simulator (sim-fixed) sends, at
every one of 1000 steps, exactly what the numpy reference of the deployed graph computes: the
spikes of every population, the attention product and the readout's voltage, with either
attention ProcessModel (fused numpy, decomposed into Loihi-native leaves). The decoded velocity
also equals the quantized FoldedNetwork's, and the quantized PyTorch model's to float32 rounding.
"""

import numpy as np
import pytest
import torch
from lava.proc.io.source import RingBuffer

from rat_lava.deploy.graph import LavaGraph
from rat_lava.lava.builder import build_network, model_overrides
from rat_lava.lava.io import receive_all, sequence_extractor
from rat_lava.lava.runtime import GuardedRuntime
from rat_lava.reference.deployed import simulate
from tests.helpers.trained_rat import trained_rat

STEPS = 1000


@pytest.fixture(scope="module")
def case():
    rat = trained_rat()
    network = rat.fold(quantize=True)
    counts = rat.test.spikes[:STEPS]
    graph = LavaGraph.from_network(network, "fixed")
    return rat, network, graph, counts, simulate(graph, counts).outputs


def run_in_lava(graph: LavaGraph, counts: np.ndarray, attention_model: str) -> dict:
    """What every population and product sent at each step, (STEPS, size) int64 each."""
    built = build_network(graph)
    source = RingBuffer(data=counts.T.astype(np.int32))
    source.s_out.connect(built.inputs)
    ports = {pop.name: built.processes[pop.name].s_out for pop in graph.populations}
    ports.update(built.products)
    extractors = {name: sequence_extractor(port.shape[0], STEPS) for name, port in ports.items()}
    for name, port in ports.items():
        port.connect(extractors[name].in_port)
    overrides = model_overrides(graph, attention_model)
    with GuardedRuntime(source, model_overrides=overrides) as runtime:
        runtime.run(STEPS)
        return {name: receive_all(e, STEPS).astype(np.int64) for name, e in extractors.items()}


@pytest.mark.slow
@pytest.mark.parametrize("attention_model", ["fused", "decomposed"])
def test_trained_rat_in_lava_equals_the_reference(case, attention_model, no_leftover_children):
    rat, network, graph, counts, expected = case
    sent = run_in_lava(graph, counts, attention_model)
    assert set(sent) == set(expected)
    for name, values in expected.items():
        assert np.array_equal(sent[name], values), f"{name} differs at step(s) " + str(
            np.flatnonzero((sent[name] != values).any(axis=1))[:5]
        )
    for pop in graph.populations:  # every layer is active, the readout moves
        if pop.kind == "cuba":
            for layer, span in pop.slices().items():
                assert sent[pop.name][:, span].mean() > 0.005, layer
    assert np.ptp(sent[graph.readout]) > 1 << 12

    velocity = graph.velocity(sent[graph.readout])
    assert np.array_equal(velocity, network.run(counts).velocity)
    with torch.no_grad():
        rat.model.config.quantize = True
        try:
            spikes = torch.from_numpy(counts.astype(np.float32))[None]
            model = rat.model(spikes, rat.test.condition)[0].double().numpy()
        finally:
            rat.model.config.quantize = False
    np.testing.assert_allclose(model, velocity, rtol=1e-5, atol=1e-6 * np.abs(velocity).max())
