"""Shared helpers of the export tests: tiny RAT models, checkpoints, network comparison."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from rat_lava.data.npz import save_npz
from rat_lava.data.synthetic import SessionSpec, SyntheticConfig, generate_synthetic
from rat_lava.deploy.network import FoldedNetwork
from rat_lava.export.quantize import quantize_network
from rat_lava.model import RATSNN
from rat_lava.train.checkpoint import save_checkpoint
from tests.helpers.model_helpers import tiny_config

CHANNELS = 12
CONDITIONS = ["A/1", "A/2"]


def counts(steps: int, channels: int = CHANNELS, rate: float = 0.8, seed: int = 0) -> np.ndarray:
    """Poisson spike counts (steps, channels), int64."""
    return np.random.default_rng(seed).poisson(rate, (steps, channels))


def tiny_model(attention: bool = True, **overrides: object) -> RATSNN:
    """A tiny RATSNN whose BatchNorm statistics were moved away from (0, 1) by a few passes."""
    torch.manual_seed(0)
    model = RATSNN(tiny_config(attention=attention, **overrides), CHANNELS, CONDITIONS)
    model.train()
    with torch.no_grad():
        for seed, condition in enumerate(CONDITIONS):
            batch = torch.from_numpy(counts(40 * 4, seed=seed).reshape(4, 40, CHANNELS)).float()
            model(batch, condition)
    model.eval()
    return model


def tiny_quantized(attention: bool = True) -> FoldedNetwork:
    """The quantized fold of ``tiny_model`` for the second condition."""
    return quantize_network(tiny_model(attention).fold(CONDITIONS[1]))[0]


def save_tiny_checkpoint(path: Path, model: RATSNN, data: str) -> Path:
    """A checkpoint of ``model`` as `rat-lava train` writes it (meta fields the export reads)."""
    meta = {
        "n_channels": model.n_channels,
        "dt": model.config.dt,
        "data": data,
        "target": model.conditions[-1],
        "conditions": list(model.conditions),
        "stage": "single",
        "seed": 0,
        "velocity_scale": [50.0, 40.0],
        "rat_lava_version": "test",
    }
    return save_checkpoint(path, "rat", asdict(model.config), model.state_dict(), meta)


def tiny_npz(path: Path, duration_s: float = 30.0, channels: int = CHANNELS) -> Path:
    """A short synthetic session saved as .npz (the target of `rat-lava train --data`)."""
    config = SyntheticConfig(
        sessions=(SessionSpec("A", "1", "center-out", duration_s),), channels={"A": channels}
    )
    return save_npz(generate_synthetic(0, config)[0], path)


def assert_same_network(a: FoldedNetwork, b: FoldedNetwork) -> None:
    """Every field of two networks is equal (arrays exactly, same order)."""
    scalars = ("n_inputs", "dt", "substeps", "read_delay", "condition", "readout", "readout_heads")
    scalars += ("quantized",)
    assert [getattr(a, k) for k in scalars] == [getattr(b, k) for k in scalars]
    assert a.latency_steps == b.latency_steps
    assert a.products == b.products
    assert len(a.layers) == len(b.layers) and len(a.connections) == len(b.connections)
    for x, y in zip(a.layers, b.layers, strict=True):
        assert (x.name, x.kind, x.threshold, tuple(x.shape)) == (
            y.name,
            y.kind,
            y.threshold,
            tuple(y.shape),
        )
        for key in ("current_decay", "voltage_decay", "bias"):
            assert np.array_equal(getattr(x, key), getattr(y, key)), (x.name, key)
        assert (x.recurrent is None) == (y.recurrent is None)
        if x.recurrent is not None:
            assert np.array_equal(x.recurrent, y.recurrent), x.name
    for x, y in zip(a.connections, b.connections, strict=True):
        assert (x.src, x.dst, x.delay) == (y.src, y.dst, y.delay)
        assert np.array_equal(x.weight, y.weight), (x.src, x.dst)
