"""The quantized model, its FoldedNetwork and the fixed-point reference of the deployed Lava
graph agree bit for bit, also where Lava's 24-bit states wrap (u) and saturate (v)."""

import dataclasses

import numpy as np
import torch

from rat_lava.deploy.graph import LavaGraph
from rat_lava.model import RATSNN, RATConfig
from rat_lava.reference.deployed import simulate

CHANNELS, STEPS, CONDITION = 96, 300, "c"


def test_model_folded_network_and_reference_agree():
    torch.manual_seed(0)
    model = RATSNN(RATConfig.small(quantize=True), CHANNELS, [CONDITION])
    model.train()
    with torch.no_grad():  # BatchNorm statistics far from their initial values
        for _ in range(3):
            model(torch.poisson(torch.full((4, 40, CHANNELS), 0.6)).clamp(max=3), CONDITION)
    model.eval()
    network = model.fold(CONDITION)
    counts = np.random.default_rng(0).poisson(0.6, (STEPS, CHANNELS)).clip(max=5)
    folded = network.run(counts)
    unlimited = dataclasses.replace(network, quantized=False).run(counts)
    assert not np.array_equal(folded.outputs["mlp"], unlimited.outputs["mlp"])  # limits reached

    graph = LavaGraph.from_network(network, "fixed")
    trace = simulate(graph, counts)
    assert np.array_equal(graph.velocity(trace.readout(graph)), folded.velocity)
    spikes = graph.layer_spikes(trace.outputs)
    for layer in network.layers:
        if layer.kind == "cuba":
            assert np.array_equal(spikes[layer.name], folded.outputs[layer.name].sum(axis=1))
    assert np.array_equal(trace.outputs["attn"], folded.outputs["attn"])

    with torch.no_grad():
        velocity = model(torch.from_numpy(counts).float()[None], CONDITION)[0].double().numpy()
    scale = np.abs(folded.velocity).max()
    np.testing.assert_allclose(velocity, folded.velocity, rtol=1e-5, atol=1e-6 * scale)
