"""The `.npz` interchange format of a Session.

Keys: ``spikes`` (T, C) non-negative integer counts per bin, ``velocity`` (T, 2) float
(e.g. mm/s), ``dt`` scalar bin width in seconds, and optional 0-d string arrays ``subject``,
``session``, ``task``. Other members are ignored unread. Files are read without pickle
(object arrays are refused), and only after the shapes declared in the members' ``.npy``
headers add up to at most ``MAX_ARRAY_BYTES``.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from rat_lava.data.session import Session, check_array_size
from rat_lava.errors import DataError
from rat_lava.io_utils import ZIP_READ_ERRORS, atomic_path

REQUIRED_KEYS = ("spikes", "velocity", "dt")
ID_KEYS = ("subject", "session", "task")


def load_npz(path: str | os.PathLike) -> Session:
    """Read a Session from an interchange ``.npz``; DataError names the file and the problem."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    try:
        # our own handle: np.load leaks the one it opens when a zip turns out corrupt
        with open(path, "rb") as handle:
            if handle.read(len(np.lib.format.MAGIC_PREFIX)) == np.lib.format.MAGIC_PREFIX:
                raise DataError(f"{path}: not an .npz archive (a single .npy array?)")
            handle.seek(0)
            with np.load(handle, allow_pickle=False) as archive:
                arrays = _read_arrays(archive, path)
    except ZIP_READ_ERRORS as exc:
        raise DataError(
            f"{path}: not a readable .npz archive (truncated, corrupt or another format: {exc})"
        ) from None
    missing = [key for key in REQUIRED_KEYS if key not in arrays]
    if missing:
        raise DataError(
            f"{path}: missing array(s) {', '.join(missing)}; an .npz needs "
            "spikes (T x C), velocity (T x 2) and dt (seconds)"
        )
    dt = arrays["dt"]
    if dt.size != 1 or dt.dtype.kind not in "iuf":
        raise DataError(f"{path}: dt must be one number (seconds), got {dt.dtype} shape {dt.shape}")
    return Session(
        arrays["spikes"],
        arrays["velocity"],
        float(dt.reshape(())),
        *(_text(arrays, key, path) for key in ID_KEYS),
        source=str(path),
    )


def save_npz(session: Session, path: str | os.PathLike) -> Path:
    """Write ``session`` to exactly ``path`` (no suffix added), atomically; returns the path."""
    path = Path(path)
    try:
        with atomic_path(path) as tmp, open(tmp, "wb") as handle:
            np.savez_compressed(
                handle,
                spikes=session.spikes,
                velocity=session.velocity,
                dt=np.float64(session.dt),
                subject=np.str_(session.subject),
                session=np.str_(session.session),
                task=np.str_(session.task),
            )
    except OSError as exc:
        raise DataError(f"{path}: cannot write ({exc.strerror or exc})") from None
    return path


def _read_arrays(archive: np.lib.npyio.NpzFile, path: Path) -> dict[str, np.ndarray]:
    """The members named in REQUIRED_KEYS and ID_KEYS, read after checking their declared sizes."""
    keys = [key for key in (*REQUIRED_KEYS, *ID_KEYS) if key in archive.files]
    declared = sum(_declared_bytes(archive, key, path) for key in keys)
    check_array_size(str(path), "its arrays", declared)
    return {key: archive[key] for key in keys}


def _declared_bytes(archive: np.lib.npyio.NpzFile, key: str, path: Path) -> int:
    """Bytes of member ``key`` as its .npy header declares them; only the header is read.

    Raises ValueError for a member that is not a .npy array, DataError for an object array.
    """
    name = key if key in archive.zip.namelist() else f"{key}.npy"
    with archive.zip.open(name) as member:
        version = np.lib.format.read_magic(member)
        # version 3.0 differs from 2.0 only in the text encoding of field names
        read_header = (
            np.lib.format.read_array_header_1_0
            if version == (1, 0)
            else np.lib.format.read_array_header_2_0
        )
        shape, _, dtype = read_header(member)
    if dtype.hasobject:
        raise DataError(
            f"{path}: '{key}' is an object array; only plain numeric and string arrays "
            "are accepted (files are read without pickle)"
        )
    return math.prod(shape) * dtype.itemsize


def _text(arrays: dict[str, np.ndarray], key: str, path: Path) -> str:
    if key not in arrays:
        return "unknown"
    value = arrays[key]
    if value.ndim != 0 or value.dtype.kind not in "US":
        raise DataError(f"{path}: '{key}' must be a single string, got {value.dtype} {value.shape}")
    text = value.item()
    return text.decode(errors="replace") if isinstance(text, bytes) else str(text)
