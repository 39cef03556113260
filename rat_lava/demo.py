"""`rat-lava demo`: the main job on the embedded synthetic default.

Trains the baseline decoders (ridge, Kalman, GRU) on the target session and prints their
test R^2 side by side.
"""

from __future__ import annotations

from pathlib import Path

from rat_lava.train.loop import TrainConfig
from rat_lava.train.pipeline import TrainSummary, train

DEMO_MODELS = ("ridge", "kalman", "gru")


def run_demo(out: Path, data: str = "synthetic", progress: bool = True) -> list[TrainSummary]:
    """Train every demo model on ``data`` into ``out`` and print a results table."""
    print(f"rat-lava demo on '{data}': training {', '.join(DEMO_MODELS)}")
    print("(the RAT SNN and its Lava export join this demo when they are built)")
    summaries = []
    for model in DEMO_MODELS:
        summary = train(model, data, out, train_config=TrainConfig(epochs=20), progress=progress)
        print(f"  {model:<7} test R2 = {summary.test_r2:.4f}  ({summary.seconds:.1f} s)")
        summaries.append(summary)
    print()
    print("| model  | test R2 | parameters | train time (s) |")
    print("|--------|---------|------------|----------------|")
    for s in summaries:
        print(f"| {s.model:<6} | {s.test_r2:7.4f} | {s.parameters:10d} | {s.seconds:14.1f} |")
    print(f"\ncheckpoints in {out}/")
    return summaries
