"""Integer conventions of Lava's fixed-point (``fixed_pt``) CPU models, lava-nc 0.10.0.

One source of truth for the bit widths and scalings that the model, the exporter, the reference
emulator and the Lava builder share. Every number names the Lava line it mirrors (paths under
``lava/``).
"""

import numpy as np

DECAY_BITS = 12
"""Decays du, dv are 12-bit: factor (4096 - d) / 4096 (proc/lif/models.py, decay_shift)."""

DECAY_UNITY = 1 << DECAY_BITS
"""4096: a decay of 4096 empties the state in one step."""

DECAY_SCALE = DECAY_UNITY
"""Fixed-point scale of slayer/Lava CUBA decays: 4096 = the whole state decays in one step."""

CURRENT_DECAY_OFFSET = 1
"""The LIF current decays with du + 1 (``ds_offset``); netx writes du = iDecay - 1."""

STATE_BITS = 24
"""u and v are 24-bit signed in the fixed-point LIF (``uv_bitwidth``)."""

STATE_LIMIT = 1 << (STATE_BITS - 1)
"""2**23, Lava's ``max_uv_val``."""

MANTISSA_SHIFT = 6
"""Synaptic input and threshold are left-shifted by 6 bits (``act_shift``, ``vth_shift``);
netx also sets ``bias_exp = 6``, so all three share the scale 2**6 (slayer's weight scale 64)."""

WEIGHT_SCALE = 1 << MANTISSA_SHIFT
"""Fixed-point scale of slayer/Lava weights, thresholds and biases: 64 = 1.0."""

WEIGHT_BITS = 8
"""Synaptic weights are 8-bit (proc/dense/models.py clips with ``num_bits=8``)."""

MAX_DELAY = 62
"""Largest synaptic delay netx accepts (lib/dl/netx/hdf5.py clamps to 62; DelayDense allows 63)."""

SIGN_MIXED, SIGN_EXCITATORY, SIGN_INHIBITORY = 1, 2, 3
"""``lava.utils.weightutils.SignMode`` values."""


def wrap_int32(values: np.ndarray) -> np.ndarray:
    """Two's-complement wrap to int32, as numpy's int32 arithmetic and Lava's int32 channels do.

    Returned as int64 so that later arithmetic can emulate each int32 step explicitly.
    """
    return np.asarray(values, dtype=np.int64).astype(np.int32).astype(np.int64)


def shift_exp(values: np.ndarray, exp: int) -> np.ndarray:
    """``values * 2**exp`` as Lava applies a weight exponent: left shift, or arithmetic
    (floor) right shift for ``exp < 0`` (proc/dense/models.py ``run_spk``)."""
    values = np.asarray(values, dtype=np.int64)
    return np.left_shift(values, exp) if exp > 0 else np.right_shift(values, -exp)


def sign_mode(weights: np.ndarray) -> int:
    """Lava's ``determine_sign_mode``: excitatory if all >= 0, inhibitory if all <= 0."""
    if np.min(weights) >= 0:
        return SIGN_EXCITATORY
    if np.max(weights) <= 0:
        return SIGN_INHIBITORY
    return SIGN_MIXED


def effective_weights(weights: np.ndarray, num_weight_bits: int = WEIGHT_BITS) -> np.ndarray:
    """Weights as Lava's fixed-point Dense uses them after ``clip_weights`` and
    ``truncate_weights`` (utils/weightutils.py), int64.

    Mixed-sign matrices are clipped to [-256, 255] and lose ``9 - num_weight_bits`` low bits
    (so with the default 8 bits odd weights are floored to even ones); one-signed matrices are
    clipped to [0, 255] (or [-255, 0]) and lose ``8 - num_weight_bits`` bits.
    """
    w = np.asarray(weights, dtype=np.int64)
    mode = sign_mode(w)
    mixed = int(mode == SIGN_MIXED)
    if mode == SIGN_INHIBITORY:
        w = -w
    w = np.clip(w, -(1 << WEIGHT_BITS) * mixed, (1 << WEIGHT_BITS) - 1)
    drop = WEIGHT_BITS - num_weight_bits + mixed
    w = (w >> drop) << drop
    return -w if mode == SIGN_INHIBITORY else w
