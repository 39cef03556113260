"""RATSNN in eval mode vs the numpy forward pass of its FoldedNetwork: same spikes, same output."""

import dataclasses

import numpy as np
import pytest
import torch

from rat_lava.deploy.network import Connection, FoldedNetwork
from rat_lava.model import RATSNN, RATConfig
from rat_lava.model.neurons import RLIF
from tests.helpers.model_helpers import random_counts, settle_batchnorm, tiny_config

CHANNELS = 10
CONDITIONS = ["s1", "s2"]
LAYER_NAMES = {
    "x": ["x"],
    "attention.qkv": ["q", "k", "v"],
    "attention.a": ["a"],
    "attention.u": ["u"],
    "mlp": ["mlp"],
}


def record_spikes(model: RATSNN) -> dict[str, torch.Tensor]:
    """Forward hooks that store each spiking layer's output under its folded name(s)."""
    recorded: dict[str, torch.Tensor] = {}

    def hook(names: list[str]):
        def store(_module, _inputs, output):
            for name, part in zip(names, output.chunk(len(names), dim=-1), strict=True):
                recorded[name] = part[0]

        return store

    for module_name, module in model.named_modules():
        if isinstance(module, RLIF) and module.spiking:
            module.register_forward_hook(hook(LAYER_NAMES[module_name]))
    return recorded


def compare(config: RATConfig, dtype: torch.dtype, steps: int = 60) -> None:
    model = RATSNN(config, CHANNELS, CONDITIONS)
    settle_batchnorm(model, CHANNELS, CONDITIONS)
    model.to(dtype)
    spikes = record_spikes(model)
    counts = random_counts(1, steps, CHANNELS).to(dtype)
    assert counts.max() == 3
    with torch.no_grad():
        velocity = model(counts, "s2")[0].double().numpy()
    folded = model.fold("s2")
    trace = folded.run(counts[0].double().numpy())
    assert set(spikes) == {layer.name for layer in folded.layers if layer.kind == "cuba"}
    for name, values in spikes.items():
        assert values.mean() > 0.01, name
        np.testing.assert_array_equal(values.double().numpy(), trace.outputs[name], err_msg=name)
    scale = np.abs(velocity).max()
    assert scale > 1e-3
    np.testing.assert_allclose(trace.velocity, velocity, rtol=1e-4, atol=1e-4 * scale)


ABLATIONS = {
    "full": {},
    "no-attention": {"attention": False},
    "no-reparam": {"reparam": False},
    "single-timescale": {"multi_timescale": False},
    "attention-delay-0": {"attention_delay": 0},
    "attention-delay-3": {"attention_delay": 3},
    "50ms-bins": {"dt": 0.05},
}


@pytest.mark.parametrize("ablation", sorted(ABLATIONS))
def test_float_model_equals_folded_network(ablation: str) -> None:
    """Exact in float64 (float32 sums of unquantized weights differ by rounding)."""
    compare(tiny_config(**ABLATIONS[ablation]), torch.float64)


def test_quantized_model_equals_folded_network_in_float32() -> None:
    """With 8-bit weights every sum is exact, so float32 training precision is enough."""
    compare(tiny_config(quantize=True), torch.float32)


def test_quantized_fold_is_on_the_fixed_point_grid() -> None:
    model = RATSNN(tiny_config(quantize=True), CHANNELS, CONDITIONS)
    settle_batchnorm(model, CHANNELS, CONDITIONS)
    folded = model.fold()
    assert folded.quantized and folded.condition == "s1"
    matrices = [c.weight for c in folded.connections] + [
        layer.recurrent for layer in folded.layers if layer.recurrent is not None
    ]
    for weight in matrices:
        integers = weight * 64
        assert np.array_equal(integers, np.round(integers))
        assert integers.min() >= -256 and integers.max() <= 254
        assert np.all(integers % 2 == 0)
    for layer in folded.layers:
        assert np.array_equal(layer.bias * 64, np.round(layer.bias * 64))
        assert layer.current_decay.dtype == np.int64
        assert np.all((layer.voltage_decay >= 0) & (layer.voltage_decay <= 4096))


def amplified(config: RATConfig, gain: float) -> RATSNN:
    """A fresh model in eval mode whose BatchNorm scales are all ``gain`` (biases stay 0)."""
    model = RATSNN(config, CHANNELS, CONDITIONS).eval()
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if ".sets." in name and name.endswith("weight"):
                parameter.fill_(gain)
    return model


@pytest.mark.parametrize(
    "overrides", [{}, {"attention": False}, {"attention_delay": 0}, {"attention_delay": 2}]
)
def test_impulse_reaches_the_output_after_latency_steps(overrides: dict) -> None:
    """Strong synapses make every layer answer in the step its input arrives."""
    model = amplified(tiny_config(**overrides), gain=30.0)
    folded = model.fold()
    assert model.latency_steps == folded.latency_steps
    impulse_step = 5
    counts = torch.zeros(1, 30, CHANNELS)
    counts[0, impulse_step] = 8.0
    with torch.no_grad():
        velocity = model(counts)[0]
        silent = model(torch.zeros_like(counts))[0]
    assert torch.all(silent == 0)  # fresh BatchNorms fold to zero biases: no activity
    changed = torch.nonzero(velocity.abs().sum(-1))[:, 0]
    assert changed[0].item() == impulse_step + model.latency_steps


def test_latency_counts_every_connection() -> None:
    assert RATSNN(tiny_config(), CHANNELS, CONDITIONS).latency_steps == 8
    assert RATSNN(tiny_config(attention_delay=0), CHANNELS, CONDITIONS).latency_steps == 6
    assert RATSNN(tiny_config(attention=False), CHANNELS, CONDITIONS).latency_steps == 3


def test_a_count_of_three_is_not_a_count_of_one() -> None:
    model = amplified(tiny_config(attention=False), gain=3.0)
    counts = torch.zeros(2, 20, CHANNELS)
    counts[0, 2] = 1.0
    counts[1, 2] = 3.0
    with torch.no_grad():
        velocity = model(counts)
    assert velocity.abs().max() > 0
    assert not torch.allclose(velocity[0], velocity[1])


def test_unbalanced_branches_are_rejected() -> None:
    model = RATSNN(tiny_config(), CHANNELS, CONDITIONS).eval()
    folded = model.fold()
    shortcut = next(c for c in folded.connections if c.src == "x" and c.dst == "u")
    assert shortcut.delay == 2 + model.config.attention_delay
    broken = [
        Connection(c.src, c.dst, c.weight, 0) if c is shortcut else c for c in folded.connections
    ]
    fields = {f.name: getattr(folded, f.name) for f in dataclasses.fields(folded) if f.init}
    with pytest.raises(ValueError, match="inputs of u arrive at different steps"):
        FoldedNetwork(**{**fields, "connections": broken})


def test_input_shape_is_checked() -> None:
    model = RATSNN(tiny_config(), CHANNELS, CONDITIONS)
    with pytest.raises(ValueError, match=r"\(N, T, 10\)"):
        model(torch.zeros(1, 5, CHANNELS + 1))
    with pytest.raises(ValueError, match=r"\(T, 10\)"):
        model.fold().run(np.zeros((5, 3)))
