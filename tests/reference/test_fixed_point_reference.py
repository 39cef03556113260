"""The numpy reference implements Lava's fixed-point rules, checked on hand-computed cases.

(Bit-exactness against a real Lava run is in tests/lava/test_reference_exact.py.)
"""

import numpy as np
import pytest

from rat_lava.deploy.fixed_point import STATE_LIMIT, effective_weights, shift_exp, wrap_int32
from rat_lava.reference.attention import channel_attention
from rat_lava.reference.network import LayerParams, SigmaParams, simulate
from rat_lava.reference.neuron import LIFParams, LIFState, lif_step, sigma_init, sigma_step
from rat_lava.reference.readout import decay_mantissas, leaky_readout_feedback
from rat_lava.reference.synapse import DenseParams, dense_init, dense_step


def test_effective_weights_follow_lava_clip_and_truncation():
    # mixed sign, 8 bits: clipped to [-256, 255], lowest bit dropped (floor)
    assert effective_weights(np.array([[3, -3, 300, -300, 255]])).tolist() == [
        [2, -4, 254, -256, 254]
    ]
    # one-signed matrices keep 8 full bits
    assert effective_weights(np.array([[3, 255, 400]])).tolist() == [[3, 255, 255]]
    assert effective_weights(np.array([[-3, -255, -400]])).tolist() == [[-3, -255, -255]]
    # fewer weight bits drop more low bits
    assert effective_weights(np.array([[7, 100]]), num_weight_bits=6).tolist() == [[4, 100]]


def test_weight_exponent_floors_negative_sums():
    assert shift_exp(np.array([5, -5, 4]), -1).tolist() == [2, -3, 2]
    assert shift_exp(np.array([5, -5]), 2).tolist() == [20, -20]
    assert wrap_int32(np.array([2**31, -(2**31) - 1])).tolist() == [-(2**31), 2**31 - 1]


def test_dense_adds_one_step_and_delays_add_more():
    params = DenseParams(np.array([[1, 10]]), delays=np.array([[0, 2]]))
    state, sent = dense_init(params), []
    for s_in in ([1, 1], [0, 0], [0, 0], [0, 0], [0, 0]):
        out, state = dense_step(params, state, np.array(s_in))
        sent.append(int(out[0]))
    assert sent == [0, 1, 0, 10, 0]  # spike at step 1: delay 0 arrives at 2, delay 2 at 4


def test_binary_and_graded_input():
    weights = np.array([[2, 4]])
    binary = DenseParams(weights)
    graded = DenseParams(weights, num_message_bits=8)
    _, state_b = dense_step(binary, dense_init(binary), np.array([3, 1]))
    _, state_g = dense_step(graded, dense_init(graded), np.array([3, 1]))
    assert state_b.a_buff[0, 0] == 6 and state_g.a_buff[0, 0] == 10


def lif(u: int, v: int) -> LIFState:
    return LIFState(np.array([u], dtype=np.int64), np.array([v], dtype=np.int64))


def test_lif_decay_rounds_toward_zero_and_du_has_an_offset():
    params = LIFParams(du=2047, dv=2048, vth=1000)
    # u: 4096 - (2047 + 1) = 2048 -> halves; v: halves, then adds u
    _, state = lif_step(params, lif(-101, -101), np.array([0]))
    assert state.u.tolist() == [-50] and state.v.tolist() == [-50 - 50]
    # du = -1 keeps u exactly; input is scaled by 2**6
    _, state = lif_step(LIFParams(du=-1, dv=4096, vth=1000), lif(7, 0), np.array([1]))
    assert state.u.tolist() == [7 + 64] and state.v.tolist() == [71]


def test_lif_current_wraps_once_and_voltage_saturates():
    keep = LIFParams(du=-1, dv=0, vth=(1 << 17) - 1)
    _, state = lif_step(keep, lif(STATE_LIMIT - 64, 0), np.array([1]))
    assert state.u.tolist() == [STATE_LIMIT]  # +2**23 itself is not wrapped (Lava's quirk)
    _, state = lif_step(keep, lif(STATE_LIMIT - 64, 0), np.array([2]))
    assert state.u.tolist() == [STATE_LIMIT + 64 - 2 * STATE_LIMIT]
    assert state.v.tolist() == [-(STATE_LIMIT - 64)]
    _, state = lif_step(keep, lif(-STATE_LIMIT + 10, -STATE_LIMIT + 5), np.array([0]))
    assert state.v.tolist() == [-(STATE_LIMIT - 1)]  # saturates, does not wrap


def test_lif_spikes_above_shifted_threshold_and_resets_voltage_only():
    params = LIFParams(du=4095, dv=4096, vth=1)
    spikes, state = lif_step(params, lif(0, 0), np.array([1]))  # u = v = 64, not > 64
    assert not spikes[0] and state.v.tolist() == [64]
    spikes, state = lif_step(params, lif(0, 0), np.array([2]))  # v = 128 > 64
    assert spikes[0] and state.v.tolist() == [0] and state.u.tolist() == [128]


def test_bias_uses_int16_mantissa_and_signed_exponent():
    spikes, state = lif_step(
        LIFParams(du=4095, dv=4096, vth=1 << 16, bias_mant=-5, bias_exp=-1),
        lif(0, 0),
        np.array([0]),
    )
    assert state.v.tolist() == [-3]  # -5 >> 1 floors


def test_leaky_readout_retains_one_minus_k_over_two_to_the_e():
    k = decay_mantissas(np.array([0.75]), 4)
    assert k.tolist() == [4]
    feedback = leaky_readout_feedback(k, 4)
    layer = LayerParams(DenseParams(np.array([[1]]), num_message_bits=8), SigmaParams(1), feedback)
    inputs = np.zeros((8, 1), dtype=np.int64)
    inputs[0] = 1000
    out = simulate([layer], inputs)[0].output[:, 0]
    expected, y = [], 0
    for t in range(8):
        y = y + (-4 * y >> 4) + (1000 if t == 1 else 0)
        expected.append(y)
    assert out.tolist() == expected
    assert out[2] == 750 and out[3] == 562  # floor(0.75 * 750)
    with pytest.raises(ValueError):
        decay_mantissas(np.array([0.0]), 8)  # k = 256 does not fit 8 bits


def test_sigma_accumulates():
    state = sigma_init(2)
    for a_in in ([1, -2], [3, 4]):
        out, state = sigma_step(state, np.array(a_in))
    assert out.tolist() == [4, 2]


def test_channel_attention_matches_the_formula():
    rng = np.random.default_rng(3)
    tokens, features, heads, shift = 5, 6, 2, 1
    q, k, v = (rng.integers(0, 2, (tokens, features)) for _ in range(3))
    out = channel_attention(q, k, v, heads, shift)
    per_head = features // heads
    for n in range(tokens):
        for i in range(features):
            head = range(i // per_head * per_head, (i // per_head + 1) * per_head)
            total = sum(q[n, j] * sum(k[m, j] * v[m, i] for m in range(tokens)) for j in head)
            assert out[n, i] == total >> shift
