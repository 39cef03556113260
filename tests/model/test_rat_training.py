"""RATSNN as the trainer uses it: config round trip, presets, and a loss that goes down."""

import dataclasses
import json

import pytest
import torch

from rat_lava.metrics import parameter_count
from rat_lava.model import RATSNN, RATConfig
from tests.helpers.model_helpers import tiny_config


def test_config_round_trips_through_json() -> None:
    config = RATConfig.paper(dt=0.05, rep_kernels=(1, 3, 5), attention=False)
    rebuilt = RATConfig(**json.loads(json.dumps(dataclasses.asdict(config))))
    assert rebuilt == config
    assert rebuilt.rep_kernels == (1, 3, 5)


def test_invalid_config_is_rejected() -> None:
    with pytest.raises(ValueError, match="not divisible by heads"):
        RATConfig.small(token_features=10, heads=4)
    with pytest.raises(ValueError, match="odd"):
        RATConfig.small(rep_kernels=(2,))


def test_preset_sizes() -> None:
    paper = RATSNN(RATConfig.paper(), 96, ["a"])
    small = RATSNN(RATConfig.small(), 96, ["a"])
    assert 550_000 < parameter_count(paper) < 650_000
    assert parameter_count(small) < 80_000
    two = RATSNN(RATConfig.paper(), 96, ["a", "b"])
    second_set = sum(p.numel() for name, p in two.named_parameters() if ".sets.1." in name)
    assert second_set > 0
    assert parameter_count(two) - parameter_count(paper) == second_set


def test_output_shape_and_condition_default() -> None:
    model = RATSNN(tiny_config(), 6, ["a", "b"])
    spikes = torch.poisson(torch.full((3, 25, 6), 0.5))
    assert model(spikes).shape == (3, 25, 2)
    model.eval()
    with torch.no_grad():
        assert torch.equal(model(spikes), model(spikes, "a"))


def test_state_dict_round_trip_reproduces_the_outputs() -> None:
    """Per-neuron decays have their final shape at construction (slayer sets them lazily)."""
    model = RATSNN(tiny_config(), 6, ["a", "b"])
    spikes = torch.poisson(torch.full((2, 30, 6), 0.5))
    model(spikes, "b")  # updates running statistics
    model.eval()
    torch.manual_seed(1)
    fresh = RATSNN(tiny_config(), 6, ["a", "b"])
    fresh.load_state_dict(model.state_dict())
    fresh.eval()
    with torch.no_grad():
        assert torch.equal(fresh(spikes, "b"), model(spikes, "b"))


def synthetic_problem(windows: int, steps: int, channels: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Poisson counts whose rates follow a 2-D velocity (cosine tuning), and that velocity."""
    phase = torch.rand(windows, 1) * 6.28 + torch.linspace(0, 12, steps)[None]
    velocity = torch.stack([phase.sin(), phase.cos()], dim=-1)
    direction = torch.linspace(0, 6.28, channels + 1)[:-1]
    tuning = torch.stack([direction.cos(), direction.sin()])
    rates = 0.3 * (1 + velocity @ tuning).clamp(min=0)
    return torch.poisson(rates), velocity


@pytest.mark.parametrize(
    ("overrides", "ratio", "steps"),
    [
        ({}, 0.5, 25),
        ({"attention": False}, 0.5, 25),
        ({"attention_residual": True}, 0.5, 25),
        ({"multi_timescale": False}, 0.6, 25),
        # without BatchNorm (plain layers, or BN frozen at its initial statistics when training
        # quantized from scratch) learning starts more slowly
        ({"reparam": False}, 0.95, 25),
        ({"quantize": True}, 0.9, 40),
    ],
    ids=["full", "no-attention", "residual", "single-timescale", "no-reparam", "quantized"],
)
def test_a_few_optimizer_steps_reduce_the_loss(overrides: dict, ratio: float, steps: int) -> None:
    spikes, velocity = synthetic_problem(8, 80, 12)
    model = RATSNN(tiny_config(**overrides), 12, ["only"])
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    burn_in = model.latency_steps + 10
    losses = []
    for _ in range(steps):
        loss = torch.nn.functional.mse_loss(model(spikes)[:, burn_in:], velocity[:, burn_in:])
        optimizer.zero_grad()
        loss.backward()
        assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)
        optimizer.step()
        losses.append(loss.item())
    assert sum(losses[-3:]) < ratio * sum(losses[:3])
