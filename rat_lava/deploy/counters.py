"""Efficiency of a deployed (folded) RAT network on given input: activity, operations, size.

Operations follow NeuroBench (``rat_lava.metrics.effective_ops``): every nonzero input of a
connection costs one operation per nonzero weight of its fan-out; binary spikes cost
accumulates (ACs), graded inputs (spike counts, attention products) multiply-accumulates
(MACs). Recurrent connections count like any other. Inside an attention product, each
coincident (k, v) spike pair adds one to K^T V and each q spike adds a row of K^T V to the
output: both are accumulates, reported separately as ``attention_acs_per_step``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rat_lava.deploy.network import AttentionProduct, FoldedNetwork
from rat_lava.metrics import Ops, effective_ops


@dataclass(frozen=True)
class Efficiency:
    """Activity and cost of one forward pass.

    Attributes:
        spikes_per_step: mean spikes per step of every spiking layer.
        connection_ops: effective ops per step of every connection, keyed "src->dst"
            (recurrent connections "name->name").
        attention_acs_per_step: accumulates per step inside the attention products.
        synapses: nonzero weights of the deployed network (recurrent included).
        neuron_parameters: per-neuron values (bias, current and voltage decay).
    """

    spikes_per_step: dict[str, float]
    connection_ops: dict[str, Ops]
    attention_acs_per_step: float
    synapses: int
    neuron_parameters: int

    @property
    def total(self) -> Ops:
        """All ACs and MACs per step, attention products included."""
        return sum(self.connection_ops.values(), Ops(self.attention_acs_per_step, 0.0))

    @property
    def parameters(self) -> int:
        """Deployed parameter count: nonzero weights plus per-neuron values."""
        return self.synapses + self.neuron_parameters


def attention_accumulates(
    product: AttentionProduct, q: np.ndarray, k: np.ndarray, v: np.ndarray
) -> float:
    """Accumulates per step of ``product`` for its (T, size) q, k, v spikes."""
    shape = (q.shape[0], product.tokens, product.heads, product.head_features)
    q, k, v = (x.reshape(shape) != 0 for x in (q, k, v))
    pairs = np.einsum("tnh,tnh->t", k.sum(-1), v.sum(-1))
    kv = np.einsum("tnhi,tnhj->thij", k.astype(np.int64), v.astype(np.int64))
    rows = np.einsum("tnhi,thi->t", q.astype(np.int64), np.count_nonzero(kv, axis=-1))
    return float((pairs + rows).sum()) / q.shape[0]


def efficiency(network: FoldedNetwork, spikes: np.ndarray) -> Efficiency:
    """Activity and effective operations per network step of ``network`` on spike counts
    (T bins, n_inputs), every bin over its sub-steps."""
    return efficiency_of_outputs(network, network.run(network.timing.to_steps(spikes)).outputs)


def efficiency_of_outputs(network: FoldedNetwork, outputs: dict[str, np.ndarray]) -> Efficiency:
    """Activity and effective operations of a run of ``network`` from the (T, size) output of
    every node (``FoldedNetwork.run(...).outputs``, or outputs recorded from a Lava run)."""
    ops = {
        f"{conn.src}->{conn.dst}": effective_ops(outputs[conn.src], conn.weight)
        for conn in network.connections
    }
    synapses = sum(int(np.count_nonzero(conn.weight)) for conn in network.connections)
    rates = {}
    for layer in network.layers:
        if layer.kind == "cuba":
            rates[layer.name] = float(outputs[layer.name].sum(axis=1).mean())
        if layer.recurrent is not None:
            ops[f"{layer.name}->{layer.name}"] = effective_ops(outputs[layer.name], layer.recurrent)
            synapses += int(np.count_nonzero(layer.recurrent))
    attention = sum(
        attention_accumulates(p, *(outputs[name] for name in p.inputs)) for p in network.products
    )
    return Efficiency(
        spikes_per_step=rates,
        connection_ops=ops,
        attention_acs_per_step=float(attention),
        synapses=synapses,
        neuron_parameters=3 * sum(layer.size for layer in network.layers),
    )
