"""Comparison of two runs of the same data (e.g. sim-fixed vs loihi2): agreement of the decoded
outputs, spikes per layer and per-core activity, energy and time side by side, as a Markdown
report with PNG plots (``rat-lava compare``)."""

from rat_lava.runs.compare.agreement import (
    CompareError,
    Comparison,
    compare_runs,
    threshold_failures,
)
from rat_lava.runs.compare.command import CompareOutcome, compare_files
from rat_lava.runs.compare.plots import save_plots
from rat_lava.runs.compare.report import render_markdown

__all__ = [
    "CompareError",
    "CompareOutcome",
    "Comparison",
    "compare_files",
    "compare_runs",
    "render_markdown",
    "save_plots",
    "threshold_failures",
]
