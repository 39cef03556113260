"""Test helper: write small files in the exact MATLAB v7.3 layout of Zenodo record 583331.

Layout (as h5py shows a file MATLAB saved with ``save -v7.3``): a 512-byte userblock that
starts with the MATLAB 7.3 text header; every MATLAB variable is a dataset with a
``MATLAB_class`` attribute and its dimensions reversed; cell arrays are datasets of object
references into the ``#refs#`` group; an empty matrix is a uint64 dims vector with the
attribute ``MATLAB_empty``; char arrays are uint16 code points with ``MATLAB_int_decode`` 2.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import h5py
import numpy as np

USERBLOCK = 512


def matlab_header() -> bytes:
    """The 128-byte MAT-file header MATLAB writes at the start of a v7.3 file (zero-padded)."""
    text = b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Wed Jun 22 12:00:00 2016 "
    text += b"HDF5 schema 1.00 ."
    header = text.ljust(116, b" ") + b"\x00" * 8 + b"\x00\x02" + b"IM"
    return header.ljust(USERBLOCK, b"\x00")


def _set_class(obj: h5py.HLObject, matlab_class: str) -> None:
    obj.attrs.create("MATLAB_class", np.bytes_(matlab_class))


def _matrix(parent: h5py.Group, name: str, rows_by_cols: np.ndarray) -> h5py.Dataset:
    """A MATLAB double matrix (rows x cols), stored transposed as MATLAB does."""
    data = np.asarray(rows_by_cols, dtype=np.float64)
    data = data.reshape(-1, 1) if data.ndim == 1 else data
    dataset = parent.create_dataset(name, data=data.T)
    _set_class(dataset, "double")
    return dataset


def _empty(refs: h5py.Group, name: str) -> h5py.Dataset:
    dataset = refs.create_dataset(name, data=np.zeros(2, dtype=np.uint64))
    _set_class(dataset, "double")
    dataset.attrs.create("MATLAB_empty", np.uint8(1))
    return dataset


def _char(refs: h5py.Group, name: str, text: str) -> h5py.Dataset:
    codes = np.array([[ord(c) for c in text]], dtype=np.uint16)
    dataset = refs.create_dataset(name, data=codes.T)
    _set_class(dataset, "char")
    dataset.attrs.create("MATLAB_int_decode", np.int32(2))
    return dataset


def _cell(parent: h5py.Group, name: str, targets: list[list[h5py.Dataset]]) -> h5py.Dataset:
    """A MATLAB cell (rows x cols) of references to ``targets[row][col]``, stored transposed."""
    rows, cols = len(targets), len(targets[0])
    refs = np.empty((cols, rows), dtype=h5py.ref_dtype)
    for r in range(rows):
        for c in range(cols):
            refs[c, r] = targets[r][c].ref
    dataset = parent.create_dataset(name, data=refs)
    _set_class(dataset, "cell")
    return dataset


def write_zenodo_mat(
    path: Path,
    t: np.ndarray,
    cursor_pos: np.ndarray,
    spikes: Sequence[Sequence[np.ndarray | None]],
    chan_names: Sequence[str] | None = None,
    target_pos: np.ndarray | None = None,
) -> Path:
    """Write a Zenodo-layout ``.mat``.

    Args:
        t: (T,) sample times in seconds.
        cursor_pos: (T, 2) cursor position in mm (MATLAB orientation).
        spikes: channels x units spike-time vectors (seconds); None writes a MATLAB empty cell.
        chan_names: one name per channel (default "elec1", ...).
        target_pos: (T, 2) target position in mm (default all zeros: one reach).
    """
    n_channels = len(spikes)
    names = chan_names or [f"elec{c + 1}" for c in range(n_channels)]
    t = np.asarray(t, dtype=np.float64)
    with h5py.File(path, "w", userblock_size=USERBLOCK) as handle:
        refs = handle.create_group("#refs#")
        empty = _empty(refs, "a")
        cells = [
            [
                empty if times is None else _matrix(refs, f"c{c}u{u}", times)
                for u, times in enumerate(channel)
            ]
            for c, channel in enumerate(spikes)
        ]
        _cell(handle, "spikes", cells)
        _cell(handle, "chan_names", [[_char(refs, f"n{c}", n)] for c, n in enumerate(names)])
        _matrix(handle, "t", t)
        _matrix(handle, "cursor_pos", cursor_pos)
        _matrix(handle, "finger_pos", np.column_stack([cursor_pos, np.zeros(len(t))]))
        _matrix(handle, "target_pos", np.zeros((len(t), 2)) if target_pos is None else target_pos)
    with open(path, "r+b") as raw:
        raw.write(matlab_header())
    return path
