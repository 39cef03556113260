"""Measure the CPU simulator's speed on chains of LIF layers: ``python -m rat_lava.bench.speed``.

Three ways to run T steps of the same network, side by side in one process:

- ``batch``: RingBuffer source + Extractor, one ``RunSteps(T)`` (the whole-sequence decode path);
- ``continuous``: ``StreamingRun`` in lock step, one ``step`` per time step;
- ``stepwise``: ``StreamingRun`` with one ``RunSteps(1)`` per time step.

``--attention`` instead times the two ChannelAttention models (fused, compiled; decomposed into
Loihi-native leaves) on the same random q, k, v spike trains and checks that they agree.

Start-up (compile + forking the children) is reported separately from the stepping rate.

For benchmarks of whole networks (``benchmarks/lava_sim_speed.py``): ``write_netx_chain`` and
``measure_netx`` time a plain chain through stock lava-dl netx (``lava.lib.dl.netx.hdf5.Network``).
"""

from __future__ import annotations

import argparse
import os
import time
from typing import NamedTuple

import h5py
import numpy as np
from lava.magma.core.process.ports.ports import InPort, OutPort
from lava.proc.io.source import RingBuffer

from rat_lava.bench.chains import build_chain
from rat_lava.deploy.decomposition import (
    DECOMPOSED_DELAY,
    decomposition_counts,
)
from rat_lava.deploy.fixed_point import CURRENT_DECAY_OFFSET
from rat_lava.deploy.graph import INPUT_MESSAGE_BITS
from rat_lava.lava.io import counts_source, receive_all, sequence_extractor
from rat_lava.lava.processes.attention.models import (
    ATTENTION_MODELS,
    attention_run_config_overrides,
)
from rat_lava.lava.processes.attention.process import ChannelAttention
from rat_lava.lava.runtime import GuardedRuntime
from rat_lava.lava.streaming import StreamingRun
from rat_lava.reference.network import LayerParams
from rat_lava.reference.neuron import LIFParams
from rat_lava.reference.synapse import DenseParams

DT_S = 0.004
"""Bin width of the decoding task (4 ms): real time is 250 steps/s."""


class SpeedResult(NamedTuple):
    """One measurement: ``start_s`` compile + start-up seconds, ``steps_per_s`` stepping rate."""

    mode: str
    layers: int
    steps: int
    start_s: float
    steps_per_s: float


def lif_chain(num_layers: int, width: int, channels: int, seed: int = 0) -> list[LayerParams]:
    """``num_layers`` Dense -> LIF layers of ``width`` neurons; graded counts into the first."""
    return lif_layers([width] * num_layers, channels, seed)


def lif_layers(widths: list[int], channels: int, seed: int = 0) -> list[LayerParams]:
    """Dense -> LIF layers of ``widths`` neurons, in order; graded counts into the first."""
    rng = np.random.default_rng(seed)
    layers, n_in = [], channels
    for k, width in enumerate(widths):
        weights = rng.integers(-40, 41, (width, n_in))
        synapse = DenseParams(weights, num_message_bits=INPUT_MESSAGE_BITS if k == 0 else 0)
        layers.append(LayerParams(synapse, LIFParams(du=1024, dv=512, vth=60)))
        n_in = width
    return layers


def _run_batch(inp: InPort, out: OutPort, counts: np.ndarray) -> tuple[float, float]:
    """Run a graph from ``inp`` to ``out`` over ``counts`` in one ``RunSteps(T)`` (RingBuffer
    source, Extractor); returns the perf_counter times at which stepping began and ended."""
    steps = counts.shape[0]
    source = counts_source(counts)
    source.s_out.connect(inp)
    extractor = sequence_extractor(out.shape[0], steps)
    out.connect(extractor.in_port)
    with GuardedRuntime(source) as runtime:
        runtime.start()
        started = time.perf_counter()
        runtime.run(steps)
        receive_all(extractor, steps)
        return started, time.perf_counter()


def measure(mode: str, layers: list[LayerParams], counts: np.ndarray) -> SpeedResult:
    """Time ``counts.shape[0]`` steps of ``layers`` in ``mode`` (batch/continuous/stepwise)."""
    steps = counts.shape[0]
    chain = build_chain(layers)
    start = time.perf_counter()
    if mode == "batch":
        started, done = _run_batch(chain.inp, chain.out, counts)
    else:
        with StreamingRun(chain.inp, chain.out, mode=mode) as stream:
            started = time.perf_counter()
            for row in counts:
                stream.step(row)
            done = time.perf_counter()
    return SpeedResult(mode, len(layers), steps, started - start, steps / (done - started))


def write_netx_chain(path: str | os.PathLike, layers: list[LayerParams]) -> None:
    """A netx HDF5 network of the Dense -> LIF ``layers`` (e.g. ``lif_layers``), as slayer
    writes one: an input layer, then one ``dense`` layer group per layer with a CUBA neuron
    (iDecay = du + 1, vDecay = dv, vThMant = vth, no bias)."""
    with h5py.File(path, "w") as handle:
        groups = handle.create_group("layer")
        first = groups.create_group("0")
        first.create_dataset("type", data=np.array([b"input"]))
        first.create_dataset("shape", data=np.array([layers[0].synapse.shape[1]]))
        for index, layer in enumerate(layers, start=1):
            group = groups.create_group(str(index))
            group.create_dataset("type", data=np.array([b"dense"]))
            group.create_dataset("shape", data=np.array([layer.synapse.shape[0]]))
            group.create_dataset("weight", data=np.asarray(layer.synapse.weights))
            neuron = group.create_group("neuron")
            neuron.create_dataset("type", data=np.array([b"CUBA"]))
            cuba = layer.neurons
            neuron.create_dataset("iDecay", data=cuba.du + CURRENT_DECAY_OFFSET)
            neuron.create_dataset("vDecay", data=cuba.dv)
            neuron.create_dataset("vThMant", data=cuba.vth)
            neuron.create_dataset("refDelay", data=1)
            neuron.create_dataset("gradedSpike", data=False)


def measure_netx(path: str | os.PathLike, counts: np.ndarray) -> SpeedResult:
    """Time ``counts.shape[0]`` steps of the stock ``lava.lib.dl.netx.hdf5.Network`` read from
    ``path`` (counts as 8-bit graded input) in batch mode; ``start_s`` includes reading the file
    and building the processes."""
    from lava.lib.dl.netx.hdf5 import Network

    steps = counts.shape[0]
    start = time.perf_counter()
    network = Network(net_config=str(path), input_message_bits=INPUT_MESSAGE_BITS)
    started, done = _run_batch(network.inp, network.out, counts)
    return SpeedResult(
        "netx", len(network.layers), steps, started - start, steps / (done - started)
    )


ATTENTION_SIZES = ((8, 16, 2), (16, 32, 4))
"""(tokens, features, heads) of the small and paper presets."""


def measure_attention(
    model: str, spikes: np.ndarray, num_heads: int
) -> tuple[SpeedResult, np.ndarray]:
    """Time one ChannelAttention (delay 2) run with ``model`` ("fused"/"decomposed").

    spikes: (3, T, N, d) binary q, k, v. Returns the timing (``layers`` = 1) and what the process
    sent, (T, N * d) int64.
    """
    _, steps, tokens, features = spikes.shape
    attention = ChannelAttention(
        num_tokens=tokens, num_features=features, num_heads=num_heads, delay=DECOMPOSED_DELAY
    )
    for data, port in zip(spikes, (attention.q_in, attention.k_in, attention.v_in), strict=True):
        RingBuffer(data=data.reshape(steps, -1).T).s_out.connect(port)
    extractor = sequence_extractor(tokens * features, steps)
    attention.a_out.connect(extractor.in_port)
    start = time.perf_counter()
    overrides = attention_run_config_overrides(model)
    with GuardedRuntime(attention, model_overrides=overrides) as runtime:
        started = time.perf_counter()
        runtime.run(steps)
        sent = receive_all(extractor, steps).astype(np.int64)
        done = time.perf_counter()
    return SpeedResult(model, 1, steps, started - start, steps / (done - started)), sent


def attention_main(steps: int, rate: float) -> None:
    """Print steps/s of both attention models for the small and paper sizes."""
    header = ("model", "tokens", "feat", "heads", "neurons", "synapses", "start s", "steps/s")
    print("{:>10} {:>6} {:>5} {:>5} {:>8} {:>9} {:>8} {:>8}  same output".format(*header))
    rng = np.random.default_rng(1)
    for tokens, features, heads in ATTENTION_SIZES:
        spikes = (rng.random((3, steps, tokens, features)) < rate).astype(np.int32)
        counts = decomposition_counts(tokens, heads, features // heads)
        outputs = {}
        for model in ATTENTION_MODELS:
            r, outputs[model] = measure_attention(model, spikes, heads)
            neurons, synapses = (
                (counts.neurons, counts.synapses) if model == "decomposed" else ("-", "-")
            )
            same = np.array_equal(outputs[model], outputs["fused"])
            print(
                f"{model:>10} {tokens:>6} {features:>5} {heads:>5} {neurons:>8} {synapses:>9} "
                f"{r.start_s:>8.2f} {r.steps_per_s:>8.0f}  {same}",
                flush=True,
            )


def main(argv: list[str] | None = None) -> None:
    """Print steps/s for each chain depth and mode (or of the attention models)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, nargs="+", default=[3, 7])
    parser.add_argument("--width", type=int, default=128)
    parser.add_argument("--channels", type=int, default=96)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--modes", nargs="+", default=["batch", "continuous", "stepwise"])
    parser.add_argument("--attention", action="store_true", help="time the attention models")
    parser.add_argument("--rate", type=float, default=0.2, help="q, k, v spike probability")
    args = parser.parse_args(argv)
    if args.attention:
        attention_main(args.steps, args.rate)
        return
    counts = np.random.default_rng(1).poisson(0.3, (args.steps, args.channels))
    header = ("mode", "layers", "steps", "start s", "steps/s", "x real time")
    print("{:>10} {:>6} {:>6} {:>8} {:>8} {:>11}".format(*header))
    for num_layers in args.layers:
        layers = lif_chain(num_layers, args.width, args.channels)
        for mode in args.modes:
            r = measure(mode, layers, counts)
            print(
                f"{r.mode:>10} {r.layers:>6} {r.steps:>6} {r.start_s:>8.2f} "
                f"{r.steps_per_s:>8.0f} {r.steps_per_s * DT_S:>11.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
