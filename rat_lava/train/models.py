"""Registry of the PyTorch sequence models that the trainer and the CLI know by name."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from torch import nn

from rat_lava.baselines.gru import GRUConfig, GRUDecoder

TORCH_MODELS = ("gru",)


def default_config(kind: str, preset: str = "small") -> dict[str, Any]:
    """The JSON-like architecture config of ``kind`` for a named preset."""
    if kind == "gru":
        return asdict(GRUConfig())
    raise ValueError(f"unknown model kind {kind!r}")


def build_torch_model(
    kind: str, config: dict[str, Any], n_channels: int, conditions: list[str]
) -> nn.Module:
    """Instantiate model ``kind`` from its config for ``n_channels`` inputs."""
    if kind == "gru":
        return GRUDecoder(GRUConfig(**config), n_channels)
    raise ValueError(f"unknown model kind {kind!r}")
