"""Does pretraining on other sessions and subjects help a new session with little data?

1. Pretrain the ``small`` RAT on every session of the data except the target (other sessions
   of the target's subject, other subjects and tasks; one BatchNorm set each), or with
   ``--subjects`` only on the sessions of those subjects.
2. Per seed, on the first ``--fraction`` of the target's training split: finetune the
   pretrained model ("full" and "input-only" modes; the finetuning learning rate, velocity
   scale and initial-weights rule of ``StageOptions``), and train the same architecture from
   scratch with the same settings.
3. Print the target's test R^2 of each and the difference finetune - scratch per seed.

Everything runs through the ``rat-lava train`` pipeline; the equivalent commands are printed.
``--pretrain-epochs`` and ``--epochs`` cap the pretraining and the target runs (default: the
RAT's own 30 epochs with early stopping).

    python benchmarks/generalization.py [--data synthetic] [--fraction 0.1] [--seeds 0 1 2]
        [--subjects A] [--pretrain-epochs N] [--epochs N] [--pretrained PRETRAIN/rat.pt]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from rat_lava.train.models import default_train_config
from rat_lava.train.pipeline import StageOptions, train

RUNS = ("scratch", "finetune full", "finetune input-only")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="synthetic", help="--data of rat-lava train")
    parser.add_argument("--fraction", type=float, default=0.1, help="target training fraction")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="seeds")
    parser.add_argument("--pretrain-seed", type=int, default=0, help="seed of the pretraining")
    parser.add_argument("--subjects", nargs="+", default=[], help="pretraining subjects")
    parser.add_argument("--pretrain-epochs", type=int, help="pretraining epochs")
    parser.add_argument("--epochs", type=int, help="epochs of the finetune and scratch runs")
    parser.add_argument("--pretrained", help="reuse this pretrained rat.pt (skips step 1)")
    parser.add_argument("--out", default="runs/generalization", help="checkpoint directory")
    args = parser.parse_args()
    out = Path(args.out)
    frac = f"--train-fraction {args.fraction:g}"
    subjects = f" --subjects {','.join(args.subjects)}" if args.subjects else ""
    pre_epochs = {} if args.pretrain_epochs is None else {"epochs": args.pretrain_epochs}
    epochs = {} if args.epochs is None else {"epochs": args.epochs}
    pre_flag = f" --epochs {args.pretrain_epochs}" if pre_epochs else ""
    flag = f" --epochs {args.epochs}" if epochs else ""
    print(
        f"rat-lava train --model rat --data {args.data} --stage pretrain{subjects}{pre_flag} "
        f"--seed {args.pretrain_seed} --out {out / 'pretrain'}\n"
        f"rat-lava train --model rat --data {args.data} --stage finetune --init "
        f"{args.pretrained or out / 'pretrain' / 'rat.pt'} --finetune-mode full|input-only "
        f"{frac}{flag} "
        "--seed S --out D\n"
        f"rat-lava train --model rat --data {args.data} {frac}{flag} --seed S --out D"
    )
    if args.pretrained:
        checkpoint = Path(args.pretrained)
        print(f"pretrained: {checkpoint} (given)")
    else:
        pretrained = train(
            "rat",
            args.data,
            out / "pretrain",
            train_config=default_train_config("rat", seed=args.pretrain_seed, **pre_epochs),
            progress=False,
            options=StageOptions(stage="pretrain", subjects=tuple(args.subjects)),
        )
        checkpoint = pretrained.checkpoint
        print(
            f"pretrained: R2 {pretrained.test_r2:.4f} on the test splits of the pretraining "
            f"sessions, {pretrained.seconds:.0f} s",
            flush=True,
        )
    options = {
        "scratch": StageOptions(train_fraction=args.fraction),
        "finetune full": StageOptions(
            stage="finetune", init=checkpoint, train_fraction=args.fraction
        ),
        "finetune input-only": StageOptions(
            stage="finetune",
            init=checkpoint,
            finetune_mode="input-only",
            train_fraction=args.fraction,
        ),
    }
    scores = {run: [] for run in RUNS}
    for seed in args.seeds:
        for run in RUNS:
            summary = train(
                "rat",
                args.data,
                out / f"{run.replace(' ', '-')}-seed{seed}",
                train_config=default_train_config("rat", seed=seed, **epochs),
                progress=False,
                options=options[run],
            )
            scores[run].append(summary.test_r2)
        print(
            f"  seed {seed}: " + ", ".join(f"{run} {scores[run][-1]:.4f}" for run in RUNS),
            flush=True,
        )
    table = {run: np.array(values) for run, values in scores.items()}
    print(f"target test R2 with {args.fraction:.0%} of its training data")
    print(f"{'seed':>5} " + " ".join(f"{run:>20}" for run in RUNS) + f" {'full - scratch':>15}")
    for i, seed in enumerate(args.seeds):
        diff = table["finetune full"][i] - table["scratch"][i]
        print(f"{seed:>5} " + " ".join(f"{table[r][i]:>20.4f}" for r in RUNS) + f" {diff:>+15.4f}")
    diff = table["finetune full"] - table["scratch"]
    print(
        f"{'mean':>5} "
        + " ".join(f"{table[r].mean():>20.4f}" for r in RUNS)
        + f" {diff.mean():>+15.4f}"
    )
    print(f"finetune (full) - scratch: {diff.mean():+.4f} +- {diff.std():.4f} (s.d. over seeds)")


if __name__ == "__main__":
    main()
