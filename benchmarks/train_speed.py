"""Training throughput and peak memory of the RAT SNN presets next to the GRU baseline, on CPU.

Every model trains in its own fresh interpreter (so that the peak memory is its own), on batches
of the training windows that ``rat-lava train`` uses (its default batch size and window
length, synthetic default target): a few warm-up optimizer steps (forward, backward, AdamW),
then timed ones. Printed per model: windows per second, seconds per batch, peak resident
memory of the process and its growth over the process before the model was built, and the
throughput relative to the GRU measured in the same run.

    python benchmarks/train_speed.py [--batches 4] [--warmup 1] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

MODELS = (("gru", "small"), ("rat", "small"), ("rat", "paper"))
"""(model kind, preset) pairs measured, in order; the GRU has one size."""


def _peak_rss_mib() -> float:
    """Peak resident memory of this process so far, MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _measure(kind: str, preset: str, batches: int, warmup: int, threads: int) -> dict:
    """Train ``kind`` for ``warmup + batches`` steps on CPU; runs in a child process."""
    import numpy as np
    import torch

    from rat_lava.data.sources import load_data
    from rat_lava.data.splits import chronological_split, training_windows
    from rat_lava.metrics import parameter_count
    from rat_lava.train.models import build_torch_model, default_config, default_train_config

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    target = load_data("synthetic")[0]
    cfg = default_train_config(kind)
    train = chronological_split(target).train
    spikes, velocity = training_windows(
        train, round(cfg.window_s / train.dt), round(cfg.stride_s / train.dt)
    )
    rng = np.random.default_rng(0)
    before = _peak_rss_mib()
    config = default_config(kind, preset, target.dt)
    model = build_torch_model(kind, config, target.n_channels, [target.condition])
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    model.train()
    started = 0.0
    for step in range(warmup + batches):
        if step == warmup:
            started = time.perf_counter()
        idx = rng.choice(len(spikes), cfg.batch_size, replace=False)
        x = torch.from_numpy(spikes[idx].astype(np.float32))
        y = torch.from_numpy(velocity[idx] / velocity.std(axis=(0, 1)))
        loss = torch.nn.functional.mse_loss(model(x, target.condition), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    seconds = time.perf_counter() - started
    return {
        "model": kind if kind == "gru" else f"{kind} {preset}",
        "parameters": parameter_count(model),
        "batch": cfg.batch_size,
        "steps": spikes.shape[1],
        "windows_per_s": batches * cfg.batch_size / seconds,
        "s_per_batch": seconds / batches,
        "peak_mib": _peak_rss_mib(),
        "growth_mib": _peak_rss_mib() - before,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=4, help="timed batches per model")
    parser.add_argument("--warmup", type=int, default=1, help="untimed batches first")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--one", nargs=2, metavar=("KIND", "PRESET"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:  # the child process: measure one model, print its row as JSON
        print(json.dumps(_measure(*args.one, args.batches, args.warmup, args.threads)))
        return
    rows = []
    for kind, preset in MODELS:
        # a fresh interpreter per model (Lava, imported with the package, fixes the start
        # method of multiprocessing, so a spawn pool cannot be used)
        child = subprocess.run(
            [
                sys.executable,
                __file__,
                "--one",
                kind,
                preset,
                "--batches",
                str(args.batches),
                "--warmup",
                str(args.warmup),
                "--threads",
                str(args.threads),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        rows.append(json.loads(child.stdout.strip().splitlines()[-1]))
    gru = rows[0]["windows_per_s"]
    print(
        f"training on CPU, {args.threads} threads, {args.batches} timed batches after "
        f"{args.warmup} warm-up, synthetic default target"
    )
    print(
        f"{'model':<10} {'params':>8} {'batch x steps':>13} {'windows/s':>10} {'s/batch':>8} "
        f"{'peak MiB':>9} {'growth MiB':>11} {'vs GRU':>7}"
    )
    for row in rows:
        shape = f"{row['batch']} x {row['steps']}"
        print(
            f"{row['model']:<10} {row['parameters']:>8} {shape:>13} "
            f"{row['windows_per_s']:>10.2f} {row['s_per_batch']:>8.2f} {row['peak_mib']:>9.0f} "
            f"{row['growth_mib']:>11.0f} {row['windows_per_s'] / gru:>7.3f}"
        )


if __name__ == "__main__":
    main()
