"""ChannelAttention: the RAT attention product Q (K^T V) of one time step, per head.

For N tokens (recording channels) with d features split into H heads of d / H features,

    out[n, i] = (sum_j q[n, j] * sum_m k[m, j] * v[m, i]) >> shift

where j and i run over the features of the head that holds i (block-diagonal K^T V). q, k, v are
the spikes of the Q, K and V neurons at step t; the product is sent as a graded spike at step
t + delay (zeros before), so delay 0 adds no latency (a synapse into the next neurons adds the
usual one step). All ports are flat (N * d,) vectors in token-major order (index n * d + j), the
layout of a Dense/LIF layer of N * d neurons.

Two ProcessModels (``models.py``), both ``fixed_pt`` and bit-exact with each other for binary
spikes; ``models.attention_run_config_overrides`` picks one at compile time:

- ``"fused"`` (default): vectorised numpy on the CPU, any delay >= 0, graded inputs multiply;
- ``"decomposed"``: a SubProcessModel of Loihi-native leaves only (Sparse synapses, coincidence
  LIF neurons, counting GradedVec neurons, see ``decomposition.py``); needs delay == 2 and
  treats any non-zero input as one spike.
"""

import numpy as np
from lava.magma.core.process.ports.ports import InPort, OutPort
from lava.magma.core.process.process import AbstractProcess
from lava.magma.core.process.variable import Var


class ChannelAttention(AbstractProcess):
    """Multi-head linear attention product over channel tokens (graded output).

    Parameters
    ----------
    num_tokens:
        N, number of tokens (channels).
    num_features:
        d, features per token, a multiple of ``num_heads``.
    num_heads:
        H, heads; head h owns features [h * d / H, (h + 1) * d / H).
    shift:
        Right shift applied to the integer product (scale 2**-shift), >= 0.
    delay:
        Steps from the step q, k, v arrive to the step their product is sent, >= 0.

    Ports
    -----
    q_in, k_in, v_in: InPort (N * d,), spikes (0/1; graded payloads multiply as integers).
    a_out: OutPort (N * d,), the product, integer graded spikes.

    Vars
    ----
    shift: (1,) right shift of the product (read every step by the fused model; fixed when the
        network is compiled in the decomposed model).
    """

    def __init__(
        self,
        *,
        num_tokens: int,
        num_features: int,
        num_heads: int = 1,
        shift: int = 0,
        delay: int = 0,
    ) -> None:
        super().__init__(
            num_tokens=num_tokens,
            num_features=num_features,
            num_heads=num_heads,
            shift=shift,
            delay=delay,
        )
        if num_tokens < 1 or num_features < 1 or num_heads < 1:
            raise ValueError("num_tokens, num_features and num_heads must be positive")
        if num_features % num_heads:
            raise ValueError(f"num_features={num_features} is not a multiple of {num_heads}")
        if shift < 0:
            raise ValueError(f"shift must be >= 0, got {shift}")
        if delay < 0:
            raise ValueError(f"delay must be >= 0 steps, got {delay}")
        shape = (num_tokens * num_features,)
        self.q_in = InPort(shape=shape)
        self.k_in = InPort(shape=shape)
        self.v_in = InPort(shape=shape)
        self.a_out = OutPort(shape=shape)
        self.shift = Var(shape=(1,), init=np.array([shift]))
