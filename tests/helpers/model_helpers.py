"""Shared helpers of the model tests: a tiny config, spike counts, non-trivial BN statistics."""

from __future__ import annotations

import torch

from rat_lava.model import RATSNN, RATConfig


def tiny_config(**overrides: object) -> RATConfig:
    """A few hundred neurons (4 tokens x 8 features, MLP 24): fast numpy and Lava runs."""
    values = {"tokens": 4, "token_features": 8, "heads": 2, "mlp_width": 24, **overrides}
    return RATConfig.small(**values)


def random_counts(batch: int, steps: int, channels: int, rate: float = 0.6) -> torch.Tensor:
    """Poisson spike counts clipped to 3 per bin, float (batch, steps, channels)."""
    return torch.poisson(torch.full((batch, steps, channels), rate)).clamp(max=3)


def settle_batchnorm(model: RATSNN, channels: int, conditions: list[str]) -> None:
    """A few train-mode passes per condition, so running statistics are far from (0, 1)."""
    model.train()
    with torch.no_grad():
        for condition in conditions:
            for _ in range(3):
                model(random_counts(4, 40, channels), condition)
    model.eval()
