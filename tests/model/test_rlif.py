"""RLIF neurons: slayer's CUBA arithmetic, the hand-written backward pass, timescale init."""

import math

import pytest
import torch

from rat_lava.deploy.fixed_point import DECAY_SCALE
from rat_lava.lavadl import slayer
from rat_lava.model.neurons import RLIF, decays, timescales
from tests.helpers.model_helpers import tiny_config

TAU_RHO_MULT = slayer.neuron.cuba.TAU_RHO_MULT
SCALE_RHO_MULT = slayer.neuron.cuba.SCALE_RHO_MULT


def make_layer(groups: int = 1, tokens: int = 3, features: int = 4, **kwargs: object) -> RLIF:
    config = tiny_config()
    size = groups * tokens * features
    return RLIF(
        groups,
        tokens,
        features,
        config,
        timescales(size, config),
        timescales(size, config),
        **kwargs,
    )


def test_matches_slayer_cuba_neuron_bit_for_bit() -> None:
    layer = make_layer(recurrent=False)
    drive = torch.randn(2, 200, layer.size) * 0.8
    ours = layer(drive, torch.zeros(layer.size), quantize=False)
    theirs = layer.neuron(drive.transpose(1, 2)).transpose(1, 2)  # slayer's own dynamics
    assert ours.sum() > 20
    assert torch.equal(ours, theirs)


def test_integrator_matches_slayer_leaky_integrator() -> None:
    integrator = RLIF(
        1, 1, 6, tiny_config(), torch.full((6,), 0.1), None, recurrent=False, spiking=False
    )
    drive = torch.randn(2, 100, 6) * 3
    voltage = integrator(drive, torch.zeros(6), quantize=False)
    current_decay, voltage_decay = integrator.integer_decays()
    assert torch.all(current_decay == DECAY_SCALE)
    dynamics = slayer.neuron.dynamics.leaky_integrator.dynamics
    zeros = torch.zeros(2, 6)
    current = dynamics(drive.transpose(1, 2), current_decay, zeros, DECAY_SCALE)
    expected = dynamics(current, voltage_decay, zeros, DECAY_SCALE)  # no threshold: no reset
    assert voltage.abs().max() > 3
    assert torch.equal(voltage, expected.transpose(1, 2))


class _SurrogateSpike(torch.autograd.Function):
    """Heaviside with the slope the fused backward uses (a constant per neuron)."""

    @staticmethod
    def forward(ctx, voltage, center, tau, amplitude):  # type: ignore[override]
        ctx.save_for_backward(voltage, amplitude)
        ctx.center, ctx.tau = center, tau
        return (voltage >= center).to(voltage.dtype)

    @staticmethod
    def backward(ctx, grad):  # type: ignore[override]
        voltage, amplitude = ctx.saved_tensors
        slope = amplitude / 2 / ctx.tau * torch.exp(-(voltage - ctx.center).abs() / ctx.tau)
        return grad * slope, None, None, None


class _StraightTrunc(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):  # type: ignore[override]
        return torch.trunc(x)

    @staticmethod
    def backward(ctx, grad):  # type: ignore[override]
        return grad


def reference_rlif(layer: RLIF, drive: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """The same neuron written step by step with autograd (float64, per-token recurrence)."""
    current_decay, voltage_decay = layer.integer_decays()
    keep_u = 1 - current_decay / DECAY_SCALE
    keep_v = 1 - voltage_decay / DECAY_SCALE
    bias_v = layer.voltage_bias(bias, current_decay, quantize=False)
    neuron = layer.neuron
    tau = neuron.tau_rho * TAU_RHO_MULT
    amplitude = (neuron.scale_rho * SCALE_RHO_MULT) * ((1 - keep_u) * (1 - keep_v)).sqrt()
    center = layer.threshold + neuron.threshold_eps
    weight = layer.recurrent_weight
    batch, steps, size = drive.shape
    u = v = drive.new_zeros(batch, size)
    s = drive.new_zeros(batch, size)
    out = []
    for t in range(steps):
        grouped = s.view(batch, layer.groups, layer.tokens, layer.features)
        feedback = torch.einsum("bgnj,gij->bgni", grouped, weight).reshape(batch, size)
        u = _StraightTrunc.apply(u * keep_u * DECAY_SCALE) / DECAY_SCALE
        u = u + _StraightTrunc.apply((drive[:, t] + feedback) * DECAY_SCALE) / DECAY_SCALE
        v = _StraightTrunc.apply(v * keep_v * DECAY_SCALE) / DECAY_SCALE
        v = v + u + _StraightTrunc.apply(bias_v * DECAY_SCALE) / DECAY_SCALE
        s = _SurrogateSpike.apply(v, center, tau, amplitude.detach())
        v = v - (v * s).detach()
        out.append(s)
    return torch.stack(out, dim=1)


def test_backward_matches_autograd_reference() -> None:
    layer = make_layer(groups=2).double()
    drive = (torch.randn(3, 40, layer.size, dtype=torch.float64) * 0.6).requires_grad_()
    bias = (torch.randn(layer.size, dtype=torch.float64) * 0.01).requires_grad_()
    target = torch.randn(3, 40, layer.size, dtype=torch.float64)
    grads = []
    runs = (lambda: layer(drive, bias, quantize=False), lambda: reference_rlif(layer, drive, bias))
    for run in runs:
        layer.zero_grad()
        drive.grad = bias.grad = None
        spikes = run()
        ((spikes - target) ** 2).sum().backward()
        grads.append(
            {
                "spikes": spikes.detach(),
                "drive": drive.grad,
                "bias": bias.grad,
                "recurrent": layer.recurrent_weight.grad,
                "current_decay": layer.neuron.current_decay.grad,
                "voltage_decay": layer.neuron.voltage_decay.grad,
            }
        )
    fused, reference = grads
    assert torch.equal(fused["spikes"], reference["spikes"])
    assert fused["spikes"].mean() > 0.05
    for name in ("drive", "bias", "recurrent", "current_decay", "voltage_decay"):
        assert fused[name].abs().max() > 0, name
        torch.testing.assert_close(fused[name], reference[name], rtol=1e-6, atol=1e-9, msg=name)


def test_fixed_current_decay_gets_no_gradient() -> None:
    integrator = RLIF(
        1, 1, 4, tiny_config(), torch.full((4,), 0.1), None, recurrent=False, spiking=False
    )
    integrator(torch.randn(1, 20, 4), torch.zeros(4), quantize=False).sum().backward()
    assert integrator.neuron.current_decay.grad is None
    assert integrator.neuron.voltage_decay.grad is not None


def test_graded_input_is_not_clipped() -> None:
    layer = make_layer(recurrent=False)
    one = torch.zeros(1, 30, layer.size)
    one[0, 0] = 0.6
    three = one * 3
    u_one = layer(one, torch.zeros(layer.size), quantize=False)
    u_three = layer(three, torch.zeros(layer.size), quantize=False)
    assert u_three.sum() > u_one.sum()


def test_multi_timescale_init_spans_the_range() -> None:
    config = tiny_config(tau_min_s=0.004, tau_max_s=0.4, dt=0.004)
    taus = timescales(200, config)
    assert taus.min() == pytest.approx(0.004) and taus.max() == pytest.approx(0.4, rel=1e-5)
    assert len(set(taus.tolist())) == 200
    assert torch.all(timescales(50, tiny_config(multi_timescale=False)) == 0.04)


def test_decays_follow_dt() -> None:
    tau = torch.tensor([0.004, 0.4])
    fine = decays(tau, 0.004)
    coarse = decays(tau, 0.05)
    assert fine[0] == pytest.approx(DECAY_SCALE * (1 - math.exp(-1)))
    assert fine[1] == pytest.approx(DECAY_SCALE * (1 - math.exp(-0.01)))
    assert coarse[0] == pytest.approx(DECAY_SCALE, rel=1e-4)
    assert coarse[1] == pytest.approx(DECAY_SCALE * (1 - math.exp(-0.125)))


def test_decay_parameters_have_their_final_shape_before_any_forward() -> None:
    layer = make_layer()
    assert layer.neuron.current_decay.shape == (layer.size,)
    assert layer.neuron.voltage_decay.shape == (layer.size,)
    assert layer.neuron.current_decay.requires_grad


def test_quantized_bias_is_on_lava_grid() -> None:
    bias = torch.tensor([0.01, -0.3, 100.0, -100.0])
    quantized = RLIF.quantize_bias(bias)
    assert torch.equal(quantized * 64, torch.round(quantized * 64))
    assert quantized.tolist() == [1 / 64, -19 / 64, 4095 / 64, -64.0]
