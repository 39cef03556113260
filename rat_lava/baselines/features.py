"""Causal history features of binned spike counts, shared by the linear baselines."""

from __future__ import annotations

import numpy as np


def causal_chunk_sums(spikes: np.ndarray, chunk: int, n_chunks: int) -> np.ndarray:
    """Counts summed over ``n_chunks`` consecutive past chunks of ``chunk`` bins each.

    Feature k at step t sums bins (t - (k + 1) * chunk, t - k * chunk]; bins before the start
    count as zero, so step t never sees a bin after t.

    Args:
        spikes: (T, C) counts.
        chunk: bins per chunk (>= 1); n_chunks: number of chunks (>= 1).

    Returns:
        (T, n_chunks * C) float64 features, chunk-major.
    """
    t_steps = spikes.shape[0]
    cumulative = np.vstack([np.zeros((1, spikes.shape[1])), np.cumsum(spikes, axis=0)])
    ends = np.arange(1, t_steps + 1)
    blocks = []
    for k in range(n_chunks):
        hi = np.clip(ends - k * chunk, 0, t_steps)
        lo = np.clip(ends - (k + 1) * chunk, 0, t_steps)
        blocks.append(cumulative[hi] - cumulative[lo])
    return np.hstack(blocks)


def check_channels(fitted: int, session_channels: int, source: str) -> None:
    """Raise DataError when a session's channel count differs from the fitted one."""
    from rat_lava.errors import DataError

    if fitted != session_channels:
        raise DataError(
            f"{source}: model was trained on {fitted} channels, data has {session_channels}"
        )
