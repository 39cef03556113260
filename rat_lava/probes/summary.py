"""A probe report as text for the terminal: per-core table and energy per decoded step."""

from __future__ import annotations

import numpy as np

from rat_lava.metrics import E_AC_PJ, E_MAC_PJ
from rat_lava.probes.activity import COUNTERS
from rat_lava.probes.report import ProbeReport


def _nj(joules: float) -> str:
    return "-" if np.isnan(joules) else f"{joules * 1e9:.4g}"


def probe_summary(report: ProbeReport) -> str:
    """Per core: counters as means per step and dynamic energy per step (nJ); then time per
    step, energy per decoded step (total = dynamic + static) and the NeuroBench estimate."""
    activity, energy = report.activity.totals(), report.energy
    steps = activity.num_steps
    header = f"{'core':>5} {'chip':>4}  {'holds':<24}" + "".join(f" {c:>16}" for c in COUNTERS)
    lines = [
        f"per-core activity of a {report.backend} run ({steps} steps; means per step), "
        f"{energy.source} energy",
        header + f" {'dyn. nJ/step':>13}",
    ]
    for i in range(activity.cores):
        counters = "".join(f" {getattr(activity, c)[i] / steps:>16.1f}" for c in COUNTERS)
        dynamic = _nj(energy.dynamic_energy_per_core_j[i] / steps)
        lines.append(
            f"{activity.core_idx[i]:>5} {activity.chip_idx[i]:>4}  "
            f"{report.core_labels[i] or '-':<24}{counters} {dynamic:>13}"
        )
    totals = "".join(f" {getattr(activity, c).sum() / steps:>16.1f}" for c in COUNTERS)
    lines.append(
        f"{'all':>5} {'':>4}  {f'{activity.cores} cores':<24}{totals} "
        f"{_nj(energy.dynamic_energy_per_step_j):>13}"
    )
    lines += [
        f"time per step: {energy.time_per_step_s * 1e6:.4g} us ({energy.source})",
        f"energy per decoded step: {_nj(energy.energy_per_step_j)} nJ = dynamic "
        f"{_nj(energy.dynamic_energy_per_step_j)} nJ + static "
        f"{_nj(energy.static_energy_j / steps)} nJ ({energy.static_power_w * 1e3:.4g} mW); "
        f"mean power {energy.mean_power_w * 1e3:.4g} mW",
        f"NeuroBench estimate: {energy.acs_per_step:.6g} ACs x {E_AC_PJ:g} pJ + "
        f"{energy.macs_per_step:.6g} MACs x {E_MAC_PJ:g} pJ = "
        f"{_nj(energy.neurobench_energy_per_step_j)} nJ per step",
    ]
    if report.substeps > 1:
        lines.append(
            f"per decoded bin ({report.substeps} steps of {report.dt_s * 1e3:g} ms): "
            f"{_nj(report.energy_per_bin_j)} nJ, NeuroBench "
            f"{_nj(energy.neurobench_energy_per_step_j * report.substeps)} nJ"
        )
    return "\n".join(lines)
