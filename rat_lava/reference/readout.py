"""Leaky integrator readout from Loihi-native leaves: Sigma neurons with a decaying self-loop.

Lava 0.10.0 has no fixed-point neuron that leaks *and* sends its state as a graded spike: the
LIF sends binary spikes only (netx ignores ``gradedSpike``), GradedVec forgets its input every
step, S4d is float-only. Sigma (``lava.proc.sdn``) integrates without leak and sends its sum every
step; a Dense self-connection with weight ``-k`` and ``weight_exp = -e`` adds the leak, because
the synapse delivers ``floor(-k * y[t-1] / 2**e)`` one step later:

    y[t] = y[t-1] + floor(-k * y[t-1] / 2**e) + x[t]  =  floor((1 - k / 2**e) * y[t-1]) + x[t]

(floor, so negative values settle at -1 rather than 0). Both leaves exist on Loihi 2 (Sigma is
the SDNN neuron netx maps ``sigma_output`` layers to; Dense with graded input is a standard
synapse).
"""

import numpy as np

from rat_lava.deploy.fixed_point import WEIGHT_BITS
from rat_lava.reference.synapse import DenseParams

READOUT_MESSAGE_BITS = 24
"""Graded payload width of the readout's self-loop (Sigma state is 24-bit on Loihi 2)."""


def decay_mantissas(alpha: np.ndarray, decay_exp: int) -> np.ndarray:
    """Integer leak mantissas k = round((1 - alpha) * 2**decay_exp) for per-step retention
    factors ``alpha`` in (0, 1]; k must fit the 8-bit inhibitory weight range [0, 255]."""
    k = np.rint((1.0 - np.asarray(alpha, dtype=float)) * (1 << decay_exp)).astype(np.int64)
    if np.any(k < 0) or np.any(k >= 1 << WEIGHT_BITS):
        raise ValueError(f"leak mantissas {k} do not fit 8 bits for decay_exp={decay_exp}")
    return k


def leaky_readout_feedback(decay_mant: np.ndarray, decay_exp: int) -> DenseParams:
    """Recurrent synapse (n, n) that turns Sigma neurons into leaky integrators with
    retention ``1 - decay_mant / 2**decay_exp`` per time step."""
    k = np.asarray(decay_mant, dtype=np.int64)
    return DenseParams(
        weights=-np.diag(k), weight_exp=-decay_exp, num_message_bits=READOUT_MESSAGE_BITS
    )
