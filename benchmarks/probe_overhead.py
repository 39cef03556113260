"""Slowdown that probes add to a sim-fixed Lava run, measured side by side in one process.

    python benchmarks/probe_overhead.py [--net FILE.net] [--steps 1000] [--repeats 5]

Decodes the same spike counts with ``LavaDecoder(..., "sim-fixed")`` in three modes, in
rotating order, ``--repeats`` times each:

- ``decode``: the bare decode (only the readout is extracted);
- ``record``: what ``rat-lava run`` does without ``--probes`` (per-layer spikes extracted too);
- ``probes``: ``probes=True`` (every leaf's output extracted, per-core activity counted and
  energy modelled), what ``rat-lava run --probes`` does.

Prints the median wall-clock time of each mode (build + compile + run + stop + probe counting)
and of stepping alone, and the median over repeats of the ratios probes / decode and
probes / record (each ratio taken within one repeat, so slow phases of a shared machine hit both
sides). Target: probes add at most 20 %. Default network: the small RAT preset (96 channels,
untrained, quantized) on the target session of the synthetic data (its first bins).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

from rat_lava.bench.repeats import rotated
from rat_lava.data.sources import load_data
from rat_lava.deploy.network import FoldedNetwork
from rat_lava.lava.decoder import LavaDecoder
from rat_lava.model import RATSNN, RATConfig

MODES = ("decode", "record", "probes")
TARGET = 1.20
"""Largest acceptable ratio of probed to unprobed run time."""


def small_network(channels: int, condition: str) -> FoldedNetwork:
    """The small preset, quantized, seeded, folded for ``condition``."""
    torch.manual_seed(0)
    return RATSNN(RATConfig.small(quantize=True), channels, [condition]).fold(condition)


def timed(network: FoldedNetwork | str, counts: np.ndarray, mode: str) -> tuple[float, float]:
    """(total s, stepping s) of one whole-sequence run in ``mode``."""
    began = time.perf_counter()
    with LavaDecoder(network, "sim-fixed", probes=mode == "probes") as decoder:
        if mode == "decode":
            decoder.decode(counts)
        else:
            decoder.record(counts)
        stepping = decoder.timing["run_s"]
    return time.perf_counter() - began, stepping


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--net", help=".net file (default: the small preset, untrained)")
    parser.add_argument("--steps", type=int, default=1000, help="steps per run (default 1000)")
    parser.add_argument("--repeats", type=int, default=5, help="runs per mode (default 5)")
    args = parser.parse_args()
    session = load_data("synthetic")[0]
    network = args.net or small_network(session.n_channels, session.condition)
    counts = session.spikes[: args.steps]
    totals: dict[str, list[float]] = {mode: [] for mode in MODES}
    steps: dict[str, list[float]] = {mode: [] for mode in MODES}
    for repeat in range(args.repeats):
        for mode in rotated(MODES, repeat):
            total, stepping = timed(network, counts, mode)
            totals[mode].append(total)
            steps[mode].append(stepping)
        print(
            f"repeat {repeat + 1}: "
            + ", ".join(
                f"{m} {totals[m][-1]:.2f} s ({steps[m][-1]:.2f} s stepping)" for m in MODES
            ),
            flush=True,
        )
    shape = f"{counts.shape[0]} steps, {counts.shape[1]} channels"
    print(f"\n{shape}, sim-fixed, medians of {args.repeats}:")
    print(f"{'mode':<8} {'total s':>8} {'stepping s':>11} {'steps/s':>8}")
    for mode in MODES:
        stepping = statistics.median(steps[mode])
        print(
            f"{mode:<8} {statistics.median(totals[mode]):>8.2f} {stepping:>11.2f} "
            f"{counts.shape[0] / stepping:>8.0f}"
        )
    for base in ("decode", "record"):
        ratio = statistics.median(
            p / b for p, b in zip(totals["probes"], totals[base], strict=True)
        )
        ratio_steps = statistics.median(
            p / b for p, b in zip(steps["probes"], steps[base], strict=True)
        )
        verdict = "within" if ratio <= TARGET else "ABOVE"
        print(
            f"probes / {base}: total x{ratio:.3f} ({(ratio - 1) * 100:+.1f} %), stepping "
            f"x{ratio_steps:.3f} ({(ratio_steps - 1) * 100:+.1f} %); {verdict} the "
            f"{(TARGET - 1) * 100:.0f} % target"
        )


if __name__ == "__main__":
    main()
