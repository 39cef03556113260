"""What ``rat-lava compare A.h5 B.h5 [--out DIR]`` does: read, compare, write report and plots."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from rat_lava.io_utils import atomic_path
from rat_lava.runs.compare.agreement import Comparison, compare_runs, threshold_failures
from rat_lava.runs.compare.plots import save_plots
from rat_lava.runs.compare.report import number, render_markdown
from rat_lava.runs.runfile import read_run

REPORT_MD = "report.md"


@dataclass(frozen=True)
class CompareOutcome:
    """Result of ``compare_files``.

    Attributes:
        comparison: the numbers.
        markdown: the report text.
        written: files written into the output folder (report first), empty without one.
        failures: thresholds that agreement did not meet (empty: all met or none given).
    """

    comparison: Comparison
    markdown: str
    written: list[Path]
    failures: list[str]

    def summary(self) -> str:
        """A few lines with the main numbers, for the terminal."""
        c = self.comparison
        first = "none" if c.first_divergent_step is None else str(c.first_divergent_step)
        lines = [
            f"{c.steps} steps: max abs difference {number(c.max_abs_difference)}, first "
            f"divergent step {first}",
            f"R2 vs ground truth: A {number(c.r2_a.mean)}, B {number(c.r2_b.mean)}; "
            f"R2 B vs A {number(c.r2_b_vs_a.mean)}",
        ]
        lines += [f"wrote {path}" for path in self.written]
        return "\n".join(lines)


def compare_files(
    path_a: str | os.PathLike,
    path_b: str | os.PathLike,
    out_dir: str | os.PathLike | None = None,
    tolerance: float = 0.0,
    max_diff: float | None = None,
    min_r2: float | None = None,
) -> CompareOutcome:
    """Compare run file B against run file A; with ``out_dir`` write ``report.md`` and the plots
    there (``rat_lava.runs.compare.plots``). Thresholds as in ``threshold_failures``; ``tolerance``
    as in ``compare_runs``.

    Raises:
        RunFileError: a file is missing or not a run file.
        CompareError: the runs did not decode the same data.
    """
    names = (str(path_a), str(path_b))
    a, b = read_run(path_a), read_run(path_b)
    comparison = compare_runs(a, b, tolerance, names)
    failures = threshold_failures(comparison, max_diff, min_r2)
    checked = [f"--max-diff {max_diff:g}"] if max_diff is not None else []
    checked += [f"--min-r2 {min_r2:g}"] if min_r2 is not None else []
    written: list[Path] = []
    if out_dir is not None:
        labels = [f"{key} {run.meta.get('backend', '?')}" for key, run in (("A", a), ("B", b))]
        plots = save_plots([a, b], labels, out_dir)
        markdown = render_markdown(comparison, names, [p.name for p in plots], failures, checked)
        report = Path(out_dir) / REPORT_MD
        with atomic_path(report) as tmp:
            tmp.write_text(markdown, encoding="utf-8")
        written = [report, *plots]
    else:
        markdown = render_markdown(comparison, names, (), failures, checked)
    return CompareOutcome(comparison, markdown, written, failures)
