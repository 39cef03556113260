"""The README's results table: every decoder on one data set, measured in one run.

    python benchmarks/results.py [--data synthetic] [--seed 0] [--out runs/results] [--paper]

Trains ridge, Kalman, GRU and the ``small`` RAT SNN (``--paper`` adds the paper-sized RAT) as
``rat-lava train`` does, exports each RAT to a ``.net`` file, decodes the test split in Lava
``sim-fixed`` with probes, and prints a Markdown table (also written to ``OUT/results.md``) with,
per decoder: test R^2 (PyTorch/numpy float, and in Lava sim-fixed for RAT), parameters,
effective ACs and MACs per step (NeuroBench), modelled Loihi 2 energy per decoded step, the
NeuroBench AC/MAC energy per step, and the Lava simulation speed as a ratio to real time. The
machine and the date head the table. ``--data`` takes every form of ``rat-lava --data``: a
Zenodo session file works the same way (``--data data/indy_20160622_01.mat``).

ACs/MACs of the classical decoders and the GRU are their dense multiply-accumulates per step
(every weight used once per step on non-sparse inputs); the RAT's are counted on the spikes of
the Lava run (``rat_lava.deploy.counters``).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rat_lava.export.exporter import export_checkpoint
from rat_lava.metrics import Ops, ops_energy_pj, r2_score
from rat_lava.runs.run import run_network
from rat_lava.runs.runfile import read_run
from rat_lava.train.checkpoint import load_checkpoint
from rat_lava.train.models import default_train_config
from rat_lava.train.pipeline import StageOptions, TrainSummary, train

QAT_EPOCHS = 1
"""Quantization-aware epochs after float training of every RAT (as the shipped export)."""


@dataclass
class Row:
    """One line of the table; NaN where a column does not apply."""

    decoder: str
    r2_float: float
    r2_lava: float = float("nan")
    parameters: int = 0
    acs: float = float("nan")
    macs: float = float("nan")
    energy_nj: float = float("nan")
    neurobench_nj: float = float("nan")
    speed_x_real_time: float = float("nan")


def dense_macs(checkpoint: Path) -> float:
    """Multiply-accumulates per step of a dense decoder: one per weight of a matrix (ndim >= 2)
    of its state, or of its ridge/Kalman arrays."""
    state = load_checkpoint(checkpoint)["state"]
    return float(sum(t.numel() for t in state.values() if t.ndim >= 2))


def baseline_row(summary: TrainSummary) -> Row:
    """The row of a ridge, Kalman or GRU training."""
    macs = dense_macs(summary.checkpoint)
    return Row(
        summary.model,
        summary.test_r2,
        parameters=summary.parameters,
        macs=macs,
        neurobench_nj=ops_energy_pj(Ops(0.0, macs)) * 1e-3,
    )


def rat_row(label: str, summary: TrainSummary, data: str, out: Path) -> Row:
    """Export ``summary``'s checkpoint, decode in Lava sim-fixed with probes, fill a row."""
    net = out / f"{summary.checkpoint.stem}.net"
    print(export_checkpoint(summary.checkpoint, net, data=data).report())
    run_path = out / f"{summary.checkpoint.stem}_sim_fixed.h5"
    print(run_network(net, data, "sim-fixed", run_path, probes=True))
    run = read_run(run_path)
    energy = run.probes.energy
    return Row(
        label,
        summary.test_r2,
        r2_lava=r2_score(run.ground_truth, run.velocity).mean,
        parameters=summary.parameters,
        acs=energy.acs_per_step,
        macs=energy.macs_per_step,
        energy_nj=energy.energy_per_step_j * 1e9,
        neurobench_nj=energy.neurobench_energy_per_step_j * 1e9,
        speed_x_real_time=run.timing["steps_per_s"] * float(run.meta["dt"]),
    )


def _cell(value: float, digits: str) -> str:
    return "-" if np.isnan(value) else format(value, digits)


def table(rows: list[Row], data: str, seed: int, epochs: int | None) -> str:
    """The Markdown table with its heading line (date, machine, data, seed, epochs)."""
    machine = (
        f"{platform.machine()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}"
    )
    command = "python benchmarks/results.py" + (f" --epochs {epochs}" if epochs else "")
    lines = [
        f"Measured {datetime.date.today().isoformat()} on {machine}; data `{data}`, seed {seed} "
        f"(`{command}`).",
        "",
        "| decoder | test R2 (float) | test R2 (Lava sim-fixed) | parameters | ACs / step | "
        "MACs / step | modelled Loihi 2 energy / step (nJ) | NeuroBench energy / step (nJ) | "
        "Lava sim speed (x real time) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.decoder} | {r.r2_float:.4f} | {_cell(r.r2_lava, '.4f')} | {r.parameters} | "
            f"{_cell(r.acs, '.0f')} | {_cell(r.macs, '.0f')} | {_cell(r.energy_nj, '.3g')} | "
            f"{_cell(r.neurobench_nj, '.3g')} | {_cell(r.speed_x_real_time, '.2f')} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="synthetic", help="--data of rat-lava train")
    parser.add_argument("--seed", type=int, default=0, help="training seed (default 0)")
    parser.add_argument("--out", default="runs/results", help="checkpoints, exports, runs")
    parser.add_argument("--paper", action="store_true", help="also the paper-sized RAT")
    parser.add_argument(
        "--epochs", type=int, help="cap on the training epochs of GRU and RAT (default: theirs)"
    )
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    args = parser.parse_args()
    out, progress = Path(args.out), not args.no_progress
    epochs = {} if args.epochs is None else {"epochs": args.epochs}
    rows = []
    for model in ("ridge", "kalman", "gru"):
        cfg = default_train_config(model, seed=args.seed, **epochs)
        rows.append(baseline_row(train(model, args.data, out / model, "small", cfg, progress)))
    for preset in ("small", "paper") if args.paper else ("small",):
        cfg = default_train_config("rat", seed=args.seed, **epochs)
        options = StageOptions(qat_epochs=QAT_EPOCHS)
        summary = train("rat", args.data, out / f"rat_{preset}", preset, cfg, progress, options)
        rows.append(rat_row(f"RAT {preset}", summary, args.data, out / f"rat_{preset}"))
    text = table(rows, args.data, args.seed, args.epochs)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.md").write_text(text + "\n", encoding="utf-8")
    print(f"\n{text}\n\nwritten to {out / 'results.md'}")


if __name__ == "__main__":
    main()
