"""Load one Zenodo record 583331 session (O'Doherty/Sabes reaching, MATLAB v7.3) as a Session.

The files (``indy_*.mat``, ``loco_*.mat``) are HDF5 with MATLAB's layout. h5py shows MATLAB
arrays transposed: ``t`` (T_k samples x 1) appears as (1, T_k), ``cursor_pos`` (T_k x 2) as
(2, T_k), and the ``spikes`` cell array (channels x units) as (units, channels) of object
references into ``#refs#``, each pointing at a vector of spike times in seconds or at a MATLAB
empty array (a uint64 dims vector with the attribute ``MATLAB_empty``).

Binning: bin k covers ``[t[0] + k*dt, t[0] + (k+1)*dt)`` seconds (a spike exactly on an edge
belongs to the later bin); there are ``floor((t[-1] - t[0]) / dt)`` bins, spikes outside them
are dropped.

Velocity: cursor position (mm, columns x and y of ``cursor_pos``) is linearly interpolated at
the bin edges; ``velocity[k] = (pos(edge[k+1]) - pos(edge[k])) / dt`` in mm/s, the mean
velocity over the same interval as the spike counts of bin k. ``finger_pos`` is not used;
``target_pos`` only by the NeuroBench protocol (``rat_lava.data.neurobench``), to find reaches.

Limits (files may come from anywhere): the ``spikes`` cell array may have at most
``MAX_CELLS`` cells; the values read (``t``, ``cursor_pos``, all spike times) and the binned
arrays built from them may take at most ``MAX_ARRAY_BYTES`` each. Both limits are checked
against the shapes the file declares, before its data are read.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from rat_lava import io_utils
from rat_lava.constants import DEFAULT_DT
from rat_lava.data.session import Session, check_array_size, is_bin_width
from rat_lava.errors import DataError
from rat_lava.io_utils import read_untrusted

TASK = "random-target"
"""Task of every session of the record (Indy and Loco reach to random targets)."""

_REQUIRED = ("t", "cursor_pos", "spikes")

MAX_CELLS = 2**14
"""Most cells (channels x units) of the ``spikes`` cell array; the record has at most 192 x 5.

Every cell costs an object dereference (about 0.1 ms), so this bounds the loading time.
"""


@dataclass(frozen=True)
class Recording:
    """The arrays of one Zenodo 583331 file as read, before binning.

    Attributes:
        t: (T_k,) sample times in seconds, increasing.
        cursor: (T_k, 2) cursor position x, y (mm) at ``t``.
        units: spike times (seconds) per channel, then per unit (None for an empty cell).
        target: (T_k, 2) target position (mm) at ``t``, or None when the file has none.
    """

    t: np.ndarray
    cursor: np.ndarray
    units: list[list[np.ndarray | None]]
    target: np.ndarray | None


def read_recording(path: str | os.PathLike) -> Recording:
    """Read and check the arrays of a Zenodo 583331 ``.mat`` file (no binning).

    Raises:
        DataError: naming the file and the problem, for any missing, unreadable or
            inconsistent file.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    try:
        if not h5py.is_hdf5(path):
            raise DataError(
                f"{path}: not a MATLAB v7.3 (HDF5) file; save it with `save(..., '-v7.3')` "
                "or use the original Zenodo 583331 file"
            )
        # real sessions are hundreds of MB: one more second of limit per MiB
        limit = io_utils.READ_SECONDS + path.stat().st_size / 2**20
        return read_untrusted(_read_file, path, what=str(path), error=DataError, timeout_s=limit)
    except (OSError, KeyError, RuntimeError, TypeError, ValueError) as exc:
        problem = "file is truncated" if "truncated" in str(exc) else "file is unreadable"
        raise DataError(f"{path}: {problem} ({exc})") from None


def load_zenodo_mat(
    path: str | os.PathLike, dt: float = DEFAULT_DT, merge_units: bool = True
) -> Session:
    """Read a Zenodo 583331 ``.mat`` file into a Session binned at ``dt`` seconds.

    Args:
        path: an ``indy_YYYYMMDD_NN.mat`` / ``loco_YYYYMMDD_NN.mat`` file (MATLAB v7.3).
        dt: bin width in seconds.
        merge_units: True gives one column per recording channel (all units of the channel
            summed); False gives one column per non-empty unit (a cell with at least one spike
            time), ordered by channel, then by unit index within the channel (MATLAB column
            order: unit 0 is the unsorted one).

    Returns:
        Session with spikes (T, C) counts per bin and velocity (T, 2) in mm/s; subject and
        session from the file name (``indy_20160622_01`` -> "indy", "20160622_01"), task
        "random-target".

    Raises:
        DataError: naming the file and the problem, for any missing, unreadable or
            inconsistent file.
    """
    path = Path(path)
    if not is_bin_width(dt):
        raise DataError(f"{path}: bin width dt must be a positive number of seconds, got {dt}")
    recording = read_recording(path)
    t, cursor, units = recording.t, recording.cursor, recording.units
    if merge_units:
        columns = [
            np.concatenate([np.empty(0), *(x for x in channel if x is not None)])
            for channel in units
        ]
    else:
        columns = [x for channel in units for x in channel if x is not None]
        if not columns:
            raise DataError(f"{path}: 'spikes' holds no spike times at all")
    edges, velocity = _velocity(t, cursor, dt, len(columns), path)
    subject, _, session = path.stem.partition("_")
    return Session(
        np.stack([_count(times, edges) for times in columns], axis=1),
        velocity,
        dt,
        subject,
        session or "unknown",
        TASK,
        source=str(path),
    )


def _read_file(path: Path) -> Recording:
    with h5py.File(path, "r") as handle:
        return _read(handle, path)


def _read(handle: h5py.File, path: Path) -> Recording:
    """The file's Recording; data are read only after the declared sizes passed MAX_CELLS and
    MAX_ARRAY_BYTES."""
    for name in _REQUIRED:
        if name not in handle or not isinstance(handle[name], h5py.Dataset):
            raise DataError(f"{path}: dataset '{name}' is missing (not a Zenodo 583331 file?)")
    n_cells = handle["spikes"].size or 0
    if n_cells > MAX_CELLS:
        raise DataError(
            f"{path}: 'spikes' declares {n_cells} cells (channels x units), more than the "
            f"limit of {MAX_CELLS}"
        )
    refs = np.asarray(handle["spikes"][()])
    if refs.dtype != object or refs.ndim != 2 or 0 in refs.shape:
        raise DataError(
            f"{path}: 'spikes' must be a MATLAB cell array of references (units x channels), "
            f"got dtype {refs.dtype} shape {refs.shape}"
        )
    cells = [
        [
            _cell(handle, refs[unit, channel], _where(path, channel, unit))
            for unit in range(refs.shape[0])
        ]
        for channel in range(refs.shape[1])
    ]
    declared = [handle["t"], handle["cursor_pos"], *(x for c in cells for x in c if x is not None)]
    if isinstance(handle.get("target_pos"), h5py.Dataset):
        declared.append(handle["target_pos"])
    check_array_size(
        str(path),
        "'t', 'cursor_pos', 'target_pos' and the spike times",
        sum(map(_declared_bytes, declared)),
    )
    t, cursor = _real(handle["t"][()]), _real(handle["cursor_pos"][()])
    if t is None or cursor is None:
        raise DataError(f"{path}: 't' and 'cursor_pos' must be arrays of real numbers")
    if t.ndim != 2 or 1 not in t.shape:
        raise DataError(f"{path}: 't' must be a vector, got shape {t.shape}")
    t = t.reshape(-1)
    if cursor.ndim != 2 or cursor.shape[0] < 2 or cursor.shape[1] != t.size:
        raise DataError(
            f"{path}: 'cursor_pos' must have shape (2, {t.size}) as stored by MATLAB "
            f"(T x 2 transposed), got {cursor.shape}"
        )
    target = None
    if isinstance(handle.get("target_pos"), h5py.Dataset):
        target = _real(handle["target_pos"][()])
        if target is None or target.ndim != 2 or target.shape[0] < 2 or target.shape[1] != t.size:
            raise DataError(
                f"{path}: 'target_pos' must be real numbers of shape (2, {t.size}) as stored by "
                f"MATLAB (T x 2 transposed), got {None if target is None else target.shape}"
            )
        target = target[:2].T
    names = handle.get("chan_names")
    if isinstance(names, h5py.Dataset):
        n_names = names.size
        if n_names != refs.shape[1]:
            raise DataError(
                f"{path}: 'spikes' has {refs.shape[1]} channels but 'chan_names' has {n_names}"
            )
    units = [
        [_spike_times(cell, _where(path, channel, unit)) for unit, cell in enumerate(channel_cells)]
        for channel, channel_cells in enumerate(cells)
    ]
    return Recording(t, cursor[:2].T, units, target)


def _real(data: object) -> np.ndarray | None:
    """``data`` as float64, or None if it is not an array of real numbers.

    Booleans, complex numbers (h5py's compound of r and i), text, other compound types and a
    null dataspace (h5py.Empty) all give None.
    """
    array = np.asarray(data)
    return array.astype(np.float64) if array.dtype.kind in "iuf" else None


def _where(path: Path, channel: int, unit: int) -> str:
    """How error messages name one cell of ``spikes`` (1-based, as in MATLAB)."""
    return f"{path}: spikes cell (channel {channel + 1}, unit {unit + 1})"


def _declared_bytes(dataset: h5py.Dataset) -> int:
    """Bytes that reading ``dataset`` into float64 takes, from its declared shape and type."""
    return (dataset.size or 0) * max(dataset.dtype.itemsize, 8)


def _cell(handle: h5py.File, ref: object, where: str) -> h5py.Dataset | None:
    """The dataset one cell references, or None for a MATLAB empty cell; reads no data."""
    if not isinstance(ref, h5py.Reference) or not ref:
        raise DataError(f"{where} is not a valid object reference")
    try:
        target = handle[ref]
    except (KeyError, ValueError):
        raise DataError(f"{where} is a dangling reference") from None
    if not isinstance(target, h5py.Dataset):
        raise DataError(f"{where} does not point at a dataset")
    empty = target.attrs.get("MATLAB_empty", 0)
    if np.ndim(empty) != 0:
        raise DataError(f"{where} points at a dataset whose MATLAB_empty is not a scalar")
    return None if empty else target


def _spike_times(cell: h5py.Dataset | None, where: str) -> np.ndarray | None:
    """Spike times (seconds) of one cell, or None for an empty cell."""
    if cell is None:
        return None
    times = _real(cell[()])
    if times is None:
        raise DataError(f"{where} does not hold numeric spike times")
    times = times.reshape(-1)
    if not np.all(np.isfinite(times)):
        raise DataError(f"{where} holds NaN or infinite spike times")
    return times if times.size else None


def _velocity(
    t: np.ndarray, cursor: np.ndarray, dt: float, n_columns: int, path: Path
) -> tuple[np.ndarray, np.ndarray]:
    """Bin edges (T+1,) s and mean velocity per bin (T, 2) mm/s from positions at ``t``.

    Refuses a bin count whose arrays (``n_columns`` spike counts and the velocity per bin,
    at most 8 bytes per value) would exceed MAX_ARRAY_BYTES.
    """
    if t.size < 2 or not np.all(np.isfinite(t)) or not np.all(np.diff(t) > 0):
        raise DataError(f"{path}: 't' must hold at least 2 finite, increasing times")
    if not np.all(np.isfinite(cursor)):
        raise DataError(f"{path}: 'cursor_pos' contains NaN or infinite values")
    span = float(t[-1]) - float(t[0])
    bins = span / float(dt) + 1e-9  # Python floats: inf, not an error, when out of range
    if bins < 1:
        raise DataError(f"{path}: recording ({span:.3f} s) is shorter than one bin")
    check_array_size(
        str(path), f"{bins:.0f} bins of {n_columns} spike counts", bins * (n_columns + 2) * 8
    )
    n_bins = math.floor(bins)
    edges = t[0] + dt * np.arange(n_bins + 1)
    position = np.stack([np.interp(edges, t, cursor[:, k]) for k in range(2)], axis=1)
    # positions far apart may overflow to inf velocity: Session refuses it with the file name
    with np.errstate(over="ignore", invalid="ignore"):
        return edges, np.diff(position, axis=0) / dt


def _count(times: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts (T,) int32 of spike times (seconds) in bins ``[edges[k], edges[k+1])``."""
    n_bins = edges.size - 1
    index = np.searchsorted(edges, times, side="right") - 1
    index = index[(index >= 0) & (index < n_bins)]
    return np.bincount(index, minlength=n_bins).astype(np.int32)
