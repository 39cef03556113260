"""NeuroBench's harness beside rat-lava's own counters: the RAT and the GRU on the same data.

    python benchmarks/neurobench.py [--data s1] [--protocol rat-lava|neurobench] [--seed 0]
                                    [--out runs/bench] [--report FILE.md]

Takes the ``rat`` and ``gru`` jobs of ``benchmarks/results.py`` (same ``--out``; trained here
with every default of ``rat-lava train`` when missing), runs both PyTorch models through
``neurobench.benchmarks.Benchmark`` on the test part of ``--data`` (Footprint,
ConnectionSparsity, R2, ActivationSparsity, SynapticOperations), and prints them beside
rat-lava's figures for the same models and data: the R² and the ACs / MACs of the RAT's Lava
``sim-fixed`` run (its probes), split into what NeuroBench counts and what it does not see;
the GRU's dense MACs. The Markdown goes to ``OUT/neurobench_<data>.md`` (or ``--report``).
Needs ``rat-lava[neurobench]`` (in the dev environment).
"""

# ruff: noqa: E402 - the imports follow the path fix below
from __future__ import annotations

import argparse
import datetime
import sys
from pathlib import Path

# this script is named like the neurobench package: keep its folder off the import path
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]

from rat_lava.bench.sweep import Job, dense_macs, jobs_of, run_jobs
from rat_lava.data.session import pad_channels
from rat_lava.data.sources import DEFAULT_PROTOCOL, PROTOCOLS, load_data, session_of
from rat_lava.data.splits import chronological_split
from rat_lava.deploy.counters import efficiency
from rat_lava.export.netfile import read_net
from rat_lava.io_utils import atomic_path
from rat_lava.metrics import Ops
from rat_lava.train.decoders import load_decoder

try:
    from rat_lava.bench.neurobench_harness import run_harness
except ImportError as exc:  # the optional extra is missing
    sys.exit(f"{exc}: NeuroBench's harness needs pip install 'rat-lava[neurobench]'")


def rat_lava_counts(job: Job, out: Path, test) -> dict[str, float]:
    """The RAT's operations per network step in Lava terms, split by kind (feed-forward,
    recurrent, inside the attention products), from its export on ``test``."""
    network = read_net(job.directory(out) / "rat.net").network
    eff = efficiency(network, pad_channels(test, network.n_inputs).spikes)
    ops = eff.connection_ops
    recurrent = sum((v for k, v in ops.items() if k.split("->")[0] == k.split("->")[1]), Ops())
    forward = sum((v for k, v in ops.items() if k.split("->")[0] != k.split("->")[1]), Ops())
    return {
        "substeps": network.substeps,
        "forward_acs": forward.acs_per_step,
        "forward_macs": forward.macs_per_step,
        "recurrent_acs": recurrent.acs_per_step,
        "attention_acs": eff.attention_acs_per_step,
        "total_acs": eff.total.acs_per_step,
        "total_macs": eff.total.macs_per_step,
        "parameters": eff.parameters,
        "synapses": eff.synapses,
    }


def report(data: str, protocol: str, rows: dict[str, tuple[dict, object, dict]]) -> str:
    """Markdown: one table of both tools' figures per model, then the RAT's reconciliation."""
    rat_nb, rat_m, ours = rows["rat"]
    gru_nb, gru_m, gru_extra = rows["gru"]
    sub = ours["substeps"]
    nb = "NeuroBench harness"
    lines = [
        f"Measured {datetime.date.today().isoformat()} on `{data}` (protocol {protocol}), test "
        f"part, seed-{rows['seed']} models of the results sweep.",
        "",
        f"| | RAT: {nb} | RAT: rat-lava | GRU: {nb} | GRU: rat-lava |",
        "|---|---|---|---|---|",
        f"| R² | {rat_nb['R2']:.4f} | {rat_m.lava_r2:.4f} (Lava sim-fixed) | "
        f"{gru_nb['R2']:.4f} | {gru_m.test_r2:.4f} |",
        f"| footprint | {rat_nb['Footprint']:,} bytes | {ours['parameters']:,} deployed "
        f"parameters ({ours['synapses']:,} nonzero weights) | {gru_nb['Footprint']:,} bytes | "
        f"{gru_m.parameters:,} parameters |",
        f"| connection sparsity | {rat_nb['ConnectionSparsity']:.4f} | - | "
        f"{gru_nb['ConnectionSparsity']:.4f} | - |",
        f"| activation sparsity | {rat_nb['ActivationSparsity']:.4f} | - | "
        f"{gru_nb['ActivationSparsity']:.4f} | - |",
        f"| effective ACs / bin | {rat_nb['SynapticOperations']['Effective_ACs']:,.0f} | "
        f"{ours['total_acs'] * sub:,.0f} | {gru_nb['SynapticOperations']['Effective_ACs']:,.0f} "
        "| 0 |",
        f"| effective MACs / bin | {rat_nb['SynapticOperations']['Effective_MACs']:,.0f} | "
        f"{ours['total_macs'] * sub:,.0f} | "
        f"{gru_nb['SynapticOperations']['Effective_MACs']:,.0f} | "
        f"{gru_extra['dense_macs']:,.0f} (dense) |",
        f"| dense operations / bin | {rat_nb['SynapticOperations']['Dense']:,.0f} | - | "
        f"{gru_nb['SynapticOperations']['Dense']:,.0f} | {gru_extra['dense_macs']:,.0f} |",
        "",
        f"The RAT runs {sub} network step(s) per bin. rat-lava's ACs per step: "
        f"{ours['forward_acs']:,.1f} on feed-forward connections + {ours['recurrent_acs']:,.1f} "
        f"on the within-layer recurrent connections + {ours['attention_acs']:,.1f} inside the "
        f"attention products = {ours['total_acs']:,.1f}; MACs per step (graded inputs: counts, "
        f"attention products) {ours['forward_macs']:,.1f}. NeuroBench sees the feed-forward "
        f"part only: {ours['forward_acs'] * sub:,.0f} ACs and {ours['forward_macs'] * sub:,.0f} "
        "MACs per bin by rat-lava's count of the same connections.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="s1", help="--data of rat-lava train (default s1)")
    parser.add_argument("--protocol", default=DEFAULT_PROTOCOL, choices=PROTOCOLS)
    parser.add_argument("--seed", type=int, default=0, help="seed of the models (default 0)")
    parser.add_argument("--out", default="runs/bench", help="job folders of the results sweep")
    parser.add_argument("--report", help="Markdown file (default OUT/neurobench_<data>.md)")
    parser.add_argument(
        "--epochs", type=int, help="cap the training of missing jobs (smoke runs only)"
    )
    args = parser.parse_args()
    out = Path(args.out)
    jobs = jobs_of([args.data], ["rat", "gru"], [args.seed], args.protocol)
    measured = run_jobs(jobs, out, progress=False, epochs=args.epochs)
    if len(measured) < len(jobs):
        sys.exit("the rat or gru job failed (see above)")
    rows: dict = {"seed": args.seed}
    for job in jobs:
        decoder, meta = load_decoder(job.directory(out) / f"{job.variant}.pt")
        session = session_of(load_data(args.data, args.protocol, meta["dt"]), meta["target"])
        test = chronological_split(session).test
        results = run_harness(decoder, test)
        extra = (
            rat_lava_counts(job, out, test)
            if job.variant == "rat"
            else {"dense_macs": dense_macs(decoder.model.state_dict())}
        )
        rows[job.variant] = (results, measured[job], extra)
    text = report(args.data, args.protocol, rows)
    tag = jobs[0].directory(out).parts[-3]  # the data set's folder name
    path = Path(args.report) if args.report else out / f"neurobench_{tag}.md"
    with atomic_path(path) as partial:
        partial.write_text(text + "\n", encoding="utf-8")
    print(f"{text}\n\nwritten to {path}")


if __name__ == "__main__":
    main()
