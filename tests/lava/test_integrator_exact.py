"""GradedIntegrator (the readout) in Lava: LIF dynamics bit for bit, voltage sent every step."""

import numpy as np
import pytest
from lava.proc.dense.process import Dense
from lava.proc.io.source import RingBuffer

from rat_lava.deploy.fixed_point import STATE_LIMIT
from rat_lava.lava.io import receive_all, sequence_extractor
from rat_lava.lava.processes.integrator.process import GradedIntegrator
from rat_lava.lava.runtime import GuardedRuntime
from rat_lava.reference.neuron import LIFParams, integrator_step, lif_init
from rat_lava.reference.synapse import DenseParams, dense_init, dense_step

STEPS, INPUTS, NEURONS = 200, 5, 6


def run_lava(data: np.ndarray, weights: np.ndarray, neurons: dict, tag: str) -> np.ndarray:
    """RingBuffer -> graded Dense -> GradedIntegrator -> Extractor; what the integrator sent."""
    source = RingBuffer(data=data.T.copy())
    dense = Dense(weights=weights, num_message_bits=8)
    integrator = GradedIntegrator(shape=(NEURONS,), **neurons)
    extractor = sequence_extractor(NEURONS, STEPS)
    source.s_out.connect(dense.s_in)
    dense.a_out.connect(integrator.a_in)
    integrator.s_out.connect(extractor.in_port)
    with GuardedRuntime(source, select_tag=tag) as runtime:
        runtime.run(STEPS)
        return receive_all(extractor, STEPS)


@pytest.mark.slow
def test_fixed_point_integrator_is_bit_exact_including_wrap_and_saturation(no_leftover_children):
    rng = np.random.default_rng(3)
    data = rng.integers(0, 6, (STEPS, INPUTS)).astype(np.int32)
    weights = rng.integers(-120, 121, (NEURONS, INPUTS)) * 2
    weights[0] = 254  # neuron 0: no current decay and a strong drive: u wraps at 2**23
    neurons = {
        "du": np.array([-1, 0, 100, 1000, 4095, 2000]),
        "dv": np.array([10, 0, 300, 4000, 50, 4096]),
        "bias_mant": np.array([0, -4000, 7, -30, 100, 0]),  # neuron 1: v saturates
        "bias_exp": np.full(NEURONS, 6),
    }
    sent = run_lava(data, weights, neurons, "fixed_pt").astype(np.int64)
    params = LIFParams(vth=0, **neurons)
    synapse = DenseParams(weights, num_message_bits=8)
    syn_state, state = dense_init(synapse), lif_init(NEURONS)
    expected = np.zeros((STEPS, NEURONS), dtype=np.int64)
    for t in range(STEPS):
        a_in, syn_state = dense_step(synapse, syn_state, data[t])
        expected[t], state = integrator_step(params, state, a_in)
    assert np.array_equal(sent, expected)
    assert expected[:, 1].min() == -(STATE_LIMIT - 1)  # saturated
    assert np.any(np.diff(expected[:, 0]) < -STATE_LIMIT)  # wrapped


@pytest.mark.slow
def test_float_integrator_sends_its_voltage(no_leftover_children):
    rng = np.random.default_rng(4)
    data = rng.integers(0, 4, (STEPS, INPUTS)).astype(float)
    weights = rng.normal(0, 1, (NEURONS, INPUTS))
    du, dv, bias = (
        rng.uniform(0, 1, NEURONS),
        rng.uniform(0, 0.3, NEURONS),
        rng.normal(0, 1, NEURONS),
    )
    sent = run_lava(data, weights, {"du": du, "dv": dv, "bias_mant": bias}, "floating_pt")
    u, v = np.zeros(NEURONS), np.zeros(NEURONS)
    expected = np.zeros((STEPS, NEURONS))
    for t in range(STEPS):  # the Dense delivers row t - 1 at step t (nothing at step 0)
        u = u * (1 - du) + (weights @ data[t - 1] if t else 0)
        v = v * (1 - dv) + u + bias
        expected[t] = v
    np.testing.assert_allclose(sent, expected, rtol=1e-12, atol=1e-9)
