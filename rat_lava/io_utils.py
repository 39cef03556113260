"""File helpers: atomic writing (an output appears complete or not at all), read errors of zip
and HDF5 files, and reading untrusted files in a child process under a time limit."""

from __future__ import annotations

import contextlib
import lzma
import os
import pickle
import select
import signal
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
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
    cannot be pickled); ``read``'s result travels back pickled. A plain ``os.fork``, not
    ``multiprocessing``: Lava sets multiprocessing's start method when it is imported and fails
    if anything set it before.
    """
    timeout_s = READ_SECONDS if timeout_s is None else timeout_s
    deadline = time.monotonic() + timeout_s
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_fd)
        _run_and_send(write_fd, read, args, error)
    os.close(write_fd)
    chunks: list[bytes] = []
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([read_fd], [], [], left)[0]:
                raise error(
                    f"{what}: reading it did not finish within {timeout_s:g} s; the file is corrupt"
                )
            chunk = os.read(read_fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read_fd)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    try:
        ok, value = pickle.loads(b"".join(chunks))
    except Exception:
        raise error(f"{what}: reading it crashed the reader; the file is corrupt") from None
    if not ok:
        raise value
    return value


def _run_and_send(
    write_fd: int, read: Callable[..., object], args: tuple, error: type[RatLavaError]
) -> None:
    """The child's side of ``read_untrusted``: send (True, result) or (False, exception)."""
    code = 0
    try:
        try:
            outcome = (True, read(*args))
        except Exception as exc:  # sent to the parent, which raises it
            outcome = (False, exc)
        try:
            payload = pickle.dumps(outcome)
        except Exception as exc:  # an exception or result that does not pickle
            payload = pickle.dumps((False, error(f"{type(exc).__name__}: {exc}")))
        with os.fdopen(write_fd, "wb") as pipe:
            pipe.write(payload)
    except BaseException:
        code = 1
    finally:
        os._exit(code)
