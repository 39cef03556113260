"""Wiring of the Loihi-native decomposition of ChannelAttention into coincidence neurons.

For binary q, k, v and head h (features i, j of that head, tokens n, m):

    out[n, h, j] = sum_i q[n, h, i] sum_m k[m, h, i] v[m, h, j]
                 = sum_{m, i} AND(q[n, h, i], k[m, h, i], v[m, h, j])

so the product is a count of 3-way coincidences. The decomposition has one AND-type coincidence
neuron per (h, n, m, i, j), fed by one weight-1 synapse from each of q[n, h, i], k[m, h, i] and
v[m, h, j], and one counting neuron per output (n, h, j), fed by a weight-1 synapse from each of
its N * d / H coincidence neurons. Coincidence neurons are flattened in C order over
(h, n, m, i, j); inputs and outputs are token-major (n * d + h * d / H + i), like the process's
ports.

Timing (lava's Dense/Sparse send at t + 1 what they receive at t; neurons send in the step they
receive): q, k, v spike at step t, the coincidence neurons fire at t + 1, the counting neurons
send the count at t + 2, hence ``DECOMPOSED_DELAY``.

Nothing is pruned: for arbitrary spikes no coincidence neuron is redundant (each is the only one
that sees its triple of input lines), and we know of no exact two-stage circuit of threshold
neurons with fewer neurons. Cheaper exact circuits need a third stage (for example K^T V counts
first, then a q-gated graded stage: about 2 * heads * tokens * head_features**2 neurons), i.e. a
delay of 3 or more.
"""

from typing import NamedTuple

import numpy as np
from scipy.sparse import csr_matrix

DECOMPOSED_DELAY = 2
"""Steps from the q, k, v spikes to the count: synapse + coincidence neuron, synapse + counter."""

COINCIDENCE_INPUTS = 3
"""Synapses into each coincidence neuron: one each from q, k and v, weight 1."""

COINCIDENCE_THRESHOLD = COINCIDENCE_INPUTS - 1
"""vth mantissa of the coincidence LIF: it fires when v = inputs << 6 exceeds vth << 6, i.e.
only when all three inputs spiked in the same step."""


class DecompositionCounts(NamedTuple):
    """Neurons and synapses of one decomposed attention product.

    Attributes:
        coincidence_neurons: AND-type LIF neurons, heads * tokens**2 * head_features**2.
        counting_neurons: graded neurons that emit the count, tokens * heads * head_features.
        input_synapses: q, k, v -> coincidence, 3 per coincidence neuron (weight 1).
        output_synapses: coincidence -> counting, 1 per coincidence neuron (weight 1).
    """

    coincidence_neurons: int
    counting_neurons: int
    input_synapses: int
    output_synapses: int

    @property
    def neurons(self) -> int:
        """All neurons of the decomposition."""
        return self.coincidence_neurons + self.counting_neurons

    @property
    def synapses(self) -> int:
        """All synapses of the decomposition."""
        return self.input_synapses + self.output_synapses


class DecompositionWiring(NamedTuple):
    """0/1 weight matrices (post, pre) of the decomposition, scipy CSR, int32.

    Attributes:
        q, k, v: (coincidence neurons, tokens * features) from each input port.
        count: (tokens * features, coincidence neurons) into the counting neurons.
    """

    q: csr_matrix
    k: csr_matrix
    v: csr_matrix
    count: csr_matrix


def _check_geometry(tokens: int, heads: int, head_features: int) -> None:
    if min(tokens, heads, head_features) < 1:
        raise ValueError(
            f"tokens, heads and head_features must be positive, got {tokens}, {heads}, "
            f"{head_features}"
        )


def decomposition_counts(tokens: int, heads: int, head_features: int) -> DecompositionCounts:
    """Neuron and synapse counts of the decomposition for N tokens and H heads of d / H features.

    Example: 8 tokens, 2 heads x 8 features (the small preset) give 8192 coincidence and 128
    counting neurons, 32768 synapses.
    """
    _check_geometry(tokens, heads, head_features)
    coincidence = heads * tokens**2 * head_features**2
    return DecompositionCounts(
        coincidence_neurons=coincidence,
        counting_neurons=tokens * heads * head_features,
        input_synapses=COINCIDENCE_INPUTS * coincidence,
        output_synapses=coincidence,
    )


def decomposition_wiring(tokens: int, heads: int, head_features: int) -> DecompositionWiring:
    """The synapse matrices of the decomposition (see the module docstring for the layout)."""
    _check_geometry(tokens, heads, head_features)
    features = heads * head_features
    h, n, m, i, j = np.indices((heads, tokens, tokens, head_features, head_features)).reshape(5, -1)
    coincidence = h.size
    rows = np.arange(coincidence)
    ones = np.ones(coincidence, dtype=np.int32)

    def onto_coincidence(token: np.ndarray, feature: np.ndarray) -> csr_matrix:
        cols = token * features + h * head_features + feature
        return csr_matrix((ones, (rows, cols)), shape=(coincidence, tokens * features))

    out = n * features + h * head_features + j
    return DecompositionWiring(
        q=onto_coincidence(n, i),
        k=onto_coincidence(m, i),
        v=onto_coincidence(m, j),
        count=csr_matrix((ones, (out, rows)), shape=(tokens * features, coincidence)),
    )
