"""A short soak (``benchmarks/soak.py`` runs the hour): ``LavaDecoder.step`` over 2000 bins of
the tiny network stays bit-exact with the fixed-point reference at every checkpoint and its
memory does not grow; and the reference stepped in pieces equals the reference in one piece."""

import functools

import numpy as np
import pytest

from rat_lava.bench.soak import repeated_bins, soak
from rat_lava.deploy.graph import LavaGraph
from rat_lava.export.quantize import quantize_network
from rat_lava.lava.decoder import LavaDecoder
from rat_lava.reference.deployed import simulate
from rat_lava.reference.stream import DeployedStream
from tests.helpers.tiny_rat import random_counts, tiny_network

STEPS = 2000
CHECKPOINT_EVERY = 400

RSS_GROWTH_LIMIT = 2 * 2**20
"""Largest growth (bytes) of the RSS sum from the second checkpoint (step 800, after the
warm-up allocations of the first steps, about 1 MiB) to the end. The run has 18 Lava model
processes (5 neuron populations, 10 synapses, the attention product, injector, extractor);
a leak of one message per step in each of them (a numpy array object and its data, 150 bytes
or more) would add at least 2.7 kB per step, over 3 MiB in those 1200 steps. Measured: tens of
kB."""


@functools.cache
def _network(quantizer: str):
    """The tiny network quantized by the model, or by the exporter (odd weights doubled with
    weight_exp -1, second synapses)."""
    if quantizer == "exporter":
        return quantize_network(tiny_network(quantize=False))[0]
    return tiny_network(quantize=True)


@pytest.mark.parametrize("quantizer", ["model", "exporter"])
@pytest.mark.parametrize("path", ["float64 products", "dense_step"])
def test_reference_stream_in_pieces_equals_simulate(quantizer, path):
    graph = LavaGraph.from_network(_network(quantizer), "fixed")
    counts = random_counts(300, seed=4, rate=1.5)
    expected = simulate(graph, counts).outputs
    stream = DeployedStream(graph)
    if path == "dense_step":  # every synapse takes the reference's own dense_step
        for _, _, synapse in stream._synapses:
            synapse.fast_limit = -1
    cuts = [0, 1, 2, 5, 130, 131, 300]  # pieces shorter and longer than the attention delay
    pieces = [stream.run(counts[a:b]).outputs for a, b in zip(cuts, cuts[1:], strict=False)]
    assert set(pieces[0]) == set(expected)
    for name, rows in expected.items():
        assert np.array_equal(np.concatenate([p[name] for p in pieces]), rows), name
    assert any(s.delays is not None for s in graph.synapses)  # the DelayDense path is covered


def test_repeated_bins_wrap_around():
    spikes = np.arange(10).reshape(5, 2)
    assert np.array_equal(repeated_bins(spikes, 3, 8)[:, 0], [6, 8, 0, 2, 4])


@pytest.mark.slow
def test_streaming_soak_is_bit_exact_and_memory_flat(no_leftover_children):
    counts = random_counts(STEPS, seed=7)
    with LavaDecoder(_network("model"), "sim-fixed", attention_model="fused") as decoder:
        report = soak(decoder, counts, STEPS, CHECKPOINT_EVERY, pss_points=2)
    steps = list(range(CHECKPOINT_EVERY, STEPS + 1, CHECKPOINT_EVERY))
    assert [c.step for c in report.checkpoints] == steps
    assert [c.step for c in report.sampled] == [CHECKPOINT_EVERY, STEPS]
    assert report.max_abs_diff == 0
    growth = report.rss_end - report.checkpoints[1].rss_bytes
    assert growth < RSS_GROWTH_LIMIT, f"RSS grew by {growth / 2**20:.1f} MiB"
