"""Soak test of streaming decoding: ``LavaDecoder.step`` over an hour of 4 ms bins, sim-fixed.

    python benchmarks/soak.py [--steps 900000] [--net netx_exports/rat_small_synthetic.net]
                              [--checkpoint-every 1000] [--network-model fused|leaves]

Streams ``--steps`` bins (default 900000, one hour at 4 ms) of the synthetic default's target
session (60000 bins, repeated end to end) through one ``LavaDecoder(net, "sim-fixed",
network_model=M).step`` run: ``fused`` (default), the whole network as one ``FusedNetwork``
process stepping the compiled kernel (about 1,100 steps/s on 2 shared cores, 4.4 x real time);
``leaves``, the standard Lava leaves with the fused attention model (about real time on 2 quiet
cores). At every checkpoint (every
``--checkpoint-every`` steps) it compares every velocity of the window with the fixed-point
reference, stepped in lock step with its state carried (``rat_lava.bench.soak``), and samples the
resident memory of this process and of every child process (psutil RSS, summed).

Prints steps, wall time, steps/s of the Lava stepping, the RSS sum at start (right after the
first step) and at the end, both the RSS and the PSS sum (the physical memory; slow to sample)
at ten evenly spaced checkpoints (the RSS sum counts the pages that Lava's forked children share
with this process once per process), the largest |Lava - reference| velocity over all checked
steps (must be 0) and the number of checkpoints; exits with 1 if any velocity differs. The wall
time includes the reference checks; steps/s counts the Lava stepping alone.

Run from the repository root (the default ``--net`` is a relative path); without the file
``--net``, the small RAT preset is built in-process (untrained, BatchNorm settled, quantized),
and the output says so.
"""

from __future__ import annotations

import argparse
import sys

from rat_lava.bench.networks import DEFAULT_NET, benchmark_network
from rat_lava.bench.soak import soak
from rat_lava.bench.speed import DT_S
from rat_lava.data.sources import load_data
from rat_lava.lava.decoder import LavaDecoder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--net", default=str(DEFAULT_NET), help=f".net file (default {DEFAULT_NET})"
    )
    parser.add_argument("--steps", type=int, default=900_000, help="bins to stream (900000)")
    parser.add_argument(
        "--checkpoint-every", type=int, default=1000, help="steps per checked window (1000)"
    )
    parser.add_argument(
        "--network-model",
        default="fused",
        choices=["fused", "leaves"],
        help="the network as one FusedNetwork process (default) or as Lava leaves",
    )
    args = parser.parse_args()
    session = load_data("synthetic")[0]
    network, which = benchmark_network(args.net, session)
    print(which)
    print(
        f"{args.steps} steps ({args.steps * DT_S / 60:.1f} min of 4 ms bins) of the synthetic "
        f"target session ({len(session.spikes)} bins, repeated), sim-fixed, "
        f"network model {args.network_model}",
        flush=True,
    )
    with LavaDecoder(network, "sim-fixed", network_model=args.network_model) as decoder:
        report = soak(decoder, session.spikes, args.steps, args.checkpoint_every, progress=True)
    mib = 2**20
    checkpoints = report.checkpoints
    print("memory along the run (sums over this process and all its children):")
    for c in report.sampled:
        print(
            f"  step {c.step:>8}  {c.elapsed_s:>7.0f} s  RSS {c.rss_bytes / mib:>8.1f} MiB  "
            f"PSS {c.pss_bytes / mib:>7.1f} MiB"
        )
    first, last = report.sampled[0], report.sampled[-1]
    middle = checkpoints[len(checkpoints) // 2]
    rate = report.steps_per_s
    print(f"steps            {report.steps}")
    print(f"wall time        {report.wall_s:.0f} s ({report.step_s:.0f} s in LavaDecoder.step)")
    print(f"steps/s          {rate:.0f} in LavaDecoder.step ({rate * DT_S:.2f} x real time)")
    print(
        f"RSS start, end   {report.rss_start / mib:.1f}, {report.rss_end / mib:.1f} MiB "
        f"({(report.rss_end - first.rss_bytes) / mib:+.1f} MiB from checkpoint 1 to the end, "
        f"{(report.rss_end - middle.rss_bytes) / mib:+.1f} MiB over the second half)"
    )
    print(
        f"PSS cp 1, end    {first.pss_bytes / mib:.1f}, {last.pss_bytes / mib:.1f} MiB "
        "(physical memory of the same processes)"
    )
    print(f"max |diff|       {report.max_abs_diff:g} (Lava - reference velocity, every step)")
    print(f"checkpoints      {len(checkpoints)} (every {args.checkpoint_every} steps)")
    if report.max_abs_diff != 0:
        print("FAILED: the Lava run and the fixed-point reference differ", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
