"""A fixed-point LavaGraph flattened into the plain integer arrays the compiled kernel steps.

Every array is int64. Node outputs
(populations, then attention products, in ``LavaGraph.node_sizes`` order) live side by side
in one vector; ``node_start[i]`` is where node i begins. Neurons are the populations' outputs,
so neuron j is node-vector entry j. Weights are stored by input, non-zero ones only
(compressed rows), so that a step visits the non-zero weights of the inputs that are non-zero:
its work is its accumulates, as on Loihi.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rat_lava.deploy.fixed_point import (
    CURRENT_DECAY_OFFSET,
    MANTISSA_SHIFT,
    WEIGHT_BITS,
    effective_weights,
)
from rat_lava.deploy.graph import LavaGraph
from rat_lava.deploy.network import INPUT

INPUT_NODE = -1
"""Source index of a synapse fed by the input counts."""


@dataclass(frozen=True)
class KernelPlan:
    """The arrays of ``rat_lava.kernel.step``; see the module docstring.

    Neurons (n,): ``du`` (with Lava's +1 offset), ``dv``, ``vth`` (shifted by 6), ``bias``
    (``bias_mant << bias_exp`` with Lava's int16 storage), ``integrator`` (1: sends v, no spike).
    Synapses (S,): ``syn_src`` (node index or INPUT_NODE), ``syn_dst`` (population index),
    ``syn_exp``, ``syn_graded`` (message bits > 0), ``syn_delayed`` (DelayDense), ``syn_nout``
    (outputs), ``syn_row`` (where its n_in + 1 entries of ``row_ptr`` start)
    and ``syn_out`` (where its n_out entries of ``out_ptr`` start). Output o of synapse s owns
    the buffer entries ``out_ptr[q]:out_ptr[q + 1]`` (q = ``syn_out[s] + o``): one per step of
    its largest delay + 1 (one for a Dense), entry 0 sent next. The non-zero weights of input i
    of synapse s are ``weights[row_ptr[r + i]:row_ptr[r + i + 1]]`` (r = ``syn_row[s]``), with
    their buffer entries ``slots`` alongside (output o, delay d: ``out_ptr[q] + d``). The same
    weights of the binary synapses (spikes in),
    grouped by the node entry they leave from: ``fan_ptr`` (node_size + 1,) into ``fan_slots``
    and ``fan_weights`` (the fan-out of a neuron to every population it reaches, as Loihi's
    axons route it).
    Products (R,): ``prod_qkv`` (R, 3) node indices, ``prod_shape`` (R, 3) tokens, heads,
    head features, ``prod_delay``, ``prod_node``.
    """

    n_inputs: int
    node_start: np.ndarray
    du: np.ndarray
    dv: np.ndarray
    vth: np.ndarray
    bias: np.ndarray
    integrator: np.ndarray
    syn_src: np.ndarray
    syn_dst: np.ndarray
    syn_exp: np.ndarray
    syn_graded: np.ndarray
    syn_delayed: np.ndarray
    syn_nout: np.ndarray
    syn_row: np.ndarray
    syn_out: np.ndarray
    out_ptr: np.ndarray
    row_ptr: np.ndarray
    slots: np.ndarray
    weights: np.ndarray
    fan_ptr: np.ndarray
    fan_slots: np.ndarray
    fan_weights: np.ndarray
    buffer_size: int
    prod_qkv: np.ndarray
    prod_shape: np.ndarray
    prod_delay: np.ndarray
    prod_node: np.ndarray
    lag: int
    node_names: tuple[str, ...]

    def arrays(self) -> tuple:
        """The plan in the argument order of ``rat_lava.kernel.step.run_block``."""
        return tuple(
            getattr(self, name)
            for name in (
                "node_start", "du", "dv", "vth", "bias", "integrator", "syn_src",
                "syn_dst", "syn_exp", "syn_graded", "syn_delayed", "syn_nout",
                "syn_row", "syn_out", "out_ptr", "row_ptr", "slots", "weights", "fan_ptr",
                "fan_slots", "fan_weights",
                "prod_qkv", "prod_shape", "prod_delay", "prod_node", "lag",
            )
        )  # fmt: skip

    def node_slice(self, name: str) -> slice:
        """Where node ``name`` lies in the node-output vector."""
        index = self.node_names.index(name)
        return slice(int(self.node_start[index]), int(self.node_start[index + 1]))

    @property
    def node_size(self) -> int:
        """Length of the node-output vector."""
        return int(self.node_start[-1])


def _bias(mant: np.ndarray, exp: np.ndarray) -> np.ndarray:
    """``mant << exp`` (floor shift right for exp < 0), both stored as int16 as in Lava."""
    mant = np.asarray(mant).astype(np.int16).astype(np.int64)
    exp = np.asarray(exp).astype(np.int16).astype(np.int64)
    return np.where(exp >= 0, mant << np.maximum(exp, 0), mant >> np.maximum(-exp, 0))


def plan_graph(graph: LavaGraph) -> KernelPlan:
    """Flatten the fixed-point ``graph`` for the compiled kernel."""
    if graph.precision != "fixed":
        raise ValueError("the compiled kernel steps Lava's fixed-point models: use a fixed graph")
    sizes = graph.node_sizes
    names = tuple(sizes)
    index = {name: i for i, name in enumerate(names)}
    node_start = np.concatenate([[0], np.cumsum(list(sizes.values()))]).astype(np.int64)
    pops = graph.populations

    def per_neuron(field: str) -> np.ndarray:
        return np.concatenate(
            [np.broadcast_to(np.asarray(getattr(p, field)), (p.size,)) for p in pops]
        ).astype(np.int64)

    bias = np.concatenate(
        [
            _bias(np.broadcast_to(p.bias_mant, (p.size,)), np.broadcast_to(p.bias_exp, (p.size,)))
            for p in pops
        ]
    )
    integrator = np.concatenate(
        [np.full(p.size, int(p.kind == "integrator"), np.int64) for p in pops]
    )
    pop_index = {p.name: i for i, p in enumerate(pops)}
    row_ptr, slots, weights, syn_row, syn_out, out_ptr = [], [], [], [], [], []
    fan_from, fan_slots, fan_weights = [], [], []
    row_at = edge_at = out_at = buf_at = 0
    for s in graph.synapses:
        w = effective_weights(s.weights, WEIGHT_BITS).T  # (n_in, n_out)
        d = np.zeros_like(w) if s.delays is None else np.asarray(s.delays, np.int64).T
        rows, outs = np.nonzero(w)  # row-major: the non-zero weights of each input, in order
        row_ptr.append(edge_at + np.searchsorted(rows, np.arange(w.shape[0] + 1)))
        depth = np.ones(w.shape[1], np.int64)
        np.maximum.at(depth, outs, d[rows, outs] + 1)
        starts = buf_at + np.concatenate([[0], np.cumsum(depth)[:-1]])
        slots.append(starts[outs] + d[rows, outs])
        weights.append(w[rows, outs])
        if s.num_message_bits == 0 and s.src != INPUT:
            fan_from.append(node_start[index[s.src]] + rows)
            fan_slots.append(slots[-1])
            fan_weights.append(weights[-1])
        syn_row.append(row_at)
        syn_out.append(out_at)
        out_ptr.append(starts)
        row_at += w.shape[0] + 1
        edge_at += len(rows)
        out_at += w.shape[1]
        buf_at += int(depth.sum())
    out_ptr.append(np.array([buf_at]))

    def joined(parts: list[np.ndarray]) -> np.ndarray:
        return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, np.int64)

    fan_from_all = joined(fan_from)
    order = np.argsort(fan_from_all, kind="stable")
    products = graph.products
    return KernelPlan(
        n_inputs=graph.n_inputs,
        node_start=node_start,
        du=per_neuron("du") + CURRENT_DECAY_OFFSET,
        dv=per_neuron("dv"),
        vth=per_neuron("vth") << MANTISSA_SHIFT,
        bias=bias,
        integrator=integrator,
        syn_src=np.array(
            [INPUT_NODE if s.src == INPUT else index[s.src] for s in graph.synapses], np.int64
        ),
        syn_dst=np.array([pop_index[s.dst] for s in graph.synapses], np.int64),
        syn_exp=np.array([s.weight_exp for s in graph.synapses], np.int64),
        syn_graded=np.array([int(s.num_message_bits > 0) for s in graph.synapses], np.int64),
        syn_delayed=np.array([int(s.delays is not None) for s in graph.synapses], np.int64),
        syn_nout=np.array([np.shape(s.weights)[0] for s in graph.synapses], np.int64),
        syn_row=np.array(syn_row, np.int64),
        syn_out=np.array(syn_out, np.int64),
        out_ptr=joined(out_ptr),
        row_ptr=joined(row_ptr),
        slots=joined(slots),
        weights=joined(weights),
        fan_ptr=np.searchsorted(fan_from_all[order], np.arange(node_start[-1] + 1)).astype(
            np.int64
        ),
        fan_slots=joined(fan_slots)[order],
        fan_weights=joined(fan_weights)[order],
        buffer_size=buf_at,
        prod_qkv=np.array(
            [[index[p.q], index[p.k], index[p.v]] for p in products], np.int64
        ).reshape(-1, 3),
        prod_shape=np.array(
            [[p.tokens, p.heads, p.head_features] for p in products], np.int64
        ).reshape(-1, 3),
        prod_delay=np.array([p.delay for p in products], np.int64),
        prod_node=np.array([index[p.name] for p in products], np.int64),
        lag=max((p.delay for p in products), default=0),
        node_names=names,
    )
