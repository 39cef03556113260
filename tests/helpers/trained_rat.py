"""A briefly trained small RAT model on the synthetic default, built once per test session.

Float training (4 epochs at lr 0.01) then one epoch of quantization-aware fine-tuning (8-bit
weights, Lava's bias grid and 24-bit states in the forward pass), the usual way to make an
export whose fixed-point R2 matches the float model. About 40 s on one CPU thread; test R2
about 0.78.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import NamedTuple

import numpy as np
import torch

from rat_lava.data.session import Session
from rat_lava.data.sources import load_data
from rat_lava.data.splits import chronological_split
from rat_lava.deploy.network import FoldedNetwork
from rat_lava.model import RATSNN, RATConfig
from rat_lava.train.loop import TrainConfig, predict_sequence, train_torch_model

TEST_STEPS = 3000
"""Bins of the test split the Lava tests decode (12 s at 4 ms)."""


class TrainedRat(NamedTuple):
    """The trained model, its velocity scale (2,) and the first TEST_STEPS test bins."""

    model: RATSNN
    scale: np.ndarray
    test: Session

    def fold(self, quantize: bool) -> FoldedNetwork:
        """The deployed network, quantized (for sim-fixed) or float (for sim-float)."""
        config = self.model.config
        self.model.config = dataclasses.replace(config, quantize=quantize)
        try:
            return self.model.fold(self.test.condition)
        finally:
            self.model.config = config

    def predict(self) -> np.ndarray:
        """The float PyTorch model's velocity (T, 2) on the test bins, data units."""
        return predict_sequence(self.model, self.test, self.scale)


@functools.lru_cache(maxsize=1)
def trained_rat() -> TrainedRat:
    """Train once; later calls return the same model."""
    torch.set_num_threads(1)
    torch.manual_seed(0)
    target = load_data("synthetic")[0]
    split = chronological_split(target)
    model = RATSNN(RATConfig.small(), target.n_channels, [target.condition])
    _, scale = train_torch_model(
        model, [split.train], [split.val], TrainConfig(epochs=4, lr=0.01), progress=False
    )
    model.config = dataclasses.replace(model.config, quantize=True)
    fine_tune = TrainConfig(epochs=1, lr=1e-3)
    train_torch_model(model, [split.train], [split.val], fine_tune, progress=False)
    model.config = dataclasses.replace(model.config, quantize=False)
    model.eval()
    return TrainedRat(model, scale, split.test.slice(0, TEST_STEPS))
