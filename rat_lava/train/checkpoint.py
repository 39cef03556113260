"""Checkpoints: a plain dict of tensors and primitives, written atomically, loaded weights-only.

Layout of a checkpoint (``torch.save`` of a dict, loadable with ``weights_only=True`` so that
no pickled code is ever executed)::

    {"format": "rat-lava-checkpoint", "version": 1,
     "model": "ridge" | "kalman" | "gru" | "rat",
     "config": {...},          # JSON-like hyper-parameters that rebuild the model
     "state": {name: Tensor},  # learned parameters
     "meta": {...}}            # n_channels, dt (s), data spec, seed, metrics, ...

Checkpoints may come from other labs, so loading trusts nothing torch 2.3 would: the archive
is checked first with Python's zipfile (CRC of every member, total size at most
``MAX_CHECKPOINT_BYTES``, no TorchScript), and tensors are memory-mapped from the file, so a
storage can never reach past it, then copied.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import Any

import torch

from rat_lava.errors import CheckpointError
from rat_lava.io_utils import ZIP_READ_ERRORS, atomic_path

FORMAT = "rat-lava-checkpoint"
VERSION = 1

MAX_CHECKPOINT_BYTES = 2**31
"""Most bytes (2 GiB) of a checkpoint's content, and of its state's tensors.

The paper configuration has about 600k parameters (2.4 MB); the limit only stops a hostile or
corrupt file (a zip bomb, a tensor declared huge) from exhausting memory.
"""


def save_checkpoint(
    path: str | os.PathLike,
    model: str,
    config: dict[str, Any],
    state: dict[str, torch.Tensor],
    meta: dict[str, Any],
) -> Path:
    """Write a checkpoint atomically to ``path`` and return the path."""
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "model": model,
        "config": config,
        "state": {k: v.detach().cpu() for k, v in state.items()},
        "meta": meta,
    }
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)
    return Path(path)


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """Load and validate a checkpoint without executing any pickled code.

    Raises:
        CheckpointError: naming the file, for a missing, corrupt, oversized or foreign file.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint file not found")
    _check_archive(path)
    try:
        # mmap: torch 2.3 trusts the element count the pickle declares for a storage and
        # reads past the end of the stored bytes (fixed upstream in pytorch#170085)
        payload = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except Exception as exc:
        # torch 2.3's weights-only unpickler lets IndexError, KeyError, struct.error,
        # AssertionError, UnicodeDecodeError, ... escape on malformed input (pytorch#127525)
        raise _unreadable(path, exc) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a rat-lava checkpoint")
    version = payload.get("version")
    if type(version) is not int or version != VERSION:
        raise CheckpointError(
            f"{path}: checkpoint version {version!r} is not supported "
            f"(this rat-lava reads version {VERSION})"
        )
    for key, kind in (("model", str), ("config", dict), ("state", dict), ("meta", dict)):
        if not isinstance(payload.get(key), kind):
            raise CheckpointError(f"{path}: checkpoint field '{key}' is missing or malformed")
    state = payload["state"]
    if not all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()):
        raise CheckpointError(f"{path}: checkpoint state must map names to tensors")
    n_bytes = sum(v.numel() * v.element_size() for v in state.values())
    if n_bytes > MAX_CHECKPOINT_BYTES:
        raise CheckpointError(
            f"{path}: checkpoint state declares {n_bytes} bytes of tensors, more than the "
            f"limit of {MAX_CHECKPOINT_BYTES}"
        )
    # own copies: the weights must not change or vanish (SIGBUS) if the file is rewritten
    payload["state"] = {name: tensor.clone() for name, tensor in state.items()}
    return payload


def _check_archive(path: Path) -> None:
    """Refuse, before torch sees it, a file that is not a sound, bounded torch.save archive.

    torch 2.3 hands an archive with ``constants.pkl`` (TorchScript) to ``torch.jit.load`` even
    with ``weights_only=True``; such archives are refused here.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if any(m.filename.partition("/")[2] == "constants.pkl" for m in members):
                raise CheckpointError(
                    f"{path}: a TorchScript archive, not a rat-lava checkpoint (refused unread)"
                )
            size = sum(m.file_size for m in members)
            if size > MAX_CHECKPOINT_BYTES:
                raise CheckpointError(
                    f"{path}: checkpoint declares {size} bytes of content, more than the limit "
                    f"of {MAX_CHECKPOINT_BYTES}"
                )
            damaged = archive.testzip()
    except ZIP_READ_ERRORS as exc:
        raise _unreadable(path, exc) from None
    if damaged is not None:
        raise CheckpointError(
            f"{path}: not a readable rat-lava checkpoint (member {damaged!r} is corrupt)"
        )


def _unreadable(path: Path, exc: Exception) -> CheckpointError:
    """The error for a file that torch or zipfile cannot parse, with the parser's reason.

    torch prefixes its reason with advice to retry with ``weights_only=False``, i.e. to run
    the file's pickled code; that advice is cut off.
    """
    reason = str(exc).rpartition("WeightsUnpickler error: ")[2].strip()
    detail = reason.splitlines()[0] if reason else "no detail"
    return CheckpointError(
        f"{path}: not a readable rat-lava checkpoint ({type(exc).__name__}: {detail})"
    )
