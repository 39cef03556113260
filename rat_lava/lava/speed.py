"""Measure the CPU simulator's speed on chains of LIF layers: ``python -m rat_lava.lava.speed``.

Three ways to run T steps of the same network, side by side in one process:

- ``batch``: RingBuffer source + Extractor, one ``RunSteps(T)`` (the whole-sequence decode path);
- ``continuous``: ``StreamingRun`` in lock step, one ``step`` per time step;
- ``stepwise``: ``StreamingRun`` with one ``RunSteps(1)`` per time step.

``--attention`` instead times the two ChannelAttention models (fused numpy, decomposed into
Loihi-native leaves) on the same random q, k, v spike trains and checks that they agree.

Start-up (compile + forking the children) is reported separately from the stepping rate.

For benchmarks of whole networks (``benchmarks/lava_sim_speed.py``, ``benchmarks/soak.py``):
``write_netx_chain`` and ``measure_netx`` time a plain chain through stock lava-dl netx
(``lava.lib.dl.netx.hdf5.Network``); ``tree_rss``, ``tree_pss`` and ``PeakMemory`` measure the
memory of this process and of Lava's child processes; ``benchmark_network`` gives the network
to measure; ``rotated`` gives the order of each repeat of benchmarks that rotate their paths.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import threading
import time
from contextlib import suppress
from pathlib import Path
from typing import NamedTuple, TypeVar

import h5py
import numpy as np
from lava.magma.core.process.ports.ports import InPort, OutPort
from lava.proc.io.source import RingBuffer

from rat_lava.data.session import Session
from rat_lava.lava.graph import INPUT_MESSAGE_BITS
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
from rat_lava.model.folded import FoldedNetwork
from rat_lava.reference.fixed_point import CURRENT_DECAY_OFFSET
from rat_lava.reference.network import LayerParams
from rat_lava.reference.neuron import LIFParams
from rat_lava.reference.synapse import DenseParams

DT_S = 0.004
"""Bin width of the decoding task (4 ms): real time is 250 steps/s."""

T = TypeVar("T")


def rotated(items: list[T] | tuple[T, ...], repeat: int) -> list[T]:
    """``items`` started at index ``repeat`` (mod their count): rotating the order from repeat to
    repeat spreads warm-up and a shared machine's slow phases over everything measured."""
    shift = repeat % len(items)
    return [*items[shift:], *items[:shift]]


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


def _tree_sum(field: str) -> int:
    """Sum of one psutil memory figure (``rss`` or ``pss``) over this process and all its
    descendants (Lava's model processes and runtime services), bytes."""
    import psutil

    def read(process: psutil.Process) -> int:
        info = process.memory_info() if field == "rss" else process.memory_full_info()
        return getattr(info, field)

    me = psutil.Process()
    total = read(me)
    for child in me.children(recursive=True):
        with suppress(psutil.NoSuchProcess):  # a child may end between listing and reading
            total += read(child)
    return total


def tree_rss() -> int:
    """Resident memory (RSS) of this process plus all its descendants, bytes; cheap (about
    0.05 ms per process). Lava forks its children from this process, so the pages they still
    share with it (the interpreter, numpy, torch: some 300 MiB each) count once per process:
    a sum that shows growth well but over-states the total several times."""
    return _tree_sum("rss")


def tree_pss() -> int:
    """Proportional set size (PSS) of this process plus all its descendants, bytes: a page
    shared by k processes counts 1/k in each, so the sum is the physical memory of the tree.
    Slow: about 30 ms per process (the kernel walks every page table)."""
    return _tree_sum("pss")


class PeakMemory:
    """Samples ``tree_rss`` (or ``tree_pss`` with ``pss=True``, back to back since each sample
    takes long) every ``interval_s`` seconds in a thread while the ``with`` block runs; ``peak``
    holds the largest sum seen (bytes), including one sample at entry and one at exit."""

    def __init__(self, pss: bool = False, interval_s: float = 0.1) -> None:
        self._read = tree_pss if pss else tree_rss
        self.interval_s = 0.0 if pss else interval_s
        self.peak = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> PeakMemory:
        self.peak = self._read()
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._done.set()
        self._thread.join()
        self.peak = max(self.peak, self._read())

    def _sample(self) -> None:
        while not self._done.wait(self.interval_s):
            self.peak = max(self.peak, self._read())


DEFAULT_NET = Path("netx_exports/rat_small_synthetic.net")
"""The default export the benchmarks measure (written by ``rat-lava export``)."""


SETTLE_BATCHES = 20
"""Training-mode passes that settle the BatchNorm statistics (momentum 0.1: 1 - 0.9**20, 88 %
of the way from the initial statistics to those of the data)."""


def settled_small_rat(session: Session, seed: int = 0) -> FoldedNetwork:
    """The ``small`` RAT preset for ``session``'s channels: untrained, seeded, its BatchNorm
    statistics settled by ``SETTLE_BATCHES`` passes over batches of 8 windows of 100 bins of the
    session's spikes, quantized and folded for the session's condition. A stand-in for the
    default export with the same layers."""
    import torch

    from rat_lava.model import RATSNN, RATConfig

    torch.manual_seed(seed)
    model = RATSNN(RATConfig.small(), session.n_channels, [session.condition])
    bins = SETTLE_BATCHES * 8 * 100
    batches = session.spikes[:bins].reshape(SETTLE_BATCHES, 8, 100, session.n_channels)
    model.train()
    with torch.no_grad():
        for batch in batches:
            model(torch.from_numpy(batch).float(), session.condition)
    model.eval()
    model.config = dataclasses.replace(model.config, quantize=True)
    return model.fold(session.condition)


def benchmark_network(path: str | os.PathLike, session: Session) -> tuple[str | FoldedNetwork, str]:
    """The ``.net`` file at ``path`` if it exists, else ``settled_small_rat(session)``; with a
    line saying which one it is."""
    if Path(path).is_file():
        return str(path), f"network: {path}"
    return settled_small_rat(session), (
        f"network: {path} not found; built the small RAT preset in-process instead "
        f"({session.n_channels} channels, untrained, BatchNorm settled on the data, quantized)"
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
