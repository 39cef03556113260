"""Measure the CPU simulator's speed on chains of LIF layers: ``python -m rat_lava.lava.speed``.

Three ways to run T steps of the same network, side by side in one process:

- ``batch``: RingBuffer source + Extractor, one ``RunSteps(T)`` (the whole-sequence decode path);
- ``continuous``: ``StreamingRun`` in lock step, one ``step`` per time step;
- ``stepwise``: ``StreamingRun`` with one ``RunSteps(1)`` per time step.

``--attention`` instead times the two ChannelAttention models (fused numpy, decomposed into
Loihi-native leaves) on the same random q, k, v spike trains and checks that they agree.

Start-up (compile + forking the children) is reported separately from the stepping rate.
"""

from __future__ import annotations

import argparse
import time
from typing import NamedTuple

import numpy as np
from lava.proc.io.source import RingBuffer

from rat_lava.lava.io import counts_source, receive_all, sequence_extractor
from rat_lava.lava.network import build_chain
from rat_lava.lava.processes.attention.decomposition import (
    DECOMPOSED_DELAY,
    decomposition_counts,
)
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
    rng = np.random.default_rng(seed)
    layers, n_in = [], channels
    for k in range(num_layers):
        weights = rng.integers(-40, 41, (width, n_in))
        synapse = DenseParams(weights, num_message_bits=8 if k == 0 else 0)
        layers.append(LayerParams(synapse, LIFParams(du=1024, dv=512, vth=60)))
        n_in = width
    return layers


def measure(mode: str, layers: list[LayerParams], counts: np.ndarray) -> SpeedResult:
    """Time ``counts.shape[0]`` steps of ``layers`` in ``mode`` (batch/continuous/stepwise)."""
    steps = counts.shape[0]
    chain = build_chain(layers)
    width = chain.out.shape[0]
    start = time.perf_counter()
    if mode == "batch":
        source = counts_source(counts)
        source.s_out.connect(chain.inp)
        extractor = sequence_extractor(width, steps)
        chain.out.connect(extractor.in_port)
        with GuardedRuntime(source) as runtime:
            runtime.start()
            started = time.perf_counter()
            runtime.run(steps)
            receive_all(extractor, steps)
            done = time.perf_counter()
    else:
        with StreamingRun(chain.inp, chain.out, mode=mode) as stream:
            started = time.perf_counter()
            for row in counts:
                stream.step(row)
            done = time.perf_counter()
    return SpeedResult(mode, len(layers), steps, started - start, steps / (done - started))


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
