"""File helpers: atomic writing (an output appears complete or not at all), read errors of zip
and HDF5 files."""

from __future__ import annotations

import contextlib
import lzma
import os
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it onto ``path`` only if the block succeeds.

    The temporary file lives in the same directory (same file system), so the final
    ``os.replace`` is atomic; on any error, or on KeyboardInterrupt, it is removed.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


ZIP_READ_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    OSError,
    ValueError,
    OverflowError,
    RuntimeError,
)
"""What Python's zipfile raises while reading a corrupt or hostile archive.

Besides BadZipFile: zlib/LZMA errors from damaged compressed data (bz2 raises OSError),
EOFError and OSError on truncation, ValueError on undecodable member names or negative
offsets, OverflowError on huge offsets, RuntimeError on encrypted members and its subclass
NotImplementedError on unknown compression methods or zip versions.
"""


HDF5_READ_ERRORS = (
    OSError,
    KeyError,
    ValueError,
    TypeError,
    RuntimeError,
    IndexError,
    AttributeError,
    UnicodeDecodeError,
    OverflowError,
)
"""What h5py raises on a truncated, corrupt or malformed file (checksum failures are OSError)."""
