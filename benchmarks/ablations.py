"""Test R^2 of each RAT ablation next to the full model, trained as ``rat-lava train`` does.

For every seed, the full ``small`` RAT and one model per ablation switch (no attention, no
re-parametrization, single timescale) train with the RAT default settings on the same data;
the table prints test and validation R^2, parameters, training time and the test R^2 change
against the full model of the same seed. Each row is reproduced by the command printed above
the table.

    python benchmarks/ablations.py [--data synthetic] [--seeds 0] [--epochs N] [--out DIR]

``--epochs`` caps every model's training (``rat-lava train --epochs``) to fit a time budget;
by default the RAT's own settings apply (30 epochs, early stopping).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from rat_lava.train.choices import ABLATIONS
from rat_lava.train.models import default_train_config
from rat_lava.train.pipeline import StageOptions, train

VARIANTS = ("full", *ABLATIONS)
"""The full model, then every ablation switch of ``rat-lava train --ablation``."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="synthetic", help="--data of rat-lava train")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="training seeds")
    parser.add_argument("--epochs", type=int, help="epochs per model (default: the RAT's)")
    parser.add_argument("--out", default="runs/ablations", help="checkpoint directory")
    args = parser.parse_args()
    epochs = {} if args.epochs is None else {"epochs": args.epochs}
    print(
        f"rat-lava train --model rat --data {args.data} --seed S --out DIR [--ablation NAME]"
        + (f" --epochs {args.epochs}" if epochs else "")
        + f"  (seeds {' '.join(map(str, args.seeds))})"
    )
    results: dict[str, list[tuple[float, float, int, float]]] = {v: [] for v in VARIANTS}
    for seed in args.seeds:
        for variant in VARIANTS:
            ablations = () if variant == "full" else (variant,)
            summary = train(
                "rat",
                args.data,
                Path(args.out) / f"{variant}-seed{seed}",
                train_config=default_train_config("rat", seed=seed, **epochs),
                progress=False,
                options=StageOptions(ablations=ablations),
            )
            results[variant].append(
                (summary.test_r2, summary.val_r2, summary.parameters, summary.seconds)
            )
            print(f"  seed {seed} {variant}: test R2 {summary.test_r2:.4f}", flush=True)
    full = np.array([r[0] for r in results["full"]])
    print(
        f"{'variant':<18} {'test R2':>8} {'val R2':>8} {'d test':>8} {'params':>7} {'train s':>8}"
    )
    for variant, rows in results.items():
        test, val, params, seconds = (np.array(column) for column in zip(*rows, strict=True))
        print(
            f"{variant:<18} {test.mean():>8.4f} {val.mean():>8.4f} "
            f"{(test - full).mean():>+8.4f} {int(params[0]):>7} {seconds.mean():>8.0f}"
        )


if __name__ == "__main__":
    main()
