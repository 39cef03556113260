"""Checkpoints: a plain dict of tensors and primitives, written atomically, loaded weights-only.

Layout of a checkpoint (``torch.save`` of a dict, loadable with ``weights_only=True`` so that
no pickled code is ever executed)::

    {"format": "rat-lava-checkpoint", "version": 1,
     "model": "ridge" | "kalman" | "gru" | "rat",
     "config": {...},          # JSON-like hyper-parameters that rebuild the model
     "state": {name: Tensor},  # learned parameters
     "meta": {...}}            # n_channels, dt (s), data spec, seed, metrics, ...
"""

from __future__ import annotations

import os
import pickle
import zipfile
from pathlib import Path
from typing import Any

import torch

from rat_lava.errors import CheckpointError
from rat_lava.io_utils import atomic_path

FORMAT = "rat-lava-checkpoint"
VERSION = 1


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
    """Load and validate a checkpoint without executing any pickled code."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint file not found")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except (
        pickle.UnpicklingError,
        zipfile.BadZipFile,
        RuntimeError,
        EOFError,
        ValueError,
        OSError,
        KeyError,
        AttributeError,
        TypeError,
        IndexError,
    ) as exc:
        raise CheckpointError(
            f"{path}: not a readable rat-lava checkpoint ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else 'no detail'})"
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a rat-lava checkpoint")
    if payload.get("version") != VERSION:
        raise CheckpointError(
            f"{path}: checkpoint version {payload.get('version')!r} is not supported "
            f"(this rat-lava reads version {VERSION})"
        )
    for key, kind in (("model", str), ("config", dict), ("state", dict), ("meta", dict)):
        if not isinstance(payload.get(key), kind):
            raise CheckpointError(f"{path}: checkpoint field '{key}' is missing or malformed")
    if not all(isinstance(v, torch.Tensor) for v in payload["state"].values()):
        raise CheckpointError(f"{path}: checkpoint state must hold only tensors")
    return payload
