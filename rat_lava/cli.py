"""The `rat-lava` command line: train, evaluate, export, info, run, compare, download, demo.

Every error a user can cause ends in one line on stderr and exit status 2; an interrupted
command exits 130. Set RAT_LAVA_DEBUG=1 to see tracebacks of unexpected internal errors.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from rat_lava.data.sources import PROTOCOLS, REAL_EXAMPLE
from rat_lava.deploy.timing import MAX_STEP_S
from rat_lava.errors import RatLavaError
from rat_lava.lava.choices import ATTENTION_MODEL_NAMES, BACKENDS, NETWORK_MODELS
from rat_lava.train.choices import (
    ABLATIONS,
    DEFAULT_QAT_EPOCHS,
    FINETUNE_MODES,
    MODEL_KINDS,
    PRESETS,
    STAGES,
)
from rat_lava.version import __version__

DATA_HELP = (
    "data: synthetic[:SEED], s1 (the embedded real recording, 50 ms bins), a .npz file, an "
    "indy_*/loco_* .mat file, or an NWB file (.nwb, DANDI / Neural Latents Benchmark; needs "
    "rat-lava[nwb]) (default synthetic)"
)
PROTOCOL_HELP = (
    "how the data are read and split: rat-lava (spike counts, chronological 70/10/20 split; "
    "the default) or neurobench (NeuroBench's primate-reaching protocol on a Zenodo .mat: "
    "binary 4 ms inputs, cursor-position gradient labels, split by reach 50/25/25)"
)


SPIKE_TIME_FILES = (".mat", ".nwb")
"""Data files of spike times, binned when read (``--bin-ms``)."""


def _check_bin_ms(bin_ms: float | None, data: str) -> None:
    """``--bin-ms`` only for files of spike times; DataError otherwise."""
    from rat_lava.errors import DataError

    if bin_ms is not None and Path(data).suffix.lower() not in SPIKE_TIME_FILES:
        raise DataError(
            f"--bin-ms applies to files of spike times (.mat, .nwb); {data} is binned already"
        )


def _cmd_train(args: argparse.Namespace) -> int:
    from rat_lava.train.models import default_train_config
    from rat_lava.train.pipeline import StageOptions, train

    _check_bin_ms(args.bin_ms, args.data)

    cfg = default_train_config(args.model, seed=args.seed, device=args.device)
    if args.epochs is not None:
        cfg.epochs = args.epochs
    options = StageOptions(
        stage=args.stage,
        init=Path(args.init) if args.init else None,
        finetune_mode=args.finetune_mode,
        train_fraction=args.train_fraction,
        ablations=tuple(args.ablation),
        rate_bound_hz=args.rate_bound,
        prune_sparsity=args.prune,
        qat_epochs=args.qat_epochs,
        step_s=None if args.step_ms is None else args.step_ms / 1e3,
        subjects=tuple(args.subjects.split(",")) if args.subjects else (),
    )
    summary = train(
        args.model,
        args.data,
        Path(args.out),
        args.config,
        cfg,
        progress=not args.no_progress,
        options=options,
        protocol=args.protocol,
        bin_s=None if args.bin_ms is None else args.bin_ms / 1e3,
    )
    print(f"saved {summary.checkpoint} ({summary.parameters} parameters, {summary.seconds:.1f} s)")
    for key, value in summary.extra.items():
        print(f"{key} = {value:.4f}")
    dims = ", ".join(f"{v:.4f}" for v in summary.test_r2_per_dim)
    print(f"{summary.model} test R2 = {summary.test_r2:.4f} (vx, vy: {dims})")
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from rat_lava.data.sources import load_data
    from rat_lava.data.splits import chronological_split
    from rat_lava.metrics import r2_score
    from rat_lava.runs.runfile import is_run_file
    from rat_lava.train.decoders import load_decoder

    if is_run_file(args.file) or Path(args.file).suffix.lower() in (".h5", ".hdf5"):
        return _evaluate_run_file(args)
    decoder, meta = load_decoder(args.file)
    data = args.data or meta.get("data", "synthetic")
    protocol = _protocol_of(args, meta, args.file)
    test = chronological_split(load_data(data, protocol, meta.get("dt"))[0]).test
    r2 = r2_score(test.velocity, decoder.predict(test))
    dims = ", ".join(f"{v:.4f}" for v in r2.per_dim)
    print(f"{args.file}: test R2 = {r2.mean:.4f} (vx, vy: {dims}) on {data}, {protocol} protocol")
    return 0


def _protocol_of(args: argparse.Namespace, meta: dict, where: str) -> str:
    """``--protocol``, else the one ``meta`` records; DataError when the two differ."""
    from rat_lava.data.sources import DEFAULT_PROTOCOL
    from rat_lava.errors import DataError

    recorded = meta.get("protocol", DEFAULT_PROTOCOL)
    if args.protocol is not None and args.protocol != recorded:
        raise DataError(
            f"{where}: made under the {recorded!r} protocol; evaluate it with --protocol "
            f"{recorded} (or without --protocol), not {args.protocol}"
        )
    return recorded


def _evaluate_run_file(args: argparse.Namespace) -> int:
    from rat_lava.errors import DataError
    from rat_lava.metrics import r2_score
    from rat_lava.runs.runfile import read_run

    if args.data:
        raise DataError(f"{args.file}: a run file holds its own data; --data is for checkpoints")
    run = read_run(args.file)
    protocol = _protocol_of(args, run.meta, args.file)
    r2 = r2_score(run.ground_truth, run.velocity)
    dims = ", ".join(f"{v:.4f}" for v in r2.per_dim)
    where = f"{run.meta.get('backend', '?')} run of {run.meta.get('network', '?')}"
    print(
        f"{args.file}: R2 = {r2.mean:.4f} (vx, vy: {dims}) over {run.steps} steps, {where}, "
        f"{protocol} protocol"
    )
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from rat_lava.runs.run import run_network

    summary = run_network(
        Path(args.file),
        args.data,
        args.backend,
        Path(args.out),
        args.attention,
        args.probes,
        args.steps,
        args.network_model,
        args.protocol,
    )
    print(summary)
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    from rat_lava.runs.compare.command import compare_files

    outcome = compare_files(args.a, args.b, args.out, args.tolerance, args.max_diff, args.min_r2)
    print(outcome.summary() if args.out else outcome.markdown, end="\n" if args.out else "")
    if outcome.failures:
        failures = "; ".join(outcome.failures)
        print(f"rat-lava: compare: agreement worse than thresholds: {failures}", file=sys.stderr)
        return 1
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from rat_lava.export.exporter import export_checkpoint

    summary = export_checkpoint(
        args.checkpoint,
        args.out,
        condition=args.condition,
        timescale_groups=args.timescale_groups,
        data=args.data,
        evaluate=not args.no_eval,
    )
    print(summary.report())
    return 0


def _cmd_info(args: argparse.Namespace) -> int:
    from rat_lava.export.info import describe
    from rat_lava.export.netfile import read_net

    if args.bin_ms is not None and Path(args.file).suffix.lower() != ".nwb":
        from rat_lava.errors import DataError

        raise DataError("--bin-ms applies to .nwb files, not to a .net file")
    if Path(args.file).suffix.lower() == ".nwb":
        from rat_lava.constants import DEFAULT_DT
        from rat_lava.data.nwb import describe_nwb

        print(describe_nwb(args.file, DEFAULT_DT if args.bin_ms is None else args.bin_ms / 1e3))
        return 0
    netfile = read_net(args.file)
    print(describe(netfile))
    if args.cores:
        from rat_lava.probes.cores import CoreLimits, format_core_table, map_to_cores

        defaults = CoreLimits()
        limits = CoreLimits(
            neurons=args.core_neurons or defaults.neurons,
            synapses=args.core_synapses or defaults.synapses,
        )
        print("Loihi 2 neuro cores (deterministic allocation, rat_lava.probes.cores):")
        print(format_core_table(map_to_cores(netfile.network, limits)))
    return 0


def _cmd_download(args: argparse.Namespace) -> int:
    from rat_lava.data.download import NEUROBENCH_SESSIONS, download_session

    names = list(NEUROBENCH_SESSIONS) if args.session == "all" else [args.session]
    for name in names:
        print(download_session(name, Path(args.dest), progress=not args.no_progress))
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from rat_lava.demo import SHIPPED_EXPORTS, run_demo

    from_export = None
    if args.from_export:
        from_export = Path(args.from_export)
    elif args.from_export is not None:
        if args.data not in SHIPPED_EXPORTS:
            raise RatLavaError(
                f"--from-export: no export is shipped for --data {args.data}; give FILE.net "
                f"(shipped: {', '.join(SHIPPED_EXPORTS)})"
            )
        from_export = SHIPPED_EXPORTS[args.data]
    run_demo(
        Path(args.out),
        data=args.data,
        progress=not args.no_progress,
        from_export=from_export,
        train_first=args.train or args.retrain,
        retrain=args.retrain,
        seed=args.seed,
        network_model=args.network_model,
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="rat-lava",
        description="Decode movement from spike trains with a RAT SNN, from training to Lava.",
    )
    parser.add_argument("--version", action="version", version=f"rat-lava {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser(
        "train",
        help="train a decoder; prints its test R2",
        description="Train a decoder on the target session of --data, save "
        "OUT/<model>.pt, and print the test R2.",
    )
    p.add_argument("--model", required=True, choices=MODEL_KINDS)
    p.add_argument(
        "--config",
        default="small",
        choices=PRESETS,
        help="architecture preset of neural models (default small)",
    )
    p.add_argument("--data", default="synthetic", help=DATA_HELP)
    p.add_argument("--out", required=True, help="output directory for the checkpoint")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--epochs", type=int, help="maximum number of epochs (default: the model's)")
    p.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda")
    p.add_argument(
        "--stage",
        default="single",
        choices=STAGES,
        help="single: the target session (default); pretrain: every other session; "
        "cross-session: all sessions of the target's subject; finetune: the target, "
        "from --init",
    )
    p.add_argument("--init", help="checkpoint to start from (pretrained or cross-session)")
    p.add_argument(
        "--subjects",
        metavar="S[,S...]",
        help="--stage pretrain: only the sessions of these subjects (default: every subject)",
    )
    p.add_argument(
        "--finetune-mode",
        default="full",
        choices=FINETUNE_MODES,
        help="input-only trains just the input Rep layer and the BatchNorm sets",
    )
    p.add_argument(
        "--train-fraction",
        type=float,
        default=1.0,
        help="use only the first fraction of the training split (default 1)",
    )
    p.add_argument(
        "--ablation",
        action="append",
        default=[],
        choices=tuple(ABLATIONS),
        help="RAT ablation switch (repeatable)",
    )
    p.add_argument(
        "--rate-bound",
        type=float,
        metavar="HZ",
        help="RAT: penalise layers firing above HZ spikes/s on average",
    )
    p.add_argument(
        "--prune",
        type=float,
        metavar="SPARSITY",
        help="RAT: iterative magnitude pruning to this weight sparsity (0-1)",
    )
    p.add_argument(
        "--qat-epochs",
        type=int,
        metavar="N",
        help="RAT: after float training, N epochs of quantization-aware fine-tuning at a "
        f"tenth of the learning rate, so that the fixed-point export computes what was trained "
        f"(default {DEFAULT_QAT_EPOCHS}; 0 switches it off)",
    )
    p.add_argument(
        "--step-ms",
        type=float,
        metavar="MS",
        help="RAT: the network's time step in ms; must divide the bin width (default: the "
        f"largest step of at most {MAX_STEP_S * 1e3:g} ms that divides it, e.g. 5 ms for "
        "50 ms bins, 4 ms for 4 ms bins)",
    )
    p.add_argument("--protocol", default="rat-lava", choices=PROTOCOLS, help=PROTOCOL_HELP)
    p.add_argument(
        "--bin-ms",
        type=float,
        metavar="MS",
        help="bin width in ms for files of spike times (.mat, .nwb; default 4); binned data "
        "keep their own; later commands bin at the trained one",
    )
    p.add_argument("--no-progress", action="store_true", help="hide progress bars")
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser(
        "evaluate",
        help="print the test R2 of a saved model",
        description="Re-evaluate a checkpoint on the test split of its data.",
    )
    p.add_argument(
        "file", help="checkpoint (.pt) written by `rat-lava train`, or run file (.h5) of `run`"
    )
    p.add_argument(
        "--data", help="checkpoints: data to evaluate on (default: the data it was trained on)"
    )
    p.add_argument(
        "--protocol",
        choices=PROTOCOLS,
        help="the protocol of the checkpoint or run (default: the one it records; another "
        "is refused)",
    )
    p.set_defaults(func=_cmd_evaluate)

    p = sub.add_parser(
        "export",
        help="fold, quantize and write a RAT checkpoint as a NetX HDF5 .net file",
        description="Fold every Rep layer and the BatchNorm set of one condition, quantize to "
        "Loihi 2's ranges, print the float and quantized test R2, and write FILE.net with a "
        "model card.",
    )
    p.add_argument("checkpoint", help="RAT checkpoint (.pt) written by `rat-lava train`")
    p.add_argument("--out", required=True, help="the .net file to write")
    p.add_argument("--condition", help="condition to fold (default: the checkpoint's target)")
    p.add_argument(
        "--timescale-groups",
        type=int,
        metavar="G",
        help="at most G decay pairs per spiking layer, as Loihi 2 cores hold (default: per "
        "neuron, fine in CPU simulation)",
    )
    p.add_argument("--data", help="data for the R2 (default: the data it was trained on)")
    p.add_argument("--no-eval", action="store_true", help="skip the R2 measurement")
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser(
        "info",
        help="describe a .net file, or what an NWB file holds",
        description="Check a .net file and print its layers, neurons, synapses, graph and "
        "model card; or, for FILE.nwb, print the units, kinematics, trials and bins that "
        "--data FILE.nwb would use.",
    )
    p.add_argument("file", help=".net file written by `rat-lava export`, or an .nwb file")
    p.add_argument("--bin-ms", type=float, metavar="MS", help=".nwb: bin width in ms (default 4)")
    p.add_argument(
        "--cores",
        action="store_true",
        help="also map the network onto Loihi 2 neuro cores: cores used, per-core neurons and "
        "synapses, and a warning for every layer that cannot fit",
    )
    p.add_argument(
        "--core-neurons", type=int, metavar="N", help="--cores: neurons per core (default 8192)"
    )
    p.add_argument(
        "--core-synapses",
        type=int,
        metavar="N",
        help="--cores: synapses per core (default 937500, the ~120M per chip over 128 cores; "
        "lower it for a stricter check)",
    )
    p.set_defaults(func=_cmd_info)

    p = sub.add_parser(
        "run",
        help="decode data with an exported network in Lava; writes a run file",
        description="Decode --data with FILE.net in Lava (a .npz in full; synthetic and .mat: "
        "the test split of the session the network was folded for, else the first) and write "
        "the decoded and recorded velocity and per-layer spike counts to --out (HDF5).",
    )
    p.add_argument("file", help="network (.net) written by `rat-lava export`")
    p.add_argument("--data", default="synthetic", help=DATA_HELP)
    p.add_argument(
        "--backend",
        default="sim-fixed",
        choices=BACKENDS,
        help="sim-fixed: bit-accurate CPU simulation (default); sim-float: float CPU "
        "simulation; loihi2: Loihi 2 hardware (needs Intel's lava-loihi)",
    )
    p.add_argument(
        "--attention",
        choices=ATTENTION_MODEL_NAMES,
        help="attention ProcessModel (default: fused in simulation, decomposed on loihi2)",
    )
    p.add_argument(
        "--network-model",
        default="leaves",
        choices=NETWORK_MODELS,
        help="leaves: the network as standard Lava processes, what maps onto Loihi 2 (default); "
        "fused: the whole network as one CPU process, bit-exact with the leaves and several "
        "times faster (sim-fixed only)",
    )
    p.add_argument(
        "--probes",
        action="store_true",
        help="also record per-core activity (syn_ops, dendrite_updates, axon_out, spikes_in) "
        "from the Lava run, with modelled energy and time (measured ones on loihi2)",
    )
    p.add_argument(
        "--steps", type=int, metavar="N", help="decode only the first N bins (default: all)"
    )
    p.add_argument(
        "--protocol",
        choices=PROTOCOLS,
        help="how --data is read and split (default: the protocol the network was trained "
        "under; another is refused)",
    )
    p.add_argument("--out", required=True, help="run file to write (.h5)")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser(
        "compare",
        help="compare two run files (e.g. sim-fixed vs loihi2); Markdown report and plots",
        description="Compare run B against run A of the same data: decoded-output agreement "
        "(max abs difference, first divergent step, R2 of each vs ground truth and of B vs A), "
        "spikes per layer, per-core activity, energy and time. With --out, write report.md, "
        "velocity.png and core_activity.png there; else print the report. Exit status 1 when "
        "agreement is worse than --max-diff or --min-r2.",
    )
    p.add_argument("a", help="reference run file (.h5) written by `rat-lava run`")
    p.add_argument("b", help="run file (.h5) checked against A")
    p.add_argument("--out", help="folder for report.md and the PNG plots")
    p.add_argument(
        "--max-diff",
        type=float,
        metavar="X",
        help="fail if the max abs difference of the decoded velocities exceeds X (data units)",
    )
    p.add_argument(
        "--min-r2", type=float, metavar="Y", help="fail if the R2 of B with A as target is below Y"
    )
    p.add_argument(
        "--tolerance",
        type=float,
        default=0.0,
        metavar="T",
        help="a step diverges when |B - A| exceeds T (data units; default 0: any difference)",
    )
    p.set_defaults(func=_cmd_compare)

    p = sub.add_parser(
        "download",
        help="download NeuroBench sessions of Zenodo record 583331",
        description="Download (resumable, checksum-verified) one of the six "
        "NeuroBench primate-reaching sessions, or all.",
    )
    p.add_argument("session", help="session name, e.g. indy_20160622_01, or 'all'")
    p.add_argument("--dest", default="data", help="destination directory (default ./data)")
    p.add_argument("--no-progress", action="store_true", help="hide progress bars")
    p.set_defaults(func=_cmd_download)

    p = sub.add_parser(
        "demo",
        help="run the main job on the embedded real recording",
        description="Decode the test split of the data (default: the embedded real recording "
        "s1) in Lava sim-fixed with per-core probes, with the shipped export of that data (or, "
        "with --train, a small RAT SNN trained here, exported to netx_exports/demo.net), and "
        "print the export's float and quantized R2 and the Lava R2 next to ridge and Kalman, "
        "the per-core table and the energy per decoded bin; saves velocity.png and "
        "core_activity.png into OUT.",
    )
    demo_data_help = DATA_HELP.replace("(default synthetic)", f"(default {REAL_EXAMPLE})")
    p.add_argument("--data", default=REAL_EXAMPLE, help=demo_data_help)
    p.add_argument("--out", default="runs/demo", help="output directory (default runs/demo)")
    p.add_argument(
        "--from-export",
        nargs="?",
        const="",
        metavar="FILE.net",
        help="decode with this export (default: the shipped export of --data: "
        "netx_exports/rat_small_s1.net for s1, rat_small_synthetic.net for synthetic)",
    )
    p.add_argument(
        "--train",
        action="store_true",
        help="train the small RAT here first (or reuse OUT/rat.pt when it was trained the same "
        "way) instead of using the shipped export",
    )
    p.add_argument(
        "--network-model",
        default="fused",
        choices=NETWORK_MODELS,
        help="fused: the network as one FusedNetwork Lava process, bit-exact with the leaves "
        "and faster (default); leaves: the standard Lava processes that map onto Loihi 2",
    )
    p.add_argument(
        "--retrain",
        action="store_true",
        help="train here, even if OUT/rat.pt fits (implies --train)",
    )
    p.add_argument("--seed", type=int, default=0, help="training seed (default 0)")
    p.add_argument("--no-progress", action="store_true", help="hide progress bars")
    p.set_defaults(func=_cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `rat-lava` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except RatLavaError as exc:
        print(f"rat-lava: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("rat-lava: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader of stdout went away, e.g. `rat-lava info X.net | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as exc:  # never show a user a traceback; RAT_LAVA_DEBUG=1 shows it
        if os.environ.get("RAT_LAVA_DEBUG"):
            traceback.print_exc()
        print(
            f"rat-lava: internal error: {type(exc).__name__}: {exc} "
            "(please report it; RAT_LAVA_DEBUG=1 shows the traceback)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
