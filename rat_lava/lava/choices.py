"""The named choices of a Lava run, each spelled once (the CLI imports them; no Lava import)."""

from __future__ import annotations

from typing import Literal, get_args

Backend = Literal["sim-float", "sim-fixed", "loihi2"]
"""Where an export runs: Lava's CPU simulator in float or fixed point, or a Loihi 2 chip."""
BACKENDS: tuple[str, ...] = get_args(Backend)

NetworkModel = Literal["leaves", "fused"]
"""The network as standard Lava leaves (what maps onto Loihi 2) or as one FusedNetwork process."""
NETWORK_MODELS: tuple[str, ...] = get_args(NetworkModel)

AttentionModel = Literal["fused", "decomposed"]
"""The ChannelAttention ProcessModel: vectorised numpy, or Loihi-native leaves."""
ATTENTION_MODEL_NAMES: tuple[str, ...] = get_args(AttentionModel)
