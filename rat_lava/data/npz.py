"""The `.npz` interchange format of a Session.

Keys: ``spikes`` (T, C) non-negative integer counts per bin, ``velocity`` (T, 2) float
(e.g. mm/s), ``dt`` scalar bin width in seconds, and optional 0-d string arrays ``subject``,
``session``, ``task``. Files are read with ``allow_pickle=False``: object arrays are refused.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np

from rat_lava.data.session import Session
from rat_lava.errors import DataError
from rat_lava.io_utils import atomic_path

REQUIRED_KEYS = ("spikes", "velocity", "dt")
ID_KEYS = ("subject", "session", "task")


def load_npz(path: str | os.PathLike) -> Session:
    """Read a Session from an interchange ``.npz``; DataError names the file and the problem."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    try:
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise DataError(f"{path}: not an .npz archive (a single .npy array?)")
        with archive:
            arrays = {key: _member(archive, key, path) for key in archive.files}
    except (OSError, EOFError, ValueError, zipfile.BadZipFile) as exc:
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
        raise DataError(f"{path}: dt must be one number (seconds), got shape {dt.shape}")
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


def _member(archive: np.lib.npyio.NpzFile, key: str, path: Path) -> np.ndarray:
    try:
        return archive[key]
    except ValueError as exc:
        if "allow_pickle" in str(exc):
            raise DataError(
                f"{path}: '{key}' is an object array; only plain numeric and string arrays "
                "are accepted (files are read without pickle)"
            ) from None
        raise


def _text(arrays: dict[str, np.ndarray], key: str, path: Path) -> str:
    if key not in arrays:
        return "unknown"
    value = arrays[key]
    if value.ndim != 0 or value.dtype.kind not in "US":
        raise DataError(f"{path}: '{key}' must be a single string, got {value.dtype} {value.shape}")
    text = value.item()
    return text.decode(errors="replace") if isinstance(text, bytes) else str(text)
