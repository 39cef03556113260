"""A tiny RAT model with settled BatchNorm statistics (untrained), folded for Lava tests."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import torch

from rat_lava.deploy.network import FoldedNetwork
from rat_lava.model import RATSNN
from rat_lava.train.checkpoint import save_checkpoint
from tests.helpers.model_helpers import tiny_config

CHANNELS = 12
CONDITION = "A/1"


def tiny_model(seed: int = 0, **overrides: object) -> RATSNN:
    """4 tokens x 8 features, 2 heads, MLP 24; BN statistics from a few random batches."""
    torch.manual_seed(seed)
    model = RATSNN(tiny_config(**overrides), CHANNELS, [CONDITION])
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.poisson(torch.full((4, 40, CHANNELS), 0.6)).clamp(max=3), CONDITION)
    model.eval()
    return model


def fold(model: RATSNN, quantize: bool) -> FoldedNetwork:
    """``model`` folded with quantized (8-bit) or float parameters."""
    config = model.config
    model.config = dataclasses.replace(config, quantize=quantize)
    try:
        return model.fold(CONDITION)
    finally:
        model.config = config


def tiny_network(quantize: bool = True, seed: int = 0) -> FoldedNetwork:
    """The folded tiny network."""
    return fold(tiny_model(seed), quantize)


def random_counts(steps: int, seed: int = 0, rate: float = 0.6) -> np.ndarray:
    """Poisson spike counts (steps, CHANNELS), at most 4 per bin."""
    return np.random.default_rng(seed).poisson(rate, (steps, CHANNELS)).clip(max=4)


def save_for_export(path: Path, model: RATSNN, velocity_scale: list[float]) -> Path:
    """A checkpoint of ``model`` with the meta fields `rat-lava export` reads."""
    meta = {
        "n_channels": CHANNELS,
        "conditions": [CONDITION],
        "target": CONDITION,
        "velocity_scale": velocity_scale,
        "data": "synthetic",
        "dt": model.config.dt,
    }
    return save_checkpoint(path, "rat", dataclasses.asdict(model.config), model.state_dict(), meta)
