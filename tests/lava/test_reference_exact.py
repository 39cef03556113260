"""The numpy reference reproduces Lava's fixed_pt simulation bit for bit.

One random network with graded input counts, per-neuron decays and biases, a synapse with
delays, a recurrent layer and a leaky Sigma readout, 1000 time steps; a few neurons are driven
into Lava's 24-bit current wrap-around and voltage saturation on purpose.
"""

import numpy as np
import pytest
from lava.proc.io.sink import Read

from rat_lava.bench.chains import build_chain
from rat_lava.deploy.fixed_point import STATE_LIMIT
from rat_lava.lava.io import counts_source, receive_all, sequence_extractor
from rat_lava.lava.runtime import GuardedRuntime
from rat_lava.reference.network import (
    LayerParams,
    SigmaParams,
    init_layers,
    simulate,
    step_layers,
)
from rat_lava.reference.neuron import LIFParams
from rat_lava.reference.readout import leaky_readout_feedback
from rat_lava.reference.synapse import DenseParams

STEPS = 1000
CHANNELS = 6


def random_network(rng: np.random.Generator) -> list[LayerParams]:
    w0 = rng.integers(-60, 61, (10, CHANNELS))
    w0[9] = 120  # neuron 9: strong positive drive, no current decay -> u wraps at 2**23
    du0 = rng.integers(0, 4096, 10)
    du0[9] = -1
    bias0 = rng.integers(-100, 100, 10)
    bias0[8] = -4000  # neuron 8: v saturates at -(2**23 - 1)
    dv0 = rng.integers(0, 4096, 10)
    dv0[8] = 0
    vth0 = np.full(10, 40)
    vth0[9] = (1 << 17) - 1
    return [
        LayerParams(
            DenseParams(w0, weight_exp=-1, num_message_bits=8),
            LIFParams(du=du0, dv=dv0, vth=vth0, bias_mant=bias0, bias_exp=6),
        ),
        LayerParams(
            DenseParams(rng.integers(-120, 121, (8, 10)), delays=rng.integers(0, 4, (8, 10))),
            LIFParams(du=1024, dv=512, vth=50),
            recurrent=DenseParams(rng.integers(-80, 81, (8, 8))),
        ),
        LayerParams(
            DenseParams(rng.integers(-50, 51, (4, 8))),
            SigmaParams(4),
            recurrent=leaky_readout_feedback(np.array([16, 32, 64, 128]), 8),
        ),
    ]


@pytest.mark.slow
def test_reference_matches_lava_fixed_pt_bit_for_bit(no_leftover_children):
    rng = np.random.default_rng(7)
    layers = random_network(rng)
    counts = rng.poisson(0.8, (STEPS, CHANNELS))
    counts[::97] += 9  # some large graded payloads

    chain = build_chain(layers)
    source = counts_source(counts)
    source.s_out.connect(chain.inp)
    extractors = []
    for layer in chain.layers:
        extractor = sequence_extractor(layer.neurons.s_out.shape[0], STEPS)
        layer.neurons.s_out.connect(extractor.in_port)
        extractors.append(extractor)
    v_probe = Read(buffer=STEPS)
    v_probe.connect_var(chain.layers[0].neurons.v)

    with GuardedRuntime(source) as runtime:
        runtime.run(STEPS)
        lava_out = [receive_all(e, STEPS).astype(np.int64) for e in extractors]
        lava_v = runtime.read(v_probe.data).T.astype(np.int64)
        lava_u_end = runtime.read(chain.layers[1].neurons.u).astype(np.int64)
        lava_v_end = runtime.read(chain.layers[1].neurons.v).astype(np.int64)

    ref = simulate(layers, counts)
    for k, trace in enumerate(ref):
        assert np.array_equal(lava_out[k], trace.output), f"layer {k} output differs"
    assert np.array_equal(lava_v, ref[0].v)
    states = init_layers(layers)
    u_wrapping = np.zeros(STEPS, dtype=np.int64)
    for t in range(STEPS):
        _, states = step_layers(layers, states, counts[t])
        u_wrapping[t] = states[0].neurons.u[9]
    assert np.array_equal(lava_u_end, states[1].neurons.u)
    assert np.array_equal(lava_v_end, states[1].neurons.v)

    # the run exercised what it claims to
    assert lava_out[0].sum() > 0 and lava_out[1].sum() > 0 and np.any(lava_out[2] != 0)
    assert np.any(np.diff(u_wrapping) < -STATE_LIMIT), "current of neuron 9 never wrapped"
    assert np.any(lava_v[:, 8] == -(STATE_LIMIT - 1)), "voltage of neuron 8 never saturated"
