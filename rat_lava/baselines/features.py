"""Causal count-history features of the linear baselines, and the check that a session fits them.

Durations are given in seconds and converted to bins with the session's ``dt``, so a decoder
configured once works on 4 ms (NeuroBench) and on 50 ms bins alike.
"""

from __future__ import annotations

import math

import numpy as np

from rat_lava.data.session import Session
from rat_lava.errors import DataError


def to_bins(seconds: float, dt: float) -> int:
    """A duration in seconds as a whole number of bins of ``dt`` seconds, at least 1."""
    return max(1, round(seconds / dt))


def lag_windows(spikes: np.ndarray, width: int, n_lags: int) -> np.ndarray:
    """Spike counts summed over ``n_lags`` consecutive past windows of ``width`` bins.

    Lag k at step t sums bins ``(t - (k + 1) * width, t - k * width]``; bins before the start
    count as zero, so step t never sees a bin after t.

    Args:
        spikes: (T, C) counts.
        width: bins per window (>= 1).
        n_lags: number of windows (>= 1).

    Returns:
        (T, n_lags, C) float64 counts per window.
    """
    n_steps, n_channels = spikes.shape
    cumulative = np.zeros((n_steps + 1, n_channels))
    np.cumsum(spikes, axis=0, out=cumulative[1:])
    ends = np.arange(1, n_steps + 1)
    windows = np.empty((n_steps, n_lags, n_channels))
    for k in range(n_lags):
        np.subtract(
            cumulative[np.clip(ends - k * width, 0, None)],
            cumulative[np.clip(ends - (k + 1) * width, 0, None)],
            out=windows[:, k],
        )
    return windows


def check_session(session: Session, n_channels: int, dt: float) -> None:
    """Raise DataError unless ``session`` has the channel count and bin width a model fits.

    Args:
        n_channels: channels the model was fitted on.
        dt: bin width (s) the model was fitted on.
    """
    if session.n_channels != n_channels:
        raise DataError(
            f"{session.source}: model was trained on {n_channels} channels, "
            f"data has {session.n_channels}"
        )
    if not math.isclose(session.dt, dt, rel_tol=1e-6):
        raise DataError(
            f"{session.source}: model was trained on {dt * 1e3:g} ms bins, "
            f"data has {session.dt * 1e3:g} ms bins"
        )
