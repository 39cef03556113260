"""Baseline decoders that BMI researchers compare against.

Every classical baseline follows the ``Decoder`` protocol below: fitted on a training split
with hyper-parameters chosen on a validation split, causal (the output at step t uses bins
<= t only), deterministic, and saved as ``save_checkpoint(path, decoder.name,
decoder.config(), decoder.state(), meta)``. ``predict`` raises DataError for a session whose
channel count or bin width differs from the fit.

The GRU (``gru.py``) is a PyTorch sequence model trained by ``rat_lava.train.loop``.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import torch

from rat_lava.baselines.kalman import KalmanDecoder
from rat_lava.baselines.ridge import RidgeDecoder
from rat_lava.data.session import Session


class Decoder(Protocol):
    """A decoder of 2-D velocity from binned spike counts."""

    name: str

    def fit(self, train: Session, val: Session) -> dict[str, Any]:
        """Fit on ``train``, choose hyper-parameters on ``val``; info incl. ``val_r2``."""
        ...

    def predict(self, session: Session) -> np.ndarray:
        """Velocity (T, 2) float32 of ``session``; step t uses bins <= t only."""
        ...

    def config(self) -> dict[str, Any]:
        """JSON-like hyper-parameters (with the fitted bin width ``dt`` in seconds)."""
        ...

    def state(self) -> dict[str, torch.Tensor]:
        """Learned values, for ``save_checkpoint``."""
        ...

    @classmethod
    def from_state(cls, config: dict[str, Any], state: dict[str, torch.Tensor]) -> Decoder:
        """The fitted decoder that ``config()`` and ``state()`` describe."""
        ...


BASELINES: dict[str, type[Decoder]] = {"ridge": RidgeDecoder, "kalman": KalmanDecoder}

__all__ = ["BASELINES", "Decoder", "KalmanDecoder", "RidgeDecoder"]
