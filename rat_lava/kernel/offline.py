"""Offline whole-sequence decode of a quantized network by the compiled kernel, without Lava.

``decode_compiled(network, spikes)`` computes what ``FoldedNetwork.simulate`` and a Lava
``sim-fixed`` run of the same network compute, bit for bit, at the kernel's speed: the
fixed-point reference for whole recordings (the exporter's R^2, the speed benchmark's "compiled
reference offline"). The steps run in chunks, so memory stays bounded by ``CHUNK_STEPS``.
"""

from __future__ import annotations

import numpy as np

from rat_lava.deploy.graph import LavaGraph
from rat_lava.deploy.network import FoldedNetwork
from rat_lava.kernel.plan import plan_graph
from rat_lava.kernel.step import CompiledStream

CHUNK_STEPS = 8192
"""Network steps per kernel call (the node outputs of one chunk are held at a time)."""


def compiled_readout(graph: LavaGraph, steps: np.ndarray) -> np.ndarray:
    """What the readout of the fixed-point ``graph`` sends, (T, readout size) int64 in units of
    1/4096, for per-step input counts (T, n_inputs) non-negative integers."""
    plan = plan_graph(graph)
    readout = plan.node_slice(graph.readout)
    stream = CompiledStream(plan)
    chunks = [
        stream.run(steps[first : first + CHUNK_STEPS], readout)
        for first in range(0, len(steps), CHUNK_STEPS)
    ]
    if not chunks:
        return np.zeros((0, readout.stop - readout.start), np.int64)
    return np.concatenate(chunks)


def decode_compiled(network: FoldedNetwork, spikes: np.ndarray) -> np.ndarray:
    """Velocity (T, 2) in model units, one row per bin, for spike counts (T, n_inputs) per bin
    of a quantized ``network`` (as ``network.simulate(spikes)``, bit for bit)."""
    if not network.quantized:
        raise ValueError("the compiled kernel runs quantized networks; use network.simulate")
    spikes = np.asarray(spikes)
    if spikes.ndim != 2 or spikes.shape[1] != network.n_inputs:
        raise ValueError(f"expected spikes of shape (T, {network.n_inputs}), got {spikes.shape}")
    graph = LavaGraph.from_network(network, "fixed")
    timing = network.timing
    readout = compiled_readout(graph, timing.to_steps(spikes).astype(np.int64))
    return timing.to_bins(graph.velocity(readout))
