"""Rebuild a trained decoder from a checkpoint and decode whole sessions with it."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
from torch import nn

from rat_lava.baselines import BASELINES
from rat_lava.data.session import Session
from rat_lava.errors import CheckpointError, DataError
from rat_lava.train.checkpoint import load_checkpoint
from rat_lava.train.choices import TORCH_MODELS
from rat_lava.train.loop import predict_sequence
from rat_lava.train.models import build_torch_model


@dataclass
class TorchSequenceDecoder:
    """A trained PyTorch sequence model with its output scale (data units per model unit)."""

    model: nn.Module
    scale: np.ndarray
    n_channels: int

    def predict(self, session: Session) -> np.ndarray:
        """Decode a whole session causally; velocity (T, 2) in data units."""
        if session.n_channels != self.n_channels:
            raise DataError(
                f"{session.source}: model was trained on {self.n_channels} channels, "
                f"data has {session.n_channels}"
            )
        return predict_sequence(self.model, session, self.scale)


def load_decoder(path: str | os.PathLike):
    """Load any rat-lava checkpoint as an object with ``predict(session) -> (T, 2)``.

    Returns the decoder and the checkpoint's metadata dict.
    """
    payload = load_checkpoint(path)
    kind, config, state, meta = (payload[k] for k in ("model", "config", "state", "meta"))
    try:
        if kind in BASELINES:
            return BASELINES[kind].from_state(config, state), meta
        if kind in TORCH_MODELS:
            model = build_torch_model(kind, config, int(meta["n_channels"]), meta["conditions"])
            model.load_state_dict(state)
            scale = np.asarray(meta["velocity_scale"], dtype=np.float32)
            return TorchSequenceDecoder(model, scale, int(meta["n_channels"])), meta
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise CheckpointError(
            f"{path}: checkpoint of model '{kind}' does not match this rat-lava "
            f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})"
        ) from None
    raise CheckpointError(f"{path}: unknown model kind {kind!r} in checkpoint")
