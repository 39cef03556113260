"""`Session`: one continuous recording of binned spike counts and 2-D velocity."""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from rat_lava.errors import DataError

MAX_ARRAY_BYTES = 2**31
"""Most bytes (2 GiB) of the arrays a loader reads from one data file, and of those it bins.

Loaders compare it with the sizes a file declares before reading its data, so that a hostile
or corrupt file cannot exhaust memory. Real recordings stay well below: one hour of 4 ms bins
on 192 channels is 1.4 GB as int64 counts.
"""


def check_array_size(where: str, what: str, n_bytes: float) -> None:
    """Raise DataError if ``what`` in ``where`` would take more than MAX_ARRAY_BYTES bytes."""
    if n_bytes > MAX_ARRAY_BYTES:
        raise DataError(
            f"{where}: {what} would take {n_bytes / 2**30:.3g} GiB, more than the limit of "
            f"{MAX_ARRAY_BYTES / 2**30:g} GiB (corrupt, or not a recording?)"
        )


def is_bin_width(dt: object) -> bool:
    """True if ``dt`` is a usable bin width: a finite, positive real number (seconds)."""
    return (
        isinstance(dt, numbers.Real) and not isinstance(dt, bool) and math.isfinite(dt) and dt > 0
    )


@dataclass(frozen=True)
class Session:
    """Binned spikes and kinematics of one recording.

    Attributes:
        spikes: (T, C) int32 spike counts per bin and channel, non-negative.
        velocity: (T, 2) float32 velocity (vx, vy) per bin, in the data's units (e.g. mm/s).
        dt: bin width in seconds.
        subject, session, task: identifiers of the recording condition.
        source: where the data came from (file path or generator spec), used in error messages.
        split_at: the (train end, validation end) steps of a split that the data's protocol
            fixes (NeuroBench's split by reach), or None for the default chronological split.
    """

    spikes: np.ndarray
    velocity: np.ndarray
    dt: float
    subject: str = "unknown"
    session: str = "unknown"
    task: str = "unknown"
    source: str = "<memory>"
    split_at: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        spikes = np.asarray(self.spikes)
        velocity = np.asarray(self.velocity)
        where = self.source
        if spikes.ndim != 2:
            raise DataError(
                f"{where}: spikes must be a 2-D array (T x C), got shape {spikes.shape}"
            )
        if velocity.ndim != 2 or velocity.shape[1] != 2:
            raise DataError(f"{where}: velocity must have shape (T x 2), got {velocity.shape}")
        if spikes.shape[0] != velocity.shape[0]:
            raise DataError(
                f"{where}: velocity has {velocity.shape[0]} steps but spikes have {spikes.shape[0]}"
            )
        if spikes.shape[0] == 0 or spikes.shape[1] == 0:
            raise DataError(f"{where}: spikes are empty (shape {spikes.shape})")
        if spikes.dtype.kind not in "iuf":
            raise DataError(f"{where}: spikes must be numeric counts, got dtype {spikes.dtype}")
        if spikes.dtype.kind == "f":
            if not np.all(np.isfinite(spikes)):
                raise DataError(f"{where}: spikes contain NaN or infinite values")
            if not np.all(spikes == np.round(spikes)):
                raise DataError(f"{where}: spike counts must be whole numbers")
        if spikes.min() < 0:
            raise DataError(f"{where}: spike counts must be non-negative (found {spikes.min()})")
        if spikes.max() > np.iinfo(np.int32).max:
            raise DataError(f"{where}: spike counts are implausibly large ({spikes.max()})")
        if velocity.dtype.kind not in "iuf" or not np.all(np.isfinite(velocity)):
            raise DataError(f"{where}: velocity must be finite real numbers")
        peak = np.abs(velocity).max()
        if peak > np.finfo(np.float32).max:
            raise DataError(f"{where}: velocity exceeds the float32 range (|v| up to {peak})")
        if not is_bin_width(self.dt):
            raise DataError(f"{where}: dt must be a positive number of seconds, got {self.dt}")
        if self.split_at is not None:
            a, b = self.split_at
            if not 0 < a < b < spikes.shape[0]:
                raise DataError(
                    f"{where}: the protocol's split (train to step {a}, validation to {b}) "
                    f"leaves a part empty in {spikes.shape[0]} steps"
                )
            object.__setattr__(self, "split_at", (int(a), int(b)))
        object.__setattr__(self, "spikes", spikes.astype(np.int32, copy=False))
        object.__setattr__(self, "velocity", velocity.astype(np.float32, copy=False))
        object.__setattr__(self, "dt", float(self.dt))

    @property
    def n_steps(self) -> int:
        """Number of time bins T."""
        return int(self.spikes.shape[0])

    @property
    def n_channels(self) -> int:
        """Number of input channels C."""
        return int(self.spikes.shape[1])

    @property
    def condition(self) -> str:
        """Condition id used to select a BatchNorm set: ``subject/session``."""
        return f"{self.subject}/{self.session}"

    def slice(self, start: int, stop: int) -> Session:
        """Steps ``[start, stop)`` of this session as a new Session with the same ids."""
        return Session(
            self.spikes[start:stop],
            self.velocity[start:stop],
            self.dt,
            self.subject,
            self.session,
            self.task,
            self.source,
        )


def pad_channels(session: Session, n_channels: int) -> Session:
    """``session`` with zero channels appended up to ``n_channels``."""
    if session.n_channels > n_channels:
        raise DataError(
            f"{session.source}: session {session.condition} has {session.n_channels} channels, "
            f"more than the model's {n_channels}"
        )
    if session.n_channels == n_channels:
        return session
    extra = np.zeros((session.n_steps, n_channels - session.n_channels), np.int32)
    return Session(
        np.hstack([session.spikes, extra]),
        session.velocity,
        session.dt,
        session.subject,
        session.session,
        session.task,
        session.source,
    )
