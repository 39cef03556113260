"""GRU decoder: the standard recurrent deep-learning baseline for intracortical decoding."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass
class GRUConfig:
    """Architecture of the GRU decoder."""

    hidden: int = 128
    layers: int = 1
    dropout: float = 0.1


class GRUDecoder(nn.Module):
    """log1p(counts) -> linear -> GRU -> linear velocity; causal, batch-first.

    ``forward(spikes (N, T, C), condition=None) -> (N, T, 2)``; the condition id is accepted
    for interface parity with the RAT SNN and ignored.
    """

    def __init__(self, config: GRUConfig, n_channels: int) -> None:
        super().__init__()
        self.config = config
        self.n_channels = n_channels
        self.inp = nn.Sequential(nn.Linear(n_channels, config.hidden), nn.Dropout(config.dropout))
        self.gru = nn.GRU(
            config.hidden,
            config.hidden,
            num_layers=config.layers,
            batch_first=True,
            dropout=config.dropout if config.layers > 1 else 0.0,
        )
        self.out = nn.Linear(config.hidden, 2)

    def forward(self, spikes: torch.Tensor, condition: str | None = None) -> torch.Tensor:
        hidden, _ = self.gru(self.inp(torch.log1p(spikes)))
        return self.out(hidden)
