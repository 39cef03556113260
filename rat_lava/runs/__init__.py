"""Runs: decode data with an export in Lava (``run``), the run file, and comparisons of runs."""
