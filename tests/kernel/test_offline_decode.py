"""The offline compiled decode equals the network's own fixed-point simulation bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from rat_lava.kernel import offline
from rat_lava.kernel.offline import decode_compiled
from tests.helpers.export_helpers import CONDITIONS, counts, tiny_model, tiny_quantized


@pytest.mark.parametrize("attention", [True, False])
def test_equals_simulate(attention):
    network = tiny_quantized(attention=attention)
    spikes = counts(300, network.n_inputs, rate=1.5, seed=4)
    np.testing.assert_array_equal(decode_compiled(network, spikes), network.simulate(spikes))


def test_substeps_and_chunks(monkeypatch):
    network = tiny_model(dt=0.015, substeps=3, read_delay=8, quantize=True).fold(CONDITIONS[0])
    spikes = counts(200, network.n_inputs, rate=2.0, seed=5)
    monkeypatch.setattr(offline, "CHUNK_STEPS", 37)  # 608 steps in 17 chunks, the last partial
    decoded = decode_compiled(network, spikes)
    assert decoded.shape == (200, 2)
    np.testing.assert_array_equal(decoded, network.simulate(spikes))


def test_refuses_float_networks_and_wrong_shapes():
    with pytest.raises(ValueError, match="quantized"):
        decode_compiled(tiny_model().fold(CONDITIONS[0]), counts(10))
    network = tiny_quantized()
    with pytest.raises(ValueError, match="shape"):
        decode_compiled(network, counts(10, network.n_inputs + 1))
