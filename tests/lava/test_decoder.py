"""LavaDecoder: whole-sequence and streaming decoding, every backend's outputs, bad input.

Real Lava runs of a tiny folded RAT network (a few hundred neurons, 40 steps).
"""

import numpy as np
import pytest

from rat_lava import LavaDecoder
from rat_lava.deploy.graph import GraphError
from rat_lava.errors import DataError
from rat_lava.export.quantize import quantize_network
from rat_lava.lava.errors import BackendUnavailableError
from tests.helpers.tiny_rat import CHANNELS, random_counts, tiny_network

STEPS = 40


@pytest.fixture(scope="module")
def quantized():
    return tiny_network(quantize=True)


@pytest.fixture(scope="module")
def counts():
    return random_counts(STEPS)


@pytest.mark.slow
@pytest.mark.parametrize("quantizer", ["model", "exporter"])
def test_sim_fixed_decode_and_stream_equal_the_folded_network(quantized, counts, quantizer):
    """Quantized by the model (quantization-aware grid) or by ``quantize_network`` (odd
    weights on the 1/64 grid: doubled with weight_exp -1, extra synapses)."""
    if quantizer == "exporter":
        quantized, _ = quantize_network(tiny_network(quantize=False))
    expected = quantized.run(counts)
    assert np.abs(expected.velocity).max() > 0  # the readout is driven
    with LavaDecoder(quantized, "sim-fixed", velocity_scale=np.array([2.0, 0.5])) as decoder:
        decoded = decoder.record(counts)
        streamed = np.stack([decoder.step(row) for row in counts])
    scaled = expected.velocity * [2.0, 0.5]
    assert decoded.velocity.shape == (STEPS, 2)
    assert np.array_equal(decoded.velocity, scaled)  # row t is bin t: no offset
    assert np.array_equal(streamed, scaled)
    for layer, per_step in decoded.spikes.items():
        assert np.array_equal(per_step, expected.outputs[layer].sum(axis=1)), layer
    assert set(decoded.spikes) == {"x", "q", "k", "v", "a", "u", "mlp"}


@pytest.mark.slow
def test_sim_float_has_the_same_interface_and_tracks_the_float_network(counts):
    network = tiny_network(quantize=False)
    with LavaDecoder(network, "sim-float") as decoder:
        decoded = decoder.decode(counts)
        first = decoder.step(counts[0])
        decoder.reset()
        again = decoder.step(counts[0])
    assert decoded.shape == (STEPS, 2) and decoded.dtype == np.float64
    assert first.shape == (2,)
    assert np.array_equal(first, decoded[0]) and np.array_equal(again, first)
    # float models skip the 1/4096 grid, so the outputs differ by rounding, not in kind
    expected = network.run(counts).velocity
    assert np.corrcoef(decoded.ravel(), expected.ravel())[0, 1] > 0.9


def test_loihi2_without_lava_loihi_is_one_clear_error(quantized):
    with pytest.raises(BackendUnavailableError, match="lava-loihi.*INRC"):
        LavaDecoder(quantized, "loihi2")


def test_fixed_point_needs_a_quantized_network():
    with pytest.raises(GraphError, match="quantized"):
        LavaDecoder(tiny_network(quantize=False), "sim-fixed")


@pytest.mark.parametrize(
    ("spikes", "message"),
    [
        (
            np.zeros((5, CHANNELS + 1)),
            f"expects {CHANNELS} channels, the counts have {CHANNELS + 1}",
        ),
        (np.full((5, CHANNELS), np.nan), "NaN"),
        (np.full((5, CHANNELS), -1), "non-negative"),
        (np.full((5, CHANNELS), 0.5), "whole numbers"),
        (np.full((5, CHANNELS), 300), "at most 255"),
        (np.zeros(CHANNELS), r"\(T, C\)"),
    ],
    ids=["channels", "nan", "negative", "fraction", "too-many", "1-d"],
)
def test_bad_counts_are_rejected_before_lava_starts(quantized, spikes, message):
    decoder = LavaDecoder(quantized, "sim-fixed")
    with pytest.raises(DataError, match=message):
        decoder.decode(spikes)


def test_an_empty_sequence_decodes_to_nothing(quantized):
    assert LavaDecoder(quantized).decode(np.zeros((0, CHANNELS))).shape == (0, 2)
