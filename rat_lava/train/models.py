"""Registry of the PyTorch sequence models that the trainer and the CLI know by name."""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any

from torch import nn

from rat_lava.baselines.gru import GRUConfig, GRUDecoder
from rat_lava.deploy.timing import default_substeps
from rat_lava.train.choices import ABLATIONS, RAT_RECIPE
from rat_lava.train.loop import TrainConfig

TRAIN_DEFAULTS: dict[str, dict[str, Any]] = {
    "gru": {"epochs": 60},
    "rat": {"lr": 0.01},
}
"""Per-model changes to the ``TrainConfig`` defaults. RAT: learning rate measured on the
synthetic default. GRU: at most 60 epochs, because with 30 it was still improving on
``synthetic:0`` when the cosine schedule ended (best epochs 25 and 29 of 30, test R^2 0.869 /
0.881); with 60 it stops itself at 32 and 40 (0.898 / 0.914)."""


def default_train_config(kind: str, **overrides: Any) -> TrainConfig:
    """The optimisation settings ``rat-lava train --model kind`` uses, with ``overrides``.

    Models without an entry in ``TRAIN_DEFAULTS`` (the classical baselines) get TrainConfig's
    defaults; they use only its seed.
    """
    return replace(TrainConfig(), **{**TRAIN_DEFAULTS.get(kind, {}), **overrides})


def default_config(
    kind: str,
    preset: str = "small",
    dt: float = 0.004,
    ablations: tuple[str, ...] = (),
    substeps: int | None = None,
) -> dict[str, Any]:
    """The JSON-like architecture config of ``kind`` for a named preset and bin width (s).

    The RAT is the preset with ``RAT_RECIPE`` (then ``ablations``) applied; it steps
    ``substeps`` times per bin (default ``default_substeps(dt)``) and reads each bin's velocity
    one latency after the bin (``rat_lava.deploy.timing``)."""
    if kind == "gru":
        return asdict(GRUConfig())
    if kind == "rat":
        from rat_lava.model import RATConfig

        steps = default_substeps(dt) if substeps is None else substeps
        overrides: dict[str, Any] = {"dt": dt, "substeps": steps, **RAT_RECIPE}
        for name in ablations:
            overrides.update(ABLATIONS[name])
        config = getattr(RATConfig, preset)(**overrides)
        # read each bin's velocity once all of its spikes have reached the readout
        return asdict(replace(config, read_delay=config.latency_steps))
    raise ValueError(f"unknown model kind {kind!r}")


def build_torch_model(
    kind: str, config: dict[str, Any], n_channels: int, conditions: list[str]
) -> nn.Module:
    """Instantiate model ``kind`` from its config for ``n_channels`` inputs."""
    if kind == "gru":
        return GRUDecoder(GRUConfig(**config), n_channels)
    if kind == "rat":
        from rat_lava.model import RATSNN, RATConfig

        return RATSNN(RATConfig(**config), n_channels, list(conditions))
    raise ValueError(f"unknown model kind {kind!r}")
