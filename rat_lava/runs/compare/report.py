"""The Markdown report of ``rat-lava compare``: agreement, spikes, cores, energy and time, metadata.

Numbers are printed with 6 significant digits (``%.6g``), counts as integers; energies in nJ,
powers in mW, times in µs per step unless the row says otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from rat_lava.metrics import R2
from rat_lava.probes.activity import COUNTERS
from rat_lava.probes.report import ProbeReport
from rat_lava.runs.compare.agreement import Comparison
from rat_lava.runs.runfile import RunFile

METADATA = (
    "backend",
    "attention_model",
    "network_model",
    "network",
    "network_sha256",
    "data",
    "condition",
    "dt",
    "created",
    "package_versions",
)
"""Run-file attributes shown side by side."""

TIMING = ("start_s", "run_s", "probe_s", "total_s", "steps_per_s")
"""Host wall-clock timing rows (``LavaDecoder.timing``)."""


def number(value: float | None) -> str:
    """``value`` with 6 significant digits; "-" for None or NaN."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "-"
    return f"{value:.6g}"


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


def _r2(r2: R2) -> str:
    return f"{number(r2.mean)} (vx {number(r2.per_dim[0])}, vy {number(r2.per_dim[1])})"


def _outputs(c: Comparison) -> list[str]:
    first = "none" if c.first_divergent_step is None else str(c.first_divergent_step)
    rows = [
        ("steps", c.steps),
        ("max abs difference (data units)", number(c.max_abs_difference)),
        (f"first divergent step (abs(B - A) > {c.tolerance:g})", first),
        ("R2 A vs ground truth", _r2(c.r2_a)),
        ("R2 B vs ground truth", _r2(c.r2_b)),
        ("R2 B vs A", _r2(c.r2_b_vs_a)),
    ]
    return ["## Decoded outputs", "", *_table(("quantity", "value"), rows)]


def _layers(c: Comparison) -> list[str]:
    lines = ["## Spikes per layer", ""]
    if not c.layers:
        return [*lines, "No layer was recorded in both runs."]
    rows = [
        (
            layer.layer,
            layer.spikes_a,
            layer.spikes_b,
            layer.spikes_b - layer.spikes_a,
            number(layer.equal_steps),
            layer.max_step_difference,
            "none" if layer.first_difference is None else layer.first_difference,
        )
        for layer in c.layers
    ]
    header = (
        "layer",
        "spikes A",
        "spikes B",
        "B - A",
        "steps equal",
        "max step diff",
        "first diff",
    )
    lines += _table(header, rows)
    if c.only_in_one:
        lines += ["", f"Recorded in one run only: {', '.join(c.only_in_one)}."]
    return lines


def _cores(c: Comparison) -> list[str]:
    lines = ["## Per-core activity (run totals)", ""]
    missing = [name for name, run in (("A", c.a), ("B", c.b)) if run.probes is None]
    if missing:
        lines.append(f"No probes in {' and '.join(missing)} (run it with `rat-lava run --probes`).")
    if not c.cores:
        return lines
    header = ["chip", "core", "holds"]
    for counter in COUNTERS:
        header += [f"{counter} A", f"{counter} B", "B - A"]
    rows = []
    for core in c.cores:
        row: list[object] = [core.chip, core.core, core.label or "-"]
        for counter in COUNTERS:
            a = None if core.a is None else core.a[counter]
            b = None if core.b is None else core.b[counter]
            row += ["-" if a is None else a, "-" if b is None else b]
            row.append("-" if a is None or b is None else b - a)
        rows.append(row)
    return [*lines, *_table(header, rows)]


ENERGY_ROWS: tuple[tuple[str, Callable[[ProbeReport], float | str]], ...] = (
    ("source", lambda r: r.energy.source),
    ("cores", lambda r: r.activity.cores),
    ("time per step (µs)", lambda r: r.energy.time_per_step_s * 1e6),
    ("dynamic energy per step (nJ)", lambda r: r.energy.dynamic_energy_per_step_j * 1e9),
    ("static power (mW)", lambda r: r.energy.static_power_w * 1e3),
    ("energy per decoded step (nJ)", lambda r: r.energy.energy_per_step_j * 1e9),
    ("network steps per bin", lambda r: r.substeps),
    ("energy per decoded bin (nJ)", lambda r: r.energy_per_bin_j * 1e9),
    ("mean power (mW)", lambda r: r.energy.mean_power_w * 1e3),
    ("NeuroBench ACs per step", lambda r: r.energy.acs_per_step),
    ("NeuroBench MACs per step", lambda r: r.energy.macs_per_step),
    ("NeuroBench energy per step (nJ)", lambda r: r.energy.neurobench_energy_per_step_j * 1e9),
)
"""Rows of the energy table: label, value of a probe report."""


def _cell(value: float | str) -> str:
    return value if isinstance(value, str) else number(float(value))


def _energy(a: RunFile, b: RunFile) -> list[str]:
    lines = ["## Energy and time", ""]
    rows = []
    for label, value in ENERGY_ROWS:
        rows.append([label] + [_cell(value(run.probes)) if run.probes else "-" for run in (a, b)])
    for key in TIMING:
        rows.append([f"host wall clock: {key}"] + [number(run.timing.get(key)) for run in (a, b)])
    lines += _table(("", "A", "B"), rows)
    constants = sorted(
        {name for run in (a, b) if run.probes for name in run.probes.energy.constants}
    )
    if constants:
        lines += ["", "Modelled energy constants (EnergyModel) and their sources:", ""]
        rows = []
        for name in constants:
            values = [
                number(run.probes.energy.constants.get(name)) if run.probes else "-"
                for run in (a, b)
            ]
            source = next(
                run.probes.energy.constant_sources[name]
                for run in (a, b)
                if run.probes and name in run.probes.energy.constant_sources
            )
            rows.append([name, *values, source])
        lines += _table(("constant", "A", "B", "source"), rows)
    return lines


def _metadata(a: RunFile, b: RunFile) -> list[str]:
    rows = [(key, a.meta.get(key, "-"), b.meta.get(key, "-")) for key in METADATA]
    lines = ["## Metadata", "", *_table(("", "A", "B"), rows)]
    sha_a, sha_b = a.meta.get("network_sha256"), b.meta.get("network_sha256")
    if sha_a and sha_b and sha_a != sha_b:
        lines += ["", "**Warning: A and B ran different export files (SHA-256 differ).**"]
    return lines


def render_markdown(
    comparison: Comparison,
    names: tuple[str, str],
    plots: Sequence[str] = (),
    failures: Sequence[str] = (),
    thresholds: Sequence[str] = (),
) -> str:
    """The whole report as Markdown.

    Args:
        names: how to call A and B (e.g. their file paths).
        plots: file names of the PNG plots beside the report.
        failures: threshold failures (``threshold_failures``); thresholds: the thresholds
            that were checked, as text.
    """
    a, b = comparison.a, comparison.b
    lines = [
        f"# rat-lava compare: {a.meta.get('backend', '?')} vs {b.meta.get('backend', '?')}",
        "",
        f"- A: `{names[0]}` ({a.meta.get('backend', '?')})",
        f"- B: `{names[1]}` ({b.meta.get('backend', '?')})",
        "",
        *_outputs(comparison),
        "",
        *_layers(comparison),
        "",
        *_cores(comparison),
        "",
        *_energy(a, b),
        "",
        *_metadata(a, b),
    ]
    if thresholds:
        verdict = "FAILED: " + "; ".join(failures) if failures else "passed"
        lines += ["", "## Thresholds", "", f"Checked {', '.join(thresholds)}: {verdict}."]
    if plots:
        lines += ["", "## Plots", ""] + [f"![{name}]({name})" for name in plots]
    return "\n".join(lines) + "\n"
