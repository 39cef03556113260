"""The whole deployed RAT network as Lava's fixed-point models compute it, in numpy.

Steps a fixed-point ``rat_lava.deploy.graph.LavaGraph`` (the leaves the Lava builder
instantiates) with the bit-exact leaf emulators of this package. Per Lava time step, in Lava's
order (``lava/proc/dense/models.py``: a synapse sends first, then reads):

1. every synapse sends what it accumulated up to the previous step;
2. every population sums the synapse outputs addressed to it and updates (LIF: spikes;
   GradedIntegrator: v);
3. every attention product sends the product of the q, k, v spikes of ``delay`` steps ago
   (zeros before), as both ChannelAttention models do;
4. every synapse reads its source's output of this step (input row, spikes, v or product).

The attention ``shift`` is 0: the product's scale is the weight of the synapse leaving it.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from rat_lava.deploy.fixed_point import wrap_int32
from rat_lava.deploy.graph import LavaGraph
from rat_lava.deploy.network import INPUT
from rat_lava.reference.attention import channel_attention
from rat_lava.reference.neuron import LIFParams, integrator_step, lif_init, lif_step
from rat_lava.reference.synapse import DenseParams, dense_init, dense_output, dense_step


class DeployedTrace(NamedTuple):
    """What every leaf sent over T steps: ``outputs`` maps each population and product name to
    (T, size) int64 (spikes 0/1, the integrator's v, the product's graded values)."""

    outputs: dict[str, np.ndarray]

    def readout(self, graph: LavaGraph) -> np.ndarray:
        """The readout's v (T, size), in units of 1/4096."""
        return self.outputs[graph.readout]


def _dense_params(graph: LavaGraph) -> list[DenseParams]:
    return [
        DenseParams(
            weights=s.weights,
            weight_exp=s.weight_exp,
            num_message_bits=s.num_message_bits,
            delays=s.delays,
        )
        for s in graph.synapses
    ]


def simulate(graph: LavaGraph, counts: np.ndarray) -> DeployedTrace:
    """Run the fixed-point ``graph`` on spike counts (T, n_inputs) non-negative integers."""
    if graph.precision != "fixed":
        raise ValueError("the reference emulates Lava's fixed-point models: use a fixed graph")
    counts = np.asarray(counts, dtype=np.int64)
    steps = counts.shape[0]
    synapses = _dense_params(graph)
    states = [dense_init(p) for p in synapses]
    neurons = {
        pop.name: (
            pop,
            LIFParams(pop.du, pop.dv, pop.vth, pop.bias_mant, pop.bias_exp),
            lif_init(pop.size),
        )
        for pop in graph.populations
    }
    nodes = [*graph.populations, *graph.products]
    outputs = {node.name: np.zeros((steps, node.size), dtype=np.int64) for node in nodes}
    for t in range(steps):
        drive = {pop.name: np.zeros(pop.size, dtype=np.int64) for pop in graph.populations}
        for syn, state in zip(graph.synapses, states, strict=True):
            drive[syn.dst] = drive[syn.dst] + dense_output(state)
        for name, (pop, params, state) in neurons.items():
            step = lif_step if pop.kind == "cuba" else integrator_step
            sent, state = step(params, state, wrap_int32(drive[name]))
            outputs[name][t] = sent
            neurons[name] = (pop, params, state)
        for p in graph.products:
            if t >= p.delay:
                q, k, v = (outputs[n][t - p.delay].reshape(p.tokens, -1) for n in (p.q, p.k, p.v))
                outputs[p.name][t] = channel_attention(q, k, v, p.heads, 0).reshape(-1)
        for i, (syn, params) in enumerate(zip(graph.synapses, synapses, strict=True)):
            source = counts[t] if syn.src == INPUT else outputs[syn.src][t]
            _, states[i] = dense_step(params, states[i], source)
    return DeployedTrace(outputs)
