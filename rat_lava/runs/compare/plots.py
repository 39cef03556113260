"""PNG plots of one or two runs: decoded vs true velocity, and per-core activity heat maps.

Drawn with matplotlib's object API on its Agg canvas (no pyplot, no display, no global backend
change); every file is written atomically.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from rat_lava.io_utils import atomic_path
from rat_lava.probes.activity import COUNTERS
from rat_lava.probes.report import ProbeReport
from rat_lava.runs.runfile import RunFile

VELOCITY_PNG = "velocity.png"
ACTIVITY_PNG = "core_activity.png"

MAX_PLOT_STEPS = 1000
"""Steps shown in the velocity plot (the first ones): 4 s at 4 ms bins stay readable."""

TIME_WINDOWS = 100
"""Columns of a per-step activity heat map (steps are averaged within each window)."""

MAX_CORE_TICKS = 40
"""Up to this many cores get a label on the heat map's axis."""


def _save(figure: Figure, path: Path) -> Path:
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png", dpi=110)
    return path


def velocity_figure(runs: Sequence[RunFile], labels: Sequence[str]) -> Figure:
    """vx and vy over time: the ground truth of the first run and each run's decoded velocity."""
    figure = Figure(figsize=(10, 5.5), constrained_layout=True)
    axes = figure.subplots(2, 1, sharex=True)
    steps = min(runs[0].steps, MAX_PLOT_STEPS)
    dt = float(runs[0].meta.get("dt", 1.0))
    time = np.arange(steps) * dt
    for dim, ax in enumerate(axes):
        ax.plot(time, runs[0].ground_truth[:steps, dim], color="black", lw=1.6, label="true")
        for run, label in zip(runs, labels, strict=True):
            ax.plot(time, run.velocity[:steps, dim], lw=1.0, label=label)
        ax.set_ylabel(("vx", "vy")[dim] + " (data units)")
        ax.grid(alpha=0.3)
    axes[0].legend(loc="upper right", fontsize=8)
    axes[1].set_xlabel("time (s)" if "dt" in runs[0].meta else "step")
    shown = f"first {steps} of {runs[0].steps} steps" if steps < runs[0].steps else "all steps"
    axes[0].set_title(f"Decoded vs true velocity ({shown})")
    return figure


def _windows(report: ProbeReport) -> np.ndarray:
    """syn_ops per step (cores, windows): per-step counters averaged in time windows, or the
    run mean as one column when only totals are known (hardware)."""
    activity = report.activity
    if not activity.per_step:
        return (activity.syn_ops / activity.num_steps)[:, None].astype(np.float64)
    parts = np.array_split(activity.syn_ops, min(TIME_WINDOWS, activity.num_steps), axis=0)
    return np.stack([part.mean(axis=0) for part in parts], axis=1)


def _core_names(report: ProbeReport) -> list[str]:
    activity = report.activity
    return [
        label or f"chip {chip} core {core}"
        for label, chip, core in zip(
            report.core_labels, activity.chip_idx, activity.core_idx, strict=True
        )
    ]


def _relative_differences(a: ProbeReport, b: ProbeReport) -> tuple[np.ndarray, list[str]]:
    """(B - A) / max(A, 1) of each counter's run total, (cores, counters), cores matched by
    (chip, core) in A's order then B's extra ones; NaN where a core is in one run only."""
    totals = [r.activity.totals() for r in (a, b)]
    keys = [list(zip(t.chip_idx.tolist(), t.core_idx.tolist(), strict=True)) for t in totals]
    order = keys[0] + [k for k in keys[1] if k not in keys[0]]
    names = {**dict(zip(keys[1], _core_names(b), strict=True))}
    names.update(dict(zip(keys[0], _core_names(a), strict=True)))
    values = np.full((len(order), len(COUNTERS)), np.nan)
    for row, key in enumerate(order):
        if key in keys[0] and key in keys[1]:
            i, j = keys[0].index(key), keys[1].index(key)
            for col, name in enumerate(COUNTERS):
                va, vb = getattr(totals[0], name)[i], getattr(totals[1], name)[j]
                values[row, col] = (vb - va) / max(va, 1)
    return values, [names[key] for key in order]


def _label_cores(ax, names: list[str]) -> None:
    if len(names) <= MAX_CORE_TICKS:
        ax.set_yticks(range(len(names)), names, fontsize=7)
    ax.set_ylabel("core")


def activity_figure(reports: Sequence[ProbeReport], labels: Sequence[str]) -> Figure:
    """Heat maps of syn_ops per step per core over time, one per run (shared colour scale), and
    for two runs the relative difference of every counter's run total per core."""
    panels = len(reports) + (1 if len(reports) == 2 else 0)
    height = 1.8 + 0.28 * min(max(r.activity.cores for r in reports), 3 * MAX_CORE_TICKS)
    figure = Figure(figsize=(6.5 * panels, height), constrained_layout=True)
    axes = np.atleast_1d(figure.subplots(1, panels))
    maps = [_windows(report) for report in reports]
    top = max(float(m.max(initial=0.0)) for m in maps) or 1.0
    for ax, report, values, label in zip(axes, reports, maps, labels, strict=False):
        image = ax.imshow(
            values, aspect="auto", cmap="viridis", vmin=0, vmax=top, interpolation="nearest"
        )
        _label_cores(ax, _core_names(report))
        per_step = report.activity.per_step
        ax.set_xlabel(f"time window ({values.shape[1]} windows)" if per_step else "run mean")
        if not per_step:
            ax.set_xticks([])
        ax.set_title(f"{label}: syn_ops per step")
        figure.colorbar(image, ax=ax, fraction=0.05)
    if len(reports) == 2:
        values, names = _relative_differences(*reports)
        span = float(np.nanmax(np.abs(values), initial=0.0)) or 1.0
        ax = axes[-1]
        image = ax.imshow(
            values, aspect="auto", cmap="RdBu_r", vmin=-span, vmax=span, interpolation="nearest"
        )
        _label_cores(ax, names)
        ax.set_xticks(range(len(COUNTERS)), COUNTERS, rotation=30, fontsize=7)
        ax.set_title(f"({labels[1]} - {labels[0]}) / {labels[0]}, run totals")
        figure.colorbar(image, ax=ax, fraction=0.05)
    return figure


def save_plots(
    runs: Sequence[RunFile], labels: Sequence[str], out_dir: str | os.PathLike
) -> list[Path]:
    """Write ``velocity.png`` (decoded vs true velocity of each run) and, when any run has
    probes, ``core_activity.png`` (per-core activity heat maps) into ``out_dir``.

    Args:
        runs: one or two runs of the same data.
        labels: a short name per run for legends and titles.

    Returns the paths written.
    """
    if not 1 <= len(runs) <= 2 or len(labels) != len(runs):
        raise ValueError("save_plots takes one or two runs and one label per run")
    out = Path(out_dir)
    written = [_save(velocity_figure(runs, labels), out / VELOCITY_PNG)]
    probed = [(run.probes, label) for run, label in zip(runs, labels, strict=True) if run.probes]
    if probed:
        reports, names = zip(*probed, strict=True)
        written.append(_save(activity_figure(reports, names), out / ACTIVITY_PNG))
    return written
