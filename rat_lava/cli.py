"""The `rat-lava` command line: train, evaluate, download, demo.

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

from rat_lava import __version__
from rat_lava.errors import RatLavaError

DATA_HELP = "data: synthetic[:SEED] (default synthetic), a .npz file, or an indy_*/loco_* .mat file"


def _cmd_train(args: argparse.Namespace) -> int:
    from rat_lava.train.loop import TrainConfig
    from rat_lava.train.pipeline import StageOptions, train

    cfg = TrainConfig(seed=args.seed, device=args.device)
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
    )
    summary = train(
        args.model,
        args.data,
        Path(args.out),
        args.config,
        cfg,
        progress=not args.no_progress,
        options=options,
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
    from rat_lava.train.decoders import load_decoder

    decoder, meta = load_decoder(args.file)
    data = args.data or meta.get("data", "synthetic")
    test = chronological_split(load_data(data)[0]).test
    r2 = r2_score(test.velocity, decoder.predict(test))
    dims = ", ".join(f"{v:.4f}" for v in r2.per_dim)
    print(f"{args.file}: test R2 = {r2.mean:.4f} (vx, vy: {dims}) on {data}")
    return 0


def _cmd_download(args: argparse.Namespace) -> int:
    from rat_lava.data.download import NEUROBENCH_SESSIONS, download_session

    names = list(NEUROBENCH_SESSIONS) if args.session == "all" else [args.session]
    for name in names:
        print(download_session(name, Path(args.dest), progress=not args.no_progress))
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from rat_lava.demo import run_demo

    run_demo(Path(args.out), data=args.data, progress=not args.no_progress)
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
    p.add_argument("--model", required=True, choices=["rat", "gru", "ridge", "kalman"])
    p.add_argument(
        "--config",
        default="small",
        choices=["small", "paper"],
        help="architecture preset of neural models (default small)",
    )
    p.add_argument("--data", default="synthetic", help=DATA_HELP)
    p.add_argument("--out", required=True, help="output directory for the checkpoint")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--epochs", type=int, help="maximum number of epochs (default 30)")
    p.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda")
    p.add_argument(
        "--stage",
        default="single",
        choices=["single", "pretrain", "cross-session", "finetune"],
        help="single: the target session (default); pretrain: every other session; "
        "cross-session: all sessions of the target's subject; finetune: the target, "
        "from --init",
    )
    p.add_argument("--init", help="checkpoint to start from (pretrained or cross-session)")
    p.add_argument(
        "--finetune-mode",
        default="full",
        choices=["full", "input-only"],
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
        choices=["no-attention", "no-reparam", "single-timescale"],
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
    p.add_argument("--no-progress", action="store_true", help="hide progress bars")
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser(
        "evaluate",
        help="print the test R2 of a saved model",
        description="Re-evaluate a checkpoint on the test split of its data.",
    )
    p.add_argument("file", help="checkpoint (.pt) written by `rat-lava train`")
    p.add_argument("--data", help="data to evaluate on (default: the data it was trained on)")
    p.set_defaults(func=_cmd_evaluate)

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
        help="run the main job on the synthetic default",
        description="Train and compare the decoders on the synthetic default.",
    )
    p.add_argument("--data", default="synthetic", help=DATA_HELP)
    p.add_argument("--out", default="runs/demo", help="output directory (default runs/demo)")
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
