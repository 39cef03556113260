"""File helpers: atomic writing (an output appears complete or not at all), read errors of zip
and HDF5 files, and reading untrusted files in a child process under a time limit."""

from __future__ import annotations

import contextlib
import lzma
import multiprocessing
import os
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TypeVar

from rat_lava.errors import RatLavaError

T = TypeVar("T")


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


READ_SECONDS = 30.0
"""Default time limit of ``read_untrusted`` (seconds): reading a valid export or run file takes
well under a second, also on a loaded machine."""


def read_untrusted(
    read: Callable[..., T],
    *args: object,
    what: str,
    error: type[RatLavaError] = RatLavaError,
    timeout_s: float | None = None,
) -> T:
    """``read(*args)`` run in a forked child process under a time limit; returns its result.

    The HDF5 C library can loop forever on some corrupt files (seen: reading an attribute of a
    .net file with one changed byte), holding the GIL where no signal reaches Python. The
    child is killed after ``timeout_s`` (default ``READ_SECONDS``) and ``error`` names
    ``what``. Whatever ``read`` raises is raised here (as ``error`` with its message if it
    cannot be pickled); ``read``'s result travels back pickled.
    """
    timeout_s = READ_SECONDS if timeout_s is None else timeout_s
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_run_and_send, args=(sender, read, args, error))
    child.start()
    sender.close()
    try:
        if not receiver.poll(timeout_s):
            raise error(
                f"{what}: reading it did not finish within {timeout_s:g} s; the file is corrupt"
            )
        try:
            ok, value = receiver.recv()
        except EOFError:
            raise error(f"{what}: reading it crashed the reader; the file is corrupt") from None
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join()
    if not ok:
        raise value
    return value


def _run_and_send(
    sender: Connection, read: Callable[..., object], args: tuple, error: type[RatLavaError]
) -> None:
    """The child's side of ``read_untrusted``: send (True, result) or (False, exception)."""
    try:
        outcome = (True, read(*args))
    except Exception as exc:  # sent to the parent, which raises it
        outcome = (False, exc)
    try:
        sender.send(outcome)
    except Exception as exc:  # an exception or result that does not pickle
        sender.send((False, error(f"{type(exc).__name__}: {exc}")))
    sender.close()
