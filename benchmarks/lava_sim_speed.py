"""Lava CPU-simulation speed of the default export, beside the offline paths and the machine's
limit, in one run.

    python benchmarks/lava_sim_speed.py [--net netx_exports/rat_small_synthetic.net]
        [--steps 2000] [--fast-steps 50000] [--repeats 3]

Decodes the synthetic default's test split (spike counts as graded input, repeated end to end
if the split is shorter) every way below, in rotating order, ``--repeats`` times each (the first
run in a process pays for warm-up, and a shared machine has slow phases: rotation spreads both
over the paths). Paths that pay Lava's handshake every network step run ``--steps`` steps; the
fast ones run ``--fast-steps`` (rates are per step, so the lengths need not match):

- ``LavaDecoder(net, "sim-fixed")`` with the network as standard Lava leaves, attention by the
  fused CPU model and by the decomposed one (Loihi-native leaves);
- ``network_model="fused"``: the whole network as one ``FusedNetwork`` process stepping the
  compiled kernel, with ``block_steps=1`` (one network step per Lava step, as when streaming
  4 ms bins) and with the default block (``FUSED_BLOCK_STEPS`` network steps per Lava step),
  and streaming: ``LavaDecoder.step`` one bin at a time (one bin's sub-steps per Lava step);
- a stock lava-dl NetX network (``lava.lib.dl.netx.hdf5.Network``) of a plain chain of
  Dense -> CUBA layers with the export's layer sizes (``rat_lava.bench.speed.write_netx_chain``);
- the compiled fixed-point reference offline (``rat_lava.kernel.offline.decode_compiled``, no
  Lava) and the PyTorch float model offline (the same architecture, untrained: dense float
  layers cost the same whatever the weights; torch's default threads);
- the machine's limit: accumulates per second of a plain compiled integer kernel
  (``rat_lava.bench.limits.accumulates_per_s``) divided by the network's accumulates per step
  (ACs and MACs, ``rat_lava.deploy.counters.efficiency`` over the first ``--steps`` bins).

Per row, medians over the repeats: start-up seconds (build, compile, start of the Lava child
processes), steps per second of the stepping alone, that rate as a ratio to real time (one
network step per ``step_s`` of data) and to the machine's limit, and peak memory: the largest
sum over this process and its children of their resident sets (psutil RSS, every 0.1 s; pages
the forked children share with this process count once per process; largest over the repeats)
and, from one more run per path, of their proportional set sizes (PSS, the physical memory;
``rat_lava.bench.memory.PeakMemory``). The velocities of every fixed-point path over the first
``--steps`` bins are compared: the script exits with 1 unless they agree bit for bit. Targets
(issue 18): fused whole-sequence >= 20 x real time, streaming >= 4 x, compiled reference >= 50 x
real time and within 5 x of the limit. Run from the repository root (the default ``--net`` is a
relative path); without the file, the small RAT preset is built in-process and the output says
so.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch

from rat_lava.bench.limits import accumulates_per_s, float_model_like
from rat_lava.bench.memory import PeakMemory
from rat_lava.bench.networks import DEFAULT_NET, benchmark_network
from rat_lava.bench.repeats import rotated
from rat_lava.bench.soak import repeated_bins
from rat_lava.bench.speed import lif_layers, measure_netx, write_netx_chain
from rat_lava.data.sources import load_data
from rat_lava.data.splits import chronological_split
from rat_lava.deploy.counters import efficiency
from rat_lava.deploy.network import FoldedNetwork
from rat_lava.export.netfile import read_net
from rat_lava.kernel.offline import decode_compiled
from rat_lava.lava.decoder import FUSED_BLOCK_STEPS, LavaDecoder


class Timing(NamedTuple):
    """One run: start-up s, stepping steps/s, peak ``tree_rss`` or ``tree_pss`` bytes, and the
    velocity (T, 2) in data units (None where not a fixed-point decode of the network)."""

    start_s: float
    steps_per_s: float
    peak: int
    velocity: np.ndarray | None


class SpeedPath(NamedTuple):
    """A measured path: its row name, whether it runs the long input, and how to run it once
    (counts -> start-up s, steps/s, velocity or None)."""

    name: str
    fast: bool
    run: Callable[[np.ndarray], tuple[float, float, np.ndarray | None]]


def lava_path(network: str | FoldedNetwork, options: dict) -> Callable:
    """One sim-fixed ``LavaDecoder`` decode with ``options``."""

    def run(counts: np.ndarray) -> tuple[float, float, np.ndarray]:
        with LavaDecoder(network, "sim-fixed", **options) as decoder:
            velocity = decoder.decode(counts)
        return decoder.timing["start_s"], decoder.timing["steps_per_s"], velocity

    return run


def streaming_path(network: str | FoldedNetwork) -> Callable:
    """``LavaDecoder.step`` bin after bin with the fused network; start-up includes the first
    step (it builds and starts the run)."""

    def run(counts: np.ndarray) -> tuple[float, float, None]:
        with LavaDecoder(network, "sim-fixed", network_model="fused") as decoder:
            began = time.perf_counter()
            decoder.step(counts[0])
            started = time.perf_counter()
            for row in counts[1:]:
                decoder.step(row)
            elapsed = time.perf_counter() - started
        steps = (len(counts) - 1) * decoder.network.substeps
        return started - began, steps / elapsed, None

    return run


def compiled_path(folded: FoldedNetwork, scale: np.ndarray) -> Callable:
    """The compiled fixed-point reference, offline; velocity times ``scale`` (2,), as the
    decoder scales it."""

    def run(counts: np.ndarray) -> tuple[float, float, np.ndarray]:
        decode_compiled(folded, counts[:10])  # compiled once per process, cached after
        started = time.perf_counter()
        velocity = decode_compiled(folded, counts)
        elapsed = time.perf_counter() - started
        return 0.0, len(counts) * folded.substeps / elapsed, velocity * scale

    return run


def torch_path(model: torch.nn.Module, substeps: int) -> Callable:
    """The PyTorch float model, offline, one pass over the whole input."""

    def run(counts: np.ndarray) -> tuple[float, float, None]:
        spikes = torch.from_numpy(counts[None].astype(np.float32))
        with torch.no_grad():
            started = time.perf_counter()
            model(spikes)
            elapsed = time.perf_counter() - started
        return 0.0, len(counts) * substeps / elapsed, None

    return run


def netx_path(chain: Path) -> Callable:
    """The stock NetX chain in ``chain``."""

    def run(counts: np.ndarray) -> tuple[float, float, None]:
        result = measure_netx(chain, counts)
        return result.start_s, result.steps_per_s, None

    return run


def timed(path: SpeedPath, counts: np.ndarray, pss: bool) -> Timing:
    """One run of ``path`` with the peak of ``tree_pss`` (``pss``) or of ``tree_rss``."""
    with PeakMemory(pss) as memory:
        start_s, steps_per_s, velocity = path.run(counts)
    return Timing(start_s, steps_per_s, memory.peak, velocity)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--net", default=str(DEFAULT_NET), help=f".net file (default {DEFAULT_NET})"
    )
    parser.add_argument(
        "--steps", type=int, default=2000, help="bins of the per-step paths (default 2000)"
    )
    parser.add_argument(
        "--fast-steps", type=int, default=50_000, help="bins of the fast paths (default 50000)"
    )
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per path (default 3)")
    args = parser.parse_args()
    if min(args.steps, args.fast_steps, args.repeats) < 1 or args.fast_steps < args.steps:
        parser.error(
            "--steps, --fast-steps and --repeats must be positive, --fast-steps >= --steps"
        )
    session = load_data("synthetic")[0]
    network, which = benchmark_network(args.net, session)
    net_file = None if isinstance(network, FoldedNetwork) else read_net(network)
    folded = network if net_file is None else net_file.network
    test = chronological_split(session).test.spikes
    inputs = {
        False: repeated_bins(test, 0, args.steps),
        True: repeated_bins(test, 0, args.fast_steps),
    }
    real_time = 1.0 / folded.step_s
    scale = np.broadcast_to(
        np.asarray(net_file.card.get("velocity_scale", 1.0) if net_file else 1.0, np.float64), (2,)
    )
    print(which)
    print(
        f"synthetic test split, {test.shape[1]} channels, network step {folded.step_s * 1e3:g} ms "
        f"({real_time:.0f} steps/s is real time); {os.cpu_count()} CPUs, torch threads "
        f"{torch.get_num_threads()}, load average {os.getloadavg()[0]:.1f} at start",
        flush=True,
    )
    ops = efficiency(folded, inputs[False]).total
    ops_per_step = ops.acs_per_step + ops.macs_per_step
    plain = accumulates_per_s()
    limit = plain / ops_per_step
    widths = [layer.size for layer in folded.layers]
    with tempfile.TemporaryDirectory() as folder:
        chain = Path(folder) / "chain.net"
        write_netx_chain(chain, lif_layers(widths, test.shape[1]))
        paths = [
            SpeedPath("Lava leaves, fused attention", False, lava_path(network, {})),
            SpeedPath(
                "Lava leaves, decomposed attention",
                False,
                lava_path(network, {"attention_model": "decomposed"}),
            ),
            SpeedPath(
                "Lava fused network, 1 step/Lava step",
                False,
                lava_path(network, {"network_model": "fused", "block_steps": 1}),
            ),
            SpeedPath(
                f"Lava fused network, {FUSED_BLOCK_STEPS} steps/Lava step",
                True,
                lava_path(network, {"network_model": "fused"}),
            ),
            SpeedPath("Lava fused network, streaming step()", False, streaming_path(network)),
            SpeedPath(f"stock NetX chain, {len(widths)} layers", False, netx_path(chain)),
            SpeedPath("compiled reference, offline", True, compiled_path(folded, scale)),
            SpeedPath(
                "PyTorch float model, offline",
                True,
                torch_path(float_model_like(folded, net_file and net_file.card), folded.substeps),
            ),
        ]
        runs: dict[str, list[Timing]] = {path.name: [] for path in paths}
        for repeat in range(args.repeats):
            for path in rotated(paths, repeat):
                runs[path.name].append(timed(path, inputs[path.fast], pss=False))
            print(
                f"repeat {repeat + 1}: "
                + ", ".join(f"{runs[p.name][-1].steps_per_s:.0f}" for p in paths)
                + " steps/s",
                flush=True,
            )
        pss = {path.name: timed(path, inputs[path.fast], pss=True).peak for path in paths}
    header = ("path", "steps", "start s", "steps/s", "x real time", "x limit", "RSS MiB", "PSS MiB")
    print(f"\nmedians of {args.repeats} rotating repeats")
    print("{:<38} {:>6} {:>7} {:>8} {:>11} {:>7} {:>8} {:>8}".format(*header))
    rates = {}
    for path in paths:
        timings = runs[path.name]
        rates[path.name] = rate = statistics.median(t.steps_per_s for t in timings)
        print(
            f"{path.name:<38} {len(inputs[path.fast]) * folded.substeps:>6} "
            f"{statistics.median(t.start_s for t in timings):>7.1f} {rate:>8.0f} "
            f"{rate / real_time:>11.1f} {rate / limit:>7.3f} "
            f"{max(t.peak for t in timings) / 2**20:>8.0f} {pss[path.name] / 2**20:>8.0f}"
        )
    print(
        f"{'machine limit':<38} {'':>6} {'':>7} {limit:>8.0f} {limit / real_time:>11.1f} "
        f"{1.0:>7.3f}"
    )
    print(
        f"\nmachine limit: {plain / 1e6:.0f} M accumulates/s of a plain integer kernel / "
        f"{ops_per_step:.0f} accumulates per network step ({ops.acs_per_step:.0f} ACs + "
        f"{ops.macs_per_step:.0f} MACs, first {args.steps} bins)"
    )
    fused = rates[paths[3].name]
    streaming = rates["Lava fused network, streaming step()"]
    compiled = rates["compiled reference, offline"]
    print(f"fused whole-sequence decode: {fused / real_time:.1f} x real time (target >= 20)")
    print(f"streaming LavaDecoder.step: {streaming / real_time:.1f} x real time (target >= 4)")
    print(
        f"compiled reference: {compiled / real_time:.1f} x real time (target >= 50), "
        f"{limit / compiled:.1f} x below the machine limit (target <= 5)"
    )
    steps = len(inputs[False])
    first = [runs[p.name][0].velocity for p in paths if runs[p.name][0].velocity is not None]
    exact = all(np.array_equal(v[:steps], first[0][:steps]) for v in first)
    print(
        f"fixed-point velocities over the first {steps} bins: {'bit-exact' if exact else 'DIFFER'}"
    )
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    if not exact:
        sys.exit(1)


if __name__ == "__main__":
    main()
