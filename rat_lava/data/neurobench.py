"""NeuroBench's primate-reaching protocol on a Zenodo 583331 session (``--protocol neurobench``).

What ``neurobench.datasets.PrimateReaching`` (neurobench 2.3.0) computes with the settings of
the published baselines (``num_steps=1, train_ratio=0.5, bin_width=0.004, biological_delay=0,
remove_segments_inactive=False``), from the project's own reader of the file:

- Inputs: 4 ms bins with edges ``e = arange(t[0] - 4 ms, t[-1], 4 ms)``; a channel is 1 in a
  bin where any of its units (the unsorted one included) fired, else 0. Row ``j >= 1`` of the
  inputs is the bin ``[e[j-1], e[j])`` (the last bin also takes a spike exactly on its right
  edge), row 0 is empty: the row of sample ``j`` ends one sample before ``t[j]``.
- Labels: the gradient of ``cursor_pos`` (float32) along time, as ``torch.gradient``: central
  differences, one-sided at both ends; units mm per 4 ms sample, not causal (sample ``j`` uses
  the position at ``t[j + 1]``).
- Split by reach: a reach runs from one change of ``target_pos`` to the next (the first from
  sample 0, the last to the end); of ``n`` reaches, the first ``floor(n / 2)`` train, the next
  ``floor((n - n_train) / 2)`` validate, the rest test. The parts are contiguous, so the
  Session carries them as ``split_at`` and every command cuts it there.
- R²: 1 - SS_res / SS_tot per dimension over the test part, the mean of x and y
  (``rat_lava.metrics.r2_score`` computes exactly this).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from rat_lava.data.session import Session, check_array_size
from rat_lava.data.zenodo import TASK, read_recording
from rat_lava.errors import DataError

SAMPLE_S = 0.004
"""NeuroBench's sample and bin width (s): the record's 250 Hz kinematics."""

TRAIN_RATIO = 0.5
"""Share of the reaches that trains (the rest is halved into validation and test)."""


@dataclass(frozen=True)
class PrimateReachingArrays:
    """One session as NeuroBench's ``PrimateReaching`` holds it (transposed to time first).

    Attributes:
        inputs: (T_in, C) int8, 0/1 per 4 ms bin and channel; T_in is T or T + 1 (edges from
            a floating-point ``arange``); only rows below T are ever sampled.
        labels: (T, 2) float32 cursor velocity, mm per 4 ms sample.
        train, val, test: sample indices of each part, increasing.
    """

    inputs: np.ndarray
    labels: np.ndarray
    train: np.ndarray
    val: np.ndarray
    test: np.ndarray


def primate_reaching_arrays(path: str | os.PathLike) -> PrimateReachingArrays:
    """NeuroBench's inputs, labels and split of the Zenodo 583331 file ``path``.

    Raises:
        DataError: for a file the Zenodo reader refuses, one without ``target_pos``, or one
            too short for its time base.
    """
    path = Path(path)
    recording = read_recording(path)
    if recording.target is None:
        raise DataError(
            f"{path}: dataset 'target_pos' is missing; the NeuroBench protocol splits by reach "
            "(a change of target)"
        )
    t = recording.t
    if not np.all(np.diff(t) > 0):
        raise DataError(f"{path}: 't' must be increasing")
    edges = np.arange(t[0] - SAMPLE_S, t[-1], SAMPLE_S)
    n_channels = len(recording.units)
    check_array_size(
        str(path), f"{edges.size} bins of {n_channels} channels", edges.size * n_channels
    )
    if edges.size < t.size:
        raise DataError(
            f"{path}: 't' spans {t[-1] - t[0]:.3f} s in {t.size} samples; the NeuroBench "
            f"protocol needs one sample every {SAMPLE_S * 1e3:g} ms"
        )
    inputs = np.zeros((edges.size, n_channels), dtype=np.int8)
    for channel, units in enumerate(recording.units):
        for times in units:
            if times is not None:
                inputs[_bins_hit(times, edges) + 1, channel] = 1
    cursor = torch.from_numpy(recording.cursor.T.copy()).float()
    labels = torch.gradient(cursor, dim=1)[0].numpy().T.copy()
    train, val, test = _split_by_reach(recording.target)
    return PrimateReachingArrays(inputs, labels, train, val, test)


def load_neurobench_session(path: str | os.PathLike) -> Session:
    """The file under the NeuroBench protocol as one Session of 4 ms bins whose ``split_at``
    is NeuroBench's split (inputs 0/1, velocity = the labels, mm per 4 ms sample)."""
    path = Path(path)
    arrays = primate_reaching_arrays(path)
    if not (arrays.train.size and arrays.val.size and arrays.test.size):
        raise DataError(
            f"{path}: too few reaches for NeuroBench's split (train {arrays.train.size}, "
            f"validation {arrays.val.size}, test {arrays.test.size} samples)"
        )
    n = arrays.labels.shape[0]
    subject, _, session = path.stem.partition("_")
    return Session(
        arrays.inputs[:n],
        arrays.labels,
        SAMPLE_S,
        subject,
        session or "unknown",
        TASK,
        source=str(path),
        split_at=(int(arrays.val[0]), int(arrays.test[0])),
    )


def _bins_hit(times: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Indices of the bins ``[edges[k], edges[k+1])`` (the last one closed) holding a time."""
    index = np.searchsorted(edges, times, side="right") - 1
    index[times == edges[-1]] = edges.size - 2
    return np.unique(index[(index >= 0) & (index < edges.size - 1)])


def _split_by_reach(target: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sample indices of the train, validation and test reaches; ``target`` is (T, 2)."""
    n = target.shape[0]
    moved = np.abs(np.diff(target, axis=0, append=target[-1:])).sum(axis=1)
    bounds = np.concatenate([[0], np.flatnonzero(moved), [n]])
    reaches = list(zip(bounds[:-1], bounds[1:], strict=True))
    n_train = math.floor(TRAIN_RATIO * len(reaches))
    n_val = math.floor((len(reaches) - n_train) / 2)
    parts = (reaches[:n_train], reaches[n_train : n_train + n_val], reaches[n_train + n_val :])
    return tuple(  # type: ignore[return-value]
        np.concatenate([np.arange(a, b) for a, b in part] or [np.empty(0, np.int64)])
        for part in parts
    )
