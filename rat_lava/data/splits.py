"""Chronological train/validation/test splits and overlapping training windows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rat_lava.constants import WINDOW_STEPS, WINDOW_STRIDE
from rat_lava.data.session import Session
from rat_lava.errors import DataError

DEFAULT_FRACTIONS = (0.7, 0.1, 0.2)
"""Train, validation and test shares of a session, in time order."""


@dataclass(frozen=True)
class Split:
    """Three contiguous, non-overlapping parts of one session, in time order."""

    train: Session
    val: Session
    test: Session


def chronological_split(session: Session, fractions: Sequence[float] = DEFAULT_FRACTIONS) -> Split:
    """Cut ``session`` into train, val, test of ``fractions`` of its steps, in this order.

    Boundaries are rounded to whole steps: train is steps ``[0, a)``, val ``[a, b)``, test
    ``[b, T)`` with ``a = round(f_train * T)`` and ``b = round((f_train + f_val) * T)``. A
    session whose protocol fixes its split (``session.split_at = (a, b)``, e.g. NeuroBench's
    split by reach) is cut there instead.
    """
    if session.split_at is not None:
        a, b = session.split_at
        return Split(session.slice(0, a), session.slice(a, b), session.slice(b, session.n_steps))
    values = tuple(float(f) for f in fractions)
    if len(values) != 3 or not all(np.isfinite(f) and f > 0 for f in values):
        raise DataError(f"split fractions must be three positive numbers, got {fractions}")
    if abs(sum(values) - 1.0) > 1e-6:
        raise DataError(f"split fractions must sum to 1, got {fractions} (sum {sum(values)})")
    n = session.n_steps
    a = round(values[0] * n)
    b = round((values[0] + values[1]) * n)
    if not 0 < a < b < n:
        raise DataError(
            f"{session.source}: {n} steps are too few to split into train/val/test {fractions}"
        )
    return Split(session.slice(0, a), session.slice(a, b), session.slice(b, n))


def training_windows(
    session: Session, length: int = WINDOW_STEPS, stride: int = WINDOW_STRIDE
) -> tuple[np.ndarray, np.ndarray]:
    """Overlapping windows of ``length`` steps starting every ``stride`` steps.

    Windows start at steps 0, stride, 2*stride, ... while they fit; a tail shorter than a
    window is left out. Pass only the train part of a Split, so nothing leaks into val/test.

    Returns:
        spikes (N, length, C) int32 and velocity (N, length, 2) float32, N >= 1.
    """
    if length < 1 or stride < 1:
        raise DataError(f"window length and stride must be >= 1 step, got {length}, {stride}")
    if session.n_steps < length:
        raise DataError(
            f"{session.source}: {session.condition} has {session.n_steps} steps, fewer than "
            f"one training window of {length} steps ({length * session.dt:g} s)"
        )
    starts = np.arange(0, session.n_steps - length + 1, stride)
    index = starts[:, None] + np.arange(length)[None, :]
    return session.spikes[index], session.velocity[index]
