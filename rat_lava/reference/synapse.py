"""Dense and DelayDense synapses exactly as Lava's fixed-point models compute them.

Mirrors ``lava/proc/dense/models.py`` (``PyDenseModelBitAcc``, ``PyDelayDenseModelBitAcc``):

- a step first *sends* the buffer accumulated at the previous step, then accumulates its input,
  so every synapse adds one time step of latency (and recurrent loops cannot deadlock);
- with ``num_message_bits == 0`` inputs are binary (non-zero means one spike); otherwise the
  integer payload multiplies the weight (graded spikes, e.g. spike counts > 1);
- the accumulated sum is shifted by ``weight_exp`` (floor for negative exponents);
- a synapse with delay d delivers d steps later than a plain one: ``a_buff`` has one column per
  delay, column 0 is sent, then the columns move one place left.

The emulation keeps Lava's int32 wrap-around at the points where Lava's arrays are int32.
"""

from typing import NamedTuple

import numpy as np

from rat_lava.deploy.fixed_point import WEIGHT_BITS, effective_weights, shift_exp, wrap_int32


class DenseParams(NamedTuple):
    """Parameters of one Lava ``Dense`` (or ``DelayDense`` when ``delays`` is given).

    weights: (n_out, n_in) integers, Lava's layout. weight_exp: shared exponent of 2 applied to
    the accumulated sum. num_weight_bits: weight precision (Lava truncates below it).
    num_message_bits: 0 for binary input, > 0 for graded input. delays: (n_out, n_in) integer
    synaptic delays in time steps (0..62) or None.
    """

    weights: np.ndarray
    weight_exp: int = 0
    num_weight_bits: int = WEIGHT_BITS
    num_message_bits: int = 0
    delays: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, int]:
        """(n_out, n_in)."""
        return tuple(np.shape(self.weights))

    @property
    def max_delay(self) -> int:
        """Largest synaptic delay in time steps (0 without delays)."""
        return 0 if self.delays is None else int(np.max(self.delays))


class DenseState(NamedTuple):
    """a_buff: (n_out, max_delay + 1) int64; column d reaches the neurons d + 1 steps later."""

    a_buff: np.ndarray


def dense_init(params: DenseParams) -> DenseState:
    """Zero state of a synapse."""
    return DenseState(np.zeros((params.shape[0], params.max_delay + 1), dtype=np.int64))


def dense_output(state: DenseState) -> np.ndarray:
    """What the synapse sends at the current step, (n_out,) int64 (before it reads its input)."""
    return state.a_buff[:, 0]


def dense_step(
    params: DenseParams, state: DenseState, s_in: np.ndarray
) -> tuple[np.ndarray, DenseState]:
    """One time step: returns (the output sent this step, the new state after reading ``s_in``).

    s_in: (n_in,) integers; binary spikes (any non-zero is one spike) or graded payloads.
    """
    weights = effective_weights(params.weights, params.num_weight_bits)
    s_in = np.asarray(s_in, dtype=np.int64)
    if params.num_message_bits == 0:
        s_in = (s_in != 0).astype(np.int64)
    out = dense_output(state)
    if params.delays is None:
        accum = weights @ s_in  # binary path: int64 column sum
        if params.num_message_bits > 0:  # graded path: int32 dot product, wraps
            accum = wrap_int32(accum)
        new = wrap_int32(shift_exp(accum, params.weight_exp))[:, None]
    else:
        products = wrap_int32(weights * s_in[None, :])
        slots = np.arange(params.max_delay + 1)
        per_delay = np.stack(
            [np.where(params.delays == d, products, 0).sum(axis=1) for d in slots], axis=1
        )
        shifted = np.concatenate([state.a_buff[:, 1:], np.zeros_like(state.a_buff[:, :1])], 1)
        new = wrap_int32(shifted + shift_exp(per_delay, params.weight_exp))
    return out, DenseState(new)
