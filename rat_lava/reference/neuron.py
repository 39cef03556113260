"""Neurons as Lava's fixed-point models compute them: CUBA LIF, the graded leaky integrator
(GradedIntegrator: LIF without spikes, sends v) and Sigma (graded integrator without leak).

LIF mirrors ``lava/proc/lif/models.py`` ``AbstractPyLifModelFixed`` + ``PyLifModelBitAcc``;
one time step, in this order:

1. ``u = sign(u') * ((|u'| * (4096 - (du + 1))) >> 12)`` with u' the previous current
   (rounds toward zero; the +1 is ``ds_offset``: du = -1 keeps u, du = 4095 empties it),
   then ``u += a_in << 6``, then a single wrap: u > 2**23 becomes u - 2**24 and
   u <= -2**23 becomes u + 2**24 (so +2**23 itself survives, as in Lava);
2. ``v = sign(v') * ((|v'| * (4096 - dv)) >> 12) + u + (bias_mant << bias_exp)``, clipped to
   [-(2**23 - 1), 2**23 - 1] (saturation, no wrap); a negative bias_exp shifts right (floor);
3. spike where ``v > vth << 6``; spiking neurons reset v to 0 (u is kept).

Sigma mirrors ``lava/proc/sdn/models.py`` ``PySigmaModelFixed``: ``sigma += a_in`` and the new
sigma is sent every step as a graded spike (int32, no 24-bit wrap in the CPU model).
"""

from typing import NamedTuple

import numpy as np

from rat_lava.deploy.fixed_point import (
    CURRENT_DECAY_OFFSET,
    DECAY_BITS,
    DECAY_UNITY,
    MANTISSA_SHIFT,
    STATE_LIMIT,
    wrap_int32,
)


class LIFParams(NamedTuple):
    """Parameters of one Lava ``LIF`` process (fixed point), per neuron or shared.

    du, dv: 12-bit decays (scalar or (n,) array; per-neuron arrays work in the CPU model).
    vth: threshold mantissa (effective threshold ``vth << 6``). bias_mant: stored by Lava as
    int16. bias_exp: shift of the bias (netx uses 6).
    """

    du: int | np.ndarray
    dv: int | np.ndarray
    vth: int | np.ndarray
    bias_mant: int | np.ndarray = 0
    bias_exp: int | np.ndarray = 0


class LIFState(NamedTuple):
    """u: synaptic current, v: membrane voltage; (n,) int64 holding Lava's int32 values."""

    u: np.ndarray
    v: np.ndarray


class SigmaState(NamedTuple):
    """sigma: (n,) int64, the running sum that Sigma sends every step."""

    sigma: np.ndarray


def lif_init(n: int) -> LIFState:
    """Zero state of ``n`` LIF neurons."""
    return LIFState(np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64))


def _decay(x: np.ndarray, decay: int | np.ndarray) -> np.ndarray:
    product = x * (DECAY_UNITY - np.asarray(decay, dtype=np.int64))
    return np.sign(product) * (np.abs(product) >> DECAY_BITS)


def lif_bias(params: LIFParams, n: int) -> np.ndarray:
    """Effective bias ``bias_mant << bias_exp`` (int16 storage of both, as in Lava), (n,)."""
    mant = np.broadcast_to(np.asarray(params.bias_mant), (n,)).astype(np.int16).astype(np.int64)
    exp = np.broadcast_to(np.asarray(params.bias_exp), (n,)).astype(np.int16).astype(np.int64)
    return np.where(exp >= 0, mant << np.maximum(exp, 0), mant >> np.maximum(-exp, 0))


def _subthreshold(params: LIFParams, state: LIFState, a_in: np.ndarray) -> LIFState:
    """Steps 1 and 2 of the module docstring: new (u, v) before any spike."""
    n = state.u.shape[0]
    activation = wrap_int32(wrap_int32(a_in) << MANTISSA_SHIFT)
    u = wrap_int32(_decay(state.u, np.asarray(params.du) + CURRENT_DECAY_OFFSET) + activation)
    u = np.where(u > STATE_LIMIT, u - 2 * STATE_LIMIT, u)
    u = np.where(u <= -STATE_LIMIT, u + 2 * STATE_LIMIT, u)
    v = _decay(state.v, params.dv) + u + lif_bias(params, n)
    return LIFState(u, np.clip(v, -STATE_LIMIT + 1, STATE_LIMIT - 1))


def lif_step(params: LIFParams, state: LIFState, a_in: np.ndarray) -> tuple[np.ndarray, LIFState]:
    """One time step of ``n`` LIF neurons.

    a_in: (n,) summed synaptic input of this step (int32 values from the synapses).
    Returns (spikes (n,) bool, new state).
    """
    u, v = _subthreshold(params, state, a_in)
    spikes = v > (np.asarray(params.vth, dtype=np.int64) << MANTISSA_SHIFT)
    return spikes, LIFState(u, np.where(spikes, 0, v))


def integrator_step(
    params: LIFParams, state: LIFState, a_in: np.ndarray
) -> tuple[np.ndarray, LIFState]:
    """One time step of ``rat_lava.lava.processes.integrator`` GradedIntegrator neurons: the LIF
    update without spikes or reset (``params.vth`` is unused). Returns (v (n,), new state)."""
    new = _subthreshold(params, state, a_in)
    return new.v, new


def sigma_init(n: int) -> SigmaState:
    """Zero state of ``n`` Sigma neurons."""
    return SigmaState(np.zeros(n, dtype=np.int64))


def sigma_step(state: SigmaState, a_in: np.ndarray) -> tuple[np.ndarray, SigmaState]:
    """One time step of Sigma neurons: returns (graded output = new sigma, new state)."""
    sigma = wrap_int32(state.sigma + np.asarray(a_in, dtype=np.int64))
    return sigma, SigmaState(sigma)
