"""How far two runs of the same data agree: decoded outputs, spikes per layer, per-core activity.

Run A is the reference (e.g. ``sim-fixed``), run B the one checked against it (e.g. ``loihi2``
or ``sim-float``). Both must have decoded the same bins (same number of steps, same ground
truth, same bin width).

- Decoded outputs: the largest absolute difference of the velocities over all steps and both
  dimensions (data units); the first step (0-based bin) where they differ by more than a
  tolerance; R² of each run against the ground truth and of B with A as the target.
- Spikes per layer: run totals, the fraction of steps with equal counts, the largest per-step
  difference and the first step that differs, for every layer recorded in both runs.
- Per-core activity: run totals of each counter per core, cores matched by (chip, core).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rat_lava.errors import RatLavaError
from rat_lava.metrics import R2, r2_score
from rat_lava.probes.activity import COUNTERS
from rat_lava.probes.report import ProbeReport
from rat_lava.runs.runfile import RunFile


class CompareError(RatLavaError):
    """Two run files cannot be compared (different data or lengths)."""


@dataclass(frozen=True)
class LayerAgreement:
    """Spikes of one layer in both runs.

    Attributes:
        layer: layer name.
        spikes_a, spikes_b: spikes over the whole run.
        equal_steps: fraction of steps whose spike counts are equal.
        max_step_difference: largest |a_t - b_t| of the per-step counts.
        first_difference: first step whose counts differ, or None.
    """

    layer: str
    spikes_a: int
    spikes_b: int
    equal_steps: float
    max_step_difference: int
    first_difference: int | None


@dataclass(frozen=True)
class CoreTotals:
    """One core's run totals of each counter in both runs (None: the run has no such core).

    Attributes:
        chip, core: chip number and core number on the chip.
        label: what the core holds (``group[start:stop]``), from A, else B, else "".
        a, b: counter name -> total over the run.
    """

    chip: int
    core: int
    label: str
    a: dict[str, int] | None
    b: dict[str, int] | None


@dataclass(frozen=True)
class Comparison:
    """Agreement of run B with run A (see the module docstring).

    Attributes:
        a, b: the two runs.
        tolerance: absolute velocity difference (data units) above which a step diverges.
        max_abs_difference: largest |B - A| over steps and dimensions, data units.
        first_divergent_step: first step (0-based) where |B - A| > tolerance, or None.
        r2_a, r2_b: R² of A and of B against the ground truth.
        r2_b_vs_a: R² of B with A as the target.
        layers: per-layer spike agreement, for the layers both runs recorded.
        only_in_one: layers recorded by one run only.
        cores: per-core totals, sorted by (chip, core); empty when neither run has probes.
    """

    a: RunFile
    b: RunFile
    tolerance: float
    max_abs_difference: float
    first_divergent_step: int | None
    r2_a: R2
    r2_b: R2
    r2_b_vs_a: R2
    layers: tuple[LayerAgreement, ...]
    only_in_one: tuple[str, ...]
    cores: tuple[CoreTotals, ...]

    @property
    def steps(self) -> int:
        """Decoded steps of each run."""
        return self.a.steps


def _check_same_data(a: RunFile, b: RunFile, names: tuple[str, str]) -> None:
    """CompareError unless both runs decoded the same bins."""
    if a.steps != b.steps:
        raise CompareError(
            f"{names[0]} has {a.steps} decoded steps, {names[1]} has {b.steps}: "
            "compare runs of the same data"
        )
    if not np.allclose(a.ground_truth, b.ground_truth, rtol=1e-6, atol=1e-9):
        raise CompareError(
            f"{names[0]} and {names[1]} hold different ground-truth velocities: they decoded "
            "different data"
        )
    dt_a, dt_b = a.meta.get("dt"), b.meta.get("dt")
    if dt_a is not None and dt_b is not None and not np.isclose(dt_a, dt_b, rtol=1e-6):
        raise CompareError(f"{names[0]} has {dt_a} s bins, {names[1]} has {dt_b} s bins")


def _layer(name: str, a: np.ndarray, b: np.ndarray) -> LayerAgreement:
    """Agreement of one layer's per-step spike counts (T,)."""
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    differ = np.flatnonzero(a != b)
    return LayerAgreement(
        layer=name,
        spikes_a=int(a.sum()),
        spikes_b=int(b.sum()),
        equal_steps=float(np.mean(a == b)) if a.size else 1.0,
        max_step_difference=int(np.abs(a - b).max(initial=0)),
        first_difference=int(differ[0]) if differ.size else None,
    )


def _core_totals(report: ProbeReport | None) -> dict[tuple[int, int], tuple[str, dict[str, int]]]:
    """(chip, core) -> (label, run totals per counter) of a probe report (empty without one)."""
    if report is None:
        return {}
    totals = report.activity.totals()
    return {
        (int(chip), int(core)): (
            report.core_labels[i],
            {name: int(getattr(totals, name)[i]) for name in COUNTERS},
        )
        for i, (chip, core) in enumerate(zip(totals.chip_idx, totals.core_idx, strict=True))
    }


def _cores(a: RunFile, b: RunFile) -> tuple[CoreTotals, ...]:
    """Per-core totals of both runs, matched by (chip, core)."""
    in_a, in_b = _core_totals(a.probes), _core_totals(b.probes)
    rows = []
    for key in sorted(set(in_a) | set(in_b)):
        label_a, totals_a = in_a.get(key, ("", None))
        label_b, totals_b = in_b.get(key, ("", None))
        rows.append(CoreTotals(key[0], key[1], label_a or label_b, totals_a, totals_b))
    return tuple(rows)


def compare_runs(
    a: RunFile, b: RunFile, tolerance: float = 0.0, names: tuple[str, str] = ("A", "B")
) -> Comparison:
    """Agreement of run ``b`` with run ``a``; ``names`` name them in errors.

    Raises:
        CompareError: the runs did not decode the same data.
        ValueError: ``tolerance`` is negative or not finite.
    """
    if not (np.isfinite(tolerance) and tolerance >= 0):
        raise ValueError(f"tolerance must be finite and >= 0, got {tolerance}")
    _check_same_data(a, b, names)
    difference = np.abs(b.velocity - a.velocity)
    divergent = np.flatnonzero(difference.max(axis=1, initial=0.0) > tolerance)
    shared = [name for name in a.spikes if name in b.spikes]
    return Comparison(
        a=a,
        b=b,
        tolerance=tolerance,
        max_abs_difference=float(difference.max(initial=0.0)),
        first_divergent_step=int(divergent[0]) if divergent.size else None,
        r2_a=r2_score(a.ground_truth, a.velocity),
        r2_b=r2_score(b.ground_truth, b.velocity),
        r2_b_vs_a=r2_score(a.velocity, b.velocity),
        layers=tuple(_layer(name, a.spikes[name], b.spikes[name]) for name in shared),
        only_in_one=tuple(sorted(set(a.spikes) ^ set(b.spikes))),
        cores=_cores(a, b),
    )


def threshold_failures(
    comparison: Comparison, max_diff: float | None = None, min_r2: float | None = None
) -> list[str]:
    """Why agreement is worse than the thresholds (empty list: it is not).

    Args:
        max_diff: largest acceptable ``max_abs_difference`` (data units).
        min_r2: smallest acceptable ``r2_b_vs_a.mean`` (a NaN R² fails).
    """
    failures = []
    if max_diff is not None and not comparison.max_abs_difference <= max_diff:
        failures.append(
            f"max abs difference of the decoded outputs {comparison.max_abs_difference:.6g} "
            f"> --max-diff {max_diff:g}"
        )
    if min_r2 is not None and not comparison.r2_b_vs_a.mean >= min_r2:
        failures.append(f"R2 of B vs A {comparison.r2_b_vs_a.mean:.6g} < --min-r2 {min_r2:g}")
    return failures
