"""Single source of truth for the project's physical and fixed-point constants."""

DEFAULT_DT = 0.004
"""Bin width in seconds (NeuroBench primate-reaching convention: 4 ms)."""

WINDOW_STEPS = 500
"""Training window length in steps (2 s at 4 ms)."""

WINDOW_STRIDE = 250
"""Stride between overlapping training windows, in steps."""
