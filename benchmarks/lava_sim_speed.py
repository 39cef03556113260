"""Lava CPU-simulation speed of the default export, next to a stock NetX chain, in one run.

    python benchmarks/lava_sim_speed.py [--net netx_exports/rat_small_synthetic.net] [--steps 2000]
        [--repeats 3]

Decodes the first ``--steps`` bins of the synthetic default's test split (spike counts as
graded input; repeated end to end if the split is shorter) four ways, in rotating order,
``--repeats`` times each (the first run in a process pays for warm-up, and a shared machine has
slow phases: rotation spreads both over the paths):

- ``LavaDecoder(net, "sim-fixed", attention_model="fused")``: the network as standard Lava
  leaves, attention by the fused CPU model;
- the same with ``attention_model="decomposed"`` (attention as Loihi-native leaves);
- ``network_model="fused"``: the whole network as one ``FusedNetwork`` CPU process (bit-exact
  with the leaves; the simulator's per-step cost grows with the number of processes);
- a stock lava-dl NetX network (``lava.lib.dl.netx.hdf5.Network``) of a plain chain of
  Dense -> CUBA layers with the export's layer sizes, so the same number of neurons, written by
  ``rat_lava.bench.speed.write_netx_chain`` (random integer weights).

Per row, medians over the repeats: neurons, start-up seconds (build, compile, start of the
child processes), steps per second of the stepping alone (``LavaDecoder.timing["steps_per_s"]``;
for the chain, one ``RunSteps``), that rate as a ratio to real time (250 steps/s at 4 ms bins),
and peak memory: the largest sum over this process and all its children, from build to stop, of
their resident sets (psutil RSS, sampled every 0.1 s; pages that Lava's forked children share
with this process count once per process, so this over-states the total; largest over the
repeats) and, from one more run per path (PSS sampling is slow and would slow the timed runs),
of their proportional set sizes (PSS, the physical memory); ``rat_lava.bench.memory.PeakMemory``.
Target: the fused path at least real time on 2 cores (the leaves rows and the NetX chain show
what Lava's per-process cost allows). Run from the repository root (the default ``--net`` is a
relative path); without the file ``--net``, the small RAT preset is built in-process
(untrained, BatchNorm settled, quantized), and the output says so.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from pathlib import Path
from typing import NamedTuple

import numpy as np

from rat_lava.bench.memory import PeakMemory
from rat_lava.bench.networks import DEFAULT_NET, benchmark_network
from rat_lava.bench.repeats import rotated
from rat_lava.bench.soak import repeated_bins
from rat_lava.bench.speed import DT_S, lif_layers, measure_netx, write_netx_chain
from rat_lava.data.sources import load_data
from rat_lava.data.splits import chronological_split
from rat_lava.deploy.network import FoldedNetwork
from rat_lava.export.netfile import read_net
from rat_lava.lava.decoder import LavaDecoder


class Row(NamedTuple):
    """One line of the table; ``rss`` and ``pss`` peaks in bytes."""

    path: str
    neurons: int
    steps: int
    start_s: float
    steps_per_s: float
    rss: int
    pss: int

    @property
    def real_time(self) -> float:
        """Stepping rate / real time (one step per 4 ms bin)."""
        return self.steps_per_s * DT_S


PATHS = {
    "RAT sim-fixed, fused attention": {"attention_model": "fused"},
    "RAT sim-fixed, decomposed attention": {"attention_model": "decomposed"},
    "RAT sim-fixed, fused network": {"network_model": "fused"},
}
"""Table row name -> LavaDecoder options."""


class Timing(NamedTuple):
    """One timed run: start-up s, stepping steps/s, peak ``tree_rss`` or ``tree_pss`` bytes."""

    start_s: float
    steps_per_s: float
    peak: int


def decode(network: str | FoldedNetwork, options: dict, counts: np.ndarray, pss: bool) -> Timing:
    """One sim-fixed decode of ``counts`` with ``LavaDecoder`` ``options``, with the peak of
    ``tree_pss`` (``pss``) or of ``tree_rss`` over the decode."""
    decoder = LavaDecoder(network, "sim-fixed", **options)
    with PeakMemory(pss) as memory, decoder:
        decoder.decode(counts)
    return Timing(decoder.timing["start_s"], decoder.timing["steps_per_s"], memory.peak)


def netx(path: Path, counts: np.ndarray, pss: bool) -> Timing:
    """One run of the stock NetX network in ``path`` over ``counts``."""
    with PeakMemory(pss) as memory:
        result = measure_netx(path, counts)
    return Timing(result.start_s, result.steps_per_s, memory.peak)


def timed(
    name: str, network: str | FoldedNetwork, chain: Path, counts: np.ndarray, pss: bool
) -> Timing:
    """One run of the path ``name``: a ``PATHS`` key, else the NetX chain in ``chain``."""
    if name in PATHS:
        return decode(network, PATHS[name], counts, pss)
    return netx(chain, counts, pss)


def summary(name: str, neurons: int, steps: int, runs: list[Timing], pss: Timing) -> Row:
    """The row of ``name``: medians of the timed ``runs``, their largest RSS, the PSS run's."""
    return Row(
        name,
        neurons,
        steps,
        statistics.median(run.start_s for run in runs),
        statistics.median(run.steps_per_s for run in runs),
        max(run.peak for run in runs),
        pss.peak,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--net", default=str(DEFAULT_NET), help=f".net file (default {DEFAULT_NET})"
    )
    parser.add_argument("--steps", type=int, default=2000, help="time steps per run (default 2000)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per path (default 3)")
    args = parser.parse_args()
    session = load_data("synthetic")[0]
    network, which = benchmark_network(args.net, session)
    folded = network if isinstance(network, FoldedNetwork) else read_net(network).network
    counts = repeated_bins(chronological_split(session).test.spikes, 0, args.steps)
    print(which)
    print(
        f"{args.steps} steps of the synthetic test split, {counts.shape[1]} channels; "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start",
        flush=True,
    )
    widths = [layer.size for layer in folded.layers]
    chain = f"stock NetX chain, {len(widths)} layers"
    with tempfile.TemporaryDirectory() as folder:
        chain_path = Path(folder) / "chain.net"
        write_netx_chain(chain_path, lif_layers(widths, counts.shape[1]))
        names = [*PATHS, chain]
        runs: dict[str, list[Timing]] = {name: [] for name in names}
        for repeat in range(args.repeats):
            for name in rotated(names, repeat):
                runs[name].append(timed(name, network, chain_path, counts, pss=False))
            print(
                f"repeat {repeat + 1}: "
                + ", ".join(f"{runs[n][-1].steps_per_s:.0f}" for n in names)
                + " steps/s",
                flush=True,
            )
        rows = [
            summary(
                name,
                sum(widths),
                len(counts),
                runs[name],
                timed(name, network, chain_path, counts, pss=True),
            )
            for name in names
        ]
    header = ("path", "neurons", "steps", "start s", "steps/s", "x real time", "RSS MiB", "PSS MiB")
    print(f"\nmedians of {args.repeats} rotating repeats")
    print("{:<34} {:>7} {:>6} {:>7} {:>7} {:>11} {:>8} {:>8}".format(*header))
    for r in rows:
        print(
            f"{r.path:<34} {r.neurons:>7} {r.steps:>6} {r.start_s:>7.1f} {r.steps_per_s:>7.0f} "
            f"{r.real_time:>11.2f} {r.rss / 2**20:>8.0f} {r.pss / 2**20:>8.0f}"
        )
    print()
    for row in rows[0], rows[2]:
        verdict = "meets" if row.real_time >= 1 else "misses"
        print(f"{row.path}: {row.real_time:.2f} x real time, {verdict} the target (real time)")
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    print(
        "peak memory of this process and all its children (psutil): RSS MiB sums their resident "
        "sets (counting the pages the forked children share with this process once per "
        "process; the largest over the timed runs), PSS MiB their proportional set sizes (the "
        "physical memory, from one more run)"
    )


if __name__ == "__main__":
    main()
