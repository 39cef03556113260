"""The deployed network's fixed-point reference in pieces: each call continues the last one.

``DeployedStream(graph).run(counts)`` gives exactly what ``rat_lava.reference.deployed.simulate``
gives for the same counts (the same leaf order per step, the same integer arithmetic), but it
keeps every leaf's state between calls, so a stream of any length is checked chunk by chunk in
bounded memory: ``run(a)`` then ``run(b)`` equals ``simulate`` of ``a`` and ``b`` concatenated.
``step(counts)`` advances one bin (the ProcessModel of ``FusedNetwork`` runs it).

It is also several times faster than ``simulate``: what ``dense_step`` recomputes every step is
computed once (Lava's effective weights, and for a DelayDense one weight matrix per delay), and
a synapse step is one float64 matrix-vector product (``np.einsum``'s own loop, not BLAS:
a multi-threaded BLAS slows down many times over when other processes, such as the simulator's,
share the cores). That product is exact, and equals
``dense_step``'s integer sums, while inputs stay small enough that every sum is an integer below
2**53 and, for a DelayDense, every single product stays in int32 (Lava wraps each product);
a step with larger inputs is handed to ``dense_step`` itself. Neurons and attention products are
the reference's own leaf emulators.
"""

from __future__ import annotations

import numpy as np

from rat_lava.deploy.fixed_point import effective_weights, shift_exp, wrap_int32
from rat_lava.deploy.graph import LavaGraph, Synapse
from rat_lava.deploy.network import INPUT
from rat_lava.reference.attention import channel_attention
from rat_lava.reference.deployed import DeployedTrace
from rat_lava.reference.neuron import LIFParams, integrator_step, lif_init, lif_step
from rat_lava.reference.synapse import DenseParams, DenseState, dense_init, dense_step

FLOAT_EXACT = 1 << 53
"""float64 holds every integer below this exactly."""

INT32_LIMIT = 1 << 31


class _Synapse:
    """One synapse, its state (``DenseState``, as ``dense_step`` keeps it) and its weights as a
    float64 matrix: the plain effective weights, or for a DelayDense those of each delay that
    occurs, stacked (n_out rows per delay)."""

    def __init__(self, synapse: Synapse) -> None:
        self.params = DenseParams(
            weights=synapse.weights,
            weight_exp=synapse.weight_exp,
            num_message_bits=synapse.num_message_bits,
            delays=synapse.delays,
        )
        self.state = dense_init(self.params)
        weights = effective_weights(synapse.weights, self.params.num_weight_bits)
        self.slots = np.unique(synapse.delays) if synapse.delays is not None else None
        """The delays that occur (the other columns of ``a_buff`` receive nothing)."""
        if self.slots is not None:
            delays = synapse.delays
            weights = np.concatenate([np.where(delays == d, weights, 0) for d in self.slots])
        self.matrix = weights.astype(np.float64)
        largest = max(int(np.abs(weights).max(initial=0)), 1)
        fast_limit = (FLOAT_EXACT - 1) // (largest * weights.shape[1])
        if synapse.delays is not None:
            fast_limit = min(fast_limit, (INT32_LIMIT - 1) // largest)
        self.fast_limit = fast_limit
        """Largest input magnitude for which every product stays in int32 (Lava wraps each
        product of a DelayDense) and the float64 sums are exact integers."""

    def output(self) -> np.ndarray:
        """What the synapse sends this step (before it reads its input)."""
        return self.state.a_buff[:, 0]

    def read(self, s_in: np.ndarray) -> None:
        """Accumulate this step's input (``dense_step`` itself when ``s_in`` is too large)."""
        if self.params.num_message_bits == 0:
            s_in = (s_in != 0).astype(np.int64)
        if np.abs(s_in).max(initial=0) > self.fast_limit:
            _, self.state = dense_step(self.params, self.state, s_in)
            return
        summed = np.einsum("ij,j->i", self.matrix, s_in.astype(np.float64)).astype(np.int64)
        exp, buff = self.params.weight_exp, self.state.a_buff
        if self.params.delays is None:
            if self.params.num_message_bits > 0:
                summed = wrap_int32(summed)
            self.state = DenseState(wrap_int32(shift_exp(summed, exp))[:, None])
        else:
            per_delay = np.zeros_like(buff)
            per_delay[:, self.slots] = summed.reshape(len(self.slots), buff.shape[0]).T
            shifted = np.concatenate([buff[:, 1:], np.zeros_like(buff[:, :1])], axis=1)
            self.state = DenseState(wrap_int32(shifted + shift_exp(per_delay, exp)))


class DeployedStream:
    """The fixed-point ``graph`` stepped chunk by chunk with its state carried (see the module
    docstring); starts from the zero state, like a new Lava run."""

    def __init__(self, graph: LavaGraph) -> None:
        if graph.precision != "fixed":
            raise ValueError("the reference emulates Lava's fixed-point models: use a fixed graph")
        self.graph = graph
        self._synapses = [(s.dst, s.src, _Synapse(s)) for s in graph.synapses]
        self._neurons = [
            (
                pop.name,
                integrator_step if pop.kind == "integrator" else lif_step,
                LIFParams(pop.du, pop.dv, pop.vth, pop.bias_mant, pop.bias_exp),
            )
            for pop in graph.populations
        ]
        self._sizes = {pop.name: pop.size for pop in graph.populations}
        self._states = {pop.name: lif_init(pop.size) for pop in graph.populations}
        self._lag = max((p.delay for p in graph.products), default=0)
        """Rows of history the products read: the last ``_lag`` outputs of every node."""
        self.node_sizes = graph.node_sizes
        """Output size of every node, in the order ``step`` returns them
        (``LavaGraph.node_sizes``)."""
        self._history = {
            name: np.zeros((self._lag, size), np.int64) for name, size in self.node_sizes.items()
        }
        self._slot = 0
        """Row of ``_history`` that holds the outputs of ``_lag`` steps ago (a ring buffer)."""

    def step(self, counts: np.ndarray) -> dict[str, np.ndarray]:
        """Advance one step with input counts (n_inputs,); what every node sent this step, by
        name (size,) int64 (``node_sizes`` order)."""
        drive = {name: np.zeros(size, np.int64) for name, size in self._sizes.items()}
        for dst, _, synapse in self._synapses:
            drive[dst] += synapse.output()
        sent: dict[str, np.ndarray] = {}
        for name, step, params in self._neurons:
            sent[name], self._states[name] = step(
                params, self._states[name], wrap_int32(drive[name])
            )
        for p in self.graph.products:  # before the first step, the history is zeros
            q, k, v = (self._past(sent, n, p.delay).reshape(p.tokens, -1) for n in (p.q, p.k, p.v))
            sent[p.name] = channel_attention(q, k, v, p.heads, 0).reshape(-1).astype(np.int64)
        for _, src, synapse in self._synapses:
            synapse.read(counts if src == INPUT else sent[src])
        if self._lag:
            for name, rows in self._history.items():
                rows[self._slot] = sent[name]
            self._slot = (self._slot + 1) % self._lag
        return sent

    def run(self, counts: np.ndarray) -> DeployedTrace:
        """Continue over spike counts (T, n_inputs); what every leaf sent in these T steps."""
        counts = np.asarray(counts, dtype=np.int64)
        outputs = {
            name: np.zeros((len(counts), size), np.int64) for name, size in self.node_sizes.items()
        }
        for t, row in enumerate(counts):
            for name, values in self.step(row).items():
                outputs[name][t] = values
        return DeployedTrace(outputs)

    def _past(self, sent: dict[str, np.ndarray], name: str, delay: int) -> np.ndarray:
        """What node ``name`` sent ``delay`` steps before this one (this step's if 0)."""
        if delay == 0:
            return sent[name]
        return self._history[name][(self._slot - delay) % self._lag]
