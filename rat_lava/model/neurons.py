"""Multi-timescale RLIF neurons: slayer's CUBA neuron plus a within-layer recurrent connection.

Per step t, with states on slayer's fixed-point grid (integers in units of 1/4096, which is
also Lava's fixed-point LIF: 24-bit u and v, weights x 64 shifted left by 6)::

    u[t] = trunc(u[t-1] * (4096 - iDecay) / 4096) + trunc(4096 * I[t])
    v[t] = trunc(v[t-1] * (4096 - vDecay) / 4096) + u[t] + trunc(4096 * b)
    s[t] = v[t] > 4096 * threshold,   then v[t] = 0 where s[t]

``trunc`` rounds toward zero, ``I[t]`` is the synaptic input plus the recurrent input
``R s[t-1]`` and ``b`` the neuron's constant bias (Lava ``bias_mant`` = 64 b, ``bias_exp`` 6).
In quantization-aware passes u and v also keep Lava's 24-bit limits: u wraps once (u > 2**23
becomes u - 2**24, u <= -2**23 becomes u + 2**24) and v saturates at +-(2**23 - 1).
This is bit for bit what ``slayer.neuron.cuba.Neuron`` computes (plus the bias), fused with the
recurrence into one loop with a hand-written backward pass. A non-spiking layer (the readout's
leaky integrators) outputs v[t] / 4096 and never resets.

Gradients: linear in time through u and v (the reset is not differentiated, as in slayer), the
true derivative of the decays (slayer 0.6.0 returns it with the opposite sign), and slayer's
surrogate spike derivative multiplied per neuron by sqrt(alpha_u * alpha_v), alpha = decay /
4096. A neuron with time constants of 100 steps sums its input with a gain of up to 1e4, so
without that factor gradients grow by orders of magnitude per layer (measured: 1e7 at the
embedding of the small preset); with it they stay within about one order of magnitude.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import torch
from torch import nn

from rat_lava.deploy.fixed_point import DECAY_SCALE, STATE_LIMIT, WEIGHT_SCALE
from rat_lava.deploy.network import NeuronLayer
from rat_lava.lavadl import slayer
from rat_lava.model.config import RATConfig

_cuba = slayer.neuron.cuba
BIAS_LIMIT = 1 << 12
"""Lava LIF ``bias_mant`` is a signed 13-bit integer: |64 b| <= 4096."""


def timescales(size: int, config: RATConfig) -> torch.Tensor:
    """Initial time constants (s) of ``size`` neurons, shape (size,).

    Multi-timescale: log-uniformly spaced over [tau_min_s, tau_max_s] in a random order (torch's
    generator), so every layer spans all timescales; otherwise all equal to ``tau_single_s``.
    """
    if not config.multi_timescale:
        return torch.full((size,), config.tau_single_s)
    log_tau = torch.linspace(math.log(config.tau_min_s), math.log(config.tau_max_s), size)
    return log_tau[torch.randperm(size)].exp()


def decays(tau_s: torch.Tensor, dt: float) -> torch.Tensor:
    """slayer decay parameters (fraction lost per step x 4096, float) for time constants (s)."""
    return DECAY_SCALE * (1.0 - torch.exp(-dt / tau_s))


class _Spec(NamedTuple):
    """Static description of a layer for the fused dynamics."""

    groups: int
    tokens: int
    features: int
    spiking: bool
    threshold: int
    surrogate_center: float
    surrogate_tau: float
    surrogate_scale: float
    state_limits: bool


def _wrap_current(u: torch.Tensor) -> torch.Tensor:
    """Lava's single wrap of a 24-bit current: u > 2**23 -> u - 2**24, u <= -2**23 -> u + 2**24."""
    u = torch.where(u > STATE_LIMIT, u - 2 * STATE_LIMIT, u)
    return torch.where(u <= -STATE_LIMIT, u + 2 * STATE_LIMIT, u)


def _to_loop(x: torch.Tensor, spec: _Spec) -> torch.Tensor:
    """(..., n) in (groups, tokens, features) order -> (..., tokens, groups * features)."""
    grouped = x.unflatten(-1, (spec.groups, spec.tokens, spec.features))
    return grouped.transpose(-3, -2).flatten(-2).contiguous()


def _from_loop(x: torch.Tensor, spec: _Spec) -> torch.Tensor:
    """Inverse of ``_to_loop``: (..., tokens, groups * features) -> (..., n)."""
    return x.unflatten(-1, (spec.groups, spec.features)).transpose(-3, -2).flatten(-3)


def _surrogate(voltage: torch.Tensor, spec: _Spec) -> torch.Tensor:
    """slayer's surrogate spike derivative ds/dv at ``voltage`` (model units)."""
    distance = (voltage - spec.surrogate_center).abs() / spec.surrogate_tau
    return (spec.surrogate_scale / 2 / spec.surrogate_tau) * torch.exp(-distance)


class _CubaDynamics(torch.autograd.Function):
    """Fused recurrent CUBA dynamics over a whole sequence; see the module docstring.

    Inside, sequences are (T, B, tokens, groups * features) so that the recurrence of all
    groups is one matrix product per step with the block-diagonal recurrent matrix.
    """

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any,
        current: torch.Tensor,
        bias: torch.Tensor,
        current_decay: torch.Tensor,
        voltage_decay: torch.Tensor,
        recurrent: torch.Tensor | None,
        spec: _Spec,
    ) -> torch.Tensor:
        x = _to_loop(current.detach().transpose(0, 1), spec)
        keep_u = _to_loop((DECAY_SCALE - current_decay.detach()).double() / DECAY_SCALE, spec)
        keep_v = _to_loop((DECAY_SCALE - voltage_decay.detach()).double() / DECAY_SCALE, spec)
        bias_int = _to_loop((bias.detach().double() * DECAY_SCALE).long(), spec)
        rec_t = None if recurrent is None else torch.block_diag(*recurrent.detach()).T
        rows = x.shape[1] * x.shape[2]
        u = torch.zeros(x.shape[1:], dtype=torch.int64, device=x.device)
        v = torch.zeros_like(u)
        s = torch.zeros_like(x[0])
        voltages, currents = torch.empty_like(x), torch.empty_like(x)
        spikes = torch.empty_like(x) if spec.spiking else None
        for t in range(x.shape[0]):
            drive = x[t]
            if rec_t is not None:
                drive = torch.addmm(drive.view(rows, -1), s.view(rows, -1), rec_t).view_as(s)
            u = (u * keep_u).long() + (drive * DECAY_SCALE).long()
            if spec.state_limits:
                u = _wrap_current(u)
            v = (v * keep_v).long() + u + bias_int
            if spec.state_limits:
                v = v.clamp_(-STATE_LIMIT + 1, STATE_LIMIT - 1)
            currents[t], voltages[t] = u, v
            if spikes is not None:
                fired = v > spec.threshold
                spikes[t] = fired
                s = spikes[t]
                v.masked_fill_(fired, 0)
        currents /= DECAY_SCALE
        voltages /= DECAY_SCALE
        ctx.spec = spec
        ctx.save_for_backward(voltages, currents, spikes, current_decay, voltage_decay, recurrent)
        out = voltages if spikes is None else spikes
        return _from_loop(out, spec).transpose(0, 1)

    @staticmethod
    def backward(ctx: Any, grad_out: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        voltages, currents, spikes, current_decay, voltage_decay, recurrent = ctx.saved_tensors
        spec: _Spec = ctx.spec
        grad = _to_loop(grad_out.transpose(0, 1), spec)
        keep_u = _to_loop(1 - current_decay.detach() / DECAY_SCALE, spec)
        keep_v = _to_loop(1 - voltage_decay.detach() / DECAY_SCALE, spec)
        slope = None
        if spikes is not None:
            slope = _surrogate(voltages, spec) * ((1 - keep_u) * (1 - keep_v)).sqrt()
        rec = None if recurrent is None else torch.block_diag(*recurrent.detach())
        direct = grad if slope is None or rec is not None else grad * slope
        grad_current, grad_voltage = torch.empty_like(grad), torch.empty_like(grad)
        g_v = torch.zeros_like(grad[0])
        g_u = torch.zeros_like(grad[0])
        rows = grad.shape[1] * grad.shape[2]
        for t in range(grad.shape[0] - 1, -1, -1):
            g_in = direct[t]
            if rec is not None:
                if t + 1 < grad.shape[0]:
                    g_in = torch.addmm(g_in.view(rows, -1), g_u.view(rows, -1), rec).view_as(g_u)
                g_in = g_in * slope[t]
            g_v = torch.addcmul(g_in, keep_v, g_v)
            g_u = torch.addcmul(g_v, keep_u, g_u)
            grad_voltage[t], grad_current[t] = g_v, g_u
        previous_v = voltages[:-1] if spikes is None else voltages[:-1] * (1 - spikes[:-1])
        g_vdecay = -(grad_voltage[1:] * previous_v).sum((0, 1)) / DECAY_SCALE
        g_idecay = None
        if ctx.needs_input_grad[2]:
            g_idecay = -(grad_current[1:] * currents[:-1]).sum((0, 1)) / DECAY_SCALE
            g_idecay = _from_loop(g_idecay, spec)
        g_rec = None
        if rec is not None:
            width = rec.shape[0]
            full = grad_current[1:].reshape(-1, width).T @ spikes[:-1].reshape(-1, width)
            blocks = full.view(spec.groups, spec.features, spec.groups, spec.features)
            g_rec = blocks.diagonal(dim1=0, dim2=2).permute(2, 0, 1)
        g_bias = _from_loop(grad_voltage.sum((0, 1)), spec)
        g_current = _from_loop(grad_current, spec).transpose(0, 1)
        return g_current, g_bias, g_idecay, _from_loop(g_vdecay, spec), g_rec, None


class RLIF(nn.Module):
    """A layer of CUBA neurons with per-neuron learnable decays and a recurrent connection.

    Neurons are laid out as (groups, tokens, features), flattened; the recurrent weight is one
    (features x features) matrix per group, shared by the group's tokens (so a token layer's
    recurrence stays within each token). ``groups`` > 1 fuses parallel layers (Q, K, V) that
    have the same inputs and timing into one loop.

    Args:
        groups, tokens, features: layout; size = groups * tokens * features neurons.
        config: thresholds, surrogate gradient, ``dt``, recurrent init gain.
        voltage_tau_s: initial voltage time constants (s), shape (size,).
        current_tau_s: initial current time constants (s), shape (size,); None fixes the
            current decay at 4096 (u[t] = I[t]: a first-order leaky integrator).
        recurrent: add the within-layer recurrent connection.
        spiking: False gives non-spiking leaky integrators whose output is the voltage.
    """

    def __init__(
        self,
        groups: int,
        tokens: int,
        features: int,
        config: RATConfig,
        voltage_tau_s: torch.Tensor,
        current_tau_s: torch.Tensor | None,
        recurrent: bool = True,
        spiking: bool = True,
    ) -> None:
        super().__init__()
        if recurrent and not spiking:
            raise ValueError("a recurrent layer must be spiking")
        self.groups, self.tokens, self.features = groups, tokens, features
        self.size = groups * tokens * features
        self.spiking = spiking
        current = (
            torch.full((self.size,), float(DECAY_SCALE))
            if current_tau_s is None
            else decays(current_tau_s, config.step_s)
        )
        voltage = decays(voltage_tau_s, config.step_s)
        self.neuron = _cuba.Neuron(
            threshold=config.threshold,
            current_decay=(float(current.min()) / DECAY_SCALE, float(current.max()) / DECAY_SCALE),
            voltage_decay=(float(voltage.min()) / DECAY_SCALE, float(voltage.max()) / DECAY_SCALE),
            tau_grad=config.tau_grad,
            scale_grad=config.scale_grad,
            shared_param=False,
            requires_grad=True,
        )
        # slayer draws per-neuron decays at random on its first forward; set them now, so
        # that parameters have their final shape before an optimizer or a checkpoint sees them.
        self.neuron.shape = torch.Size([self.size])
        self.neuron.num_neurons = self.size
        self.neuron.current_decay.data = current.float()
        self.neuron.voltage_decay.data = voltage.float()
        self.learn_current_decay = current_tau_s is not None
        self.recurrent_weight: nn.Parameter | None = None
        if recurrent:
            bound = config.recurrent_gain / math.sqrt(features)
            weight = torch.empty(groups, features, features).uniform_(-bound, bound)
            self.recurrent_weight = nn.Parameter(weight)

    @property
    def threshold(self) -> float:
        """Spiking threshold in model units (a multiple of 1/64)."""
        return float(self.neuron.threshold)

    def quantize_weight(self, weight: torch.Tensor) -> torch.Tensor:
        """slayer's 8-bit weight quantization (even integers in [-256, 254], / 64), with STE."""
        return self.neuron.quantize_8bit(weight)

    def weight_quantizer(self, quantize: bool) -> Callable[[torch.Tensor], torch.Tensor] | None:
        """``quantize_weight`` for quantization-aware passes, else None (float weights)."""
        return self.quantize_weight if quantize else None

    @staticmethod
    def quantize_bias(bias: torch.Tensor) -> torch.Tensor:
        """Bias on Lava's ``bias_mant`` grid (multiples of 1/64, signed 13 bit), with STE."""
        step = 1.0 / WEIGHT_SCALE
        limit = BIAS_LIMIT / WEIGHT_SCALE
        return slayer.utils.quantize(bias, step=step).clamp(-limit, limit - step)

    def integer_decays(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(current, voltage) decays as rounded slayer/Lava 12-bit integers (float tensors)."""
        self.neuron.clamp()
        quantize = slayer.utils.quantize
        current = quantize(self.neuron.current_decay)
        if not self.learn_current_decay:
            current = current.detach()
        return current, quantize(self.neuron.voltage_decay)

    def voltage_bias(
        self, bias: torch.Tensor, current_decay: torch.Tensor, quantize: bool
    ) -> torch.Tensor:
        """Neuron bias (added to v every step) for a constant input ``bias`` (size,) to u.

        Lava's LIF adds its bias to v, while BatchNorm centres the input to u, which u
        accumulates with gain 4096 / current_decay; the bias is scaled by that gain so that it
        cancels the mean it belongs to (exactly so in steady state; a current decay of 0 counts
        as 1). With ``quantize`` it is rounded to Lava's bias grid.
        """
        scaled = bias * (DECAY_SCALE / current_decay.clamp(min=1))
        return self.quantize_bias(scaled) if quantize else scaled

    def recurrent_matrix(self, quantize: bool) -> torch.Tensor | None:
        """Recurrent weights (G, d, d) as used in the forward pass (quantized if asked)."""
        if self.recurrent_weight is None:
            return None
        return self.quantize_weight(self.recurrent_weight) if quantize else self.recurrent_weight

    def forward(self, current: torch.Tensor, bias: torch.Tensor, quantize: bool) -> torch.Tensor:
        """Spikes (or integrator voltages) (B, T, size) for synaptic input (B, T, size).

        ``bias`` (size,) is the constant part of the input (see ``voltage_bias``); with
        ``quantize`` biases are rounded to Lava's grid, recurrent weights to 8 bit, and u and v
        kept to Lava's 24 bits (u wraps, v saturates).
        """
        if current.shape[-1] != self.size:
            raise ValueError(f"expected {self.size} input features, got {current.shape[-1]}")
        current_decay, voltage_decay = self.integer_decays()
        bias = self.voltage_bias(bias, current_decay, quantize)
        threshold = self.threshold
        spec = _Spec(
            groups=self.groups,
            tokens=self.tokens,
            features=self.features,
            spiking=self.spiking,
            threshold=round(threshold * DECAY_SCALE),
            surrogate_center=threshold + self.neuron.threshold_eps,
            surrogate_tau=self.neuron.tau_rho * _cuba.TAU_RHO_MULT,
            surrogate_scale=self.neuron.scale_rho * _cuba.SCALE_RHO_MULT,
            state_limits=quantize,
        )
        return _CubaDynamics.apply(
            current, bias, current_decay, voltage_decay, self.recurrent_matrix(quantize), spec
        )

    def fold(self, names: list[str], bias: torch.Tensor, quantize: bool) -> list[NeuronLayer]:
        """One ``NeuronLayer`` per group, named ``names``, for input bias ``bias`` (size,)."""
        if len(names) != self.groups:
            raise ValueError(f"need {self.groups} names, got {names}")
        with torch.no_grad():
            integer = self.integer_decays()
            bias = self.voltage_bias(bias, integer[0], quantize).double().cpu().numpy()
            current_decay, voltage_decay = (d.cpu().numpy().astype(np.int64) for d in integer)
            recurrent = self.recurrent_matrix(quantize)
        part = self.tokens * self.features
        shape = (self.tokens, self.features) if self.tokens > 1 else (self.features,)
        layers = []
        for group, name in enumerate(names):
            own = slice(group * part, (group + 1) * part)
            matrix = None
            if recurrent is not None:
                block = recurrent[group].detach().double().cpu().numpy()
                matrix = np.kron(np.eye(self.tokens), block)
            layers.append(
                NeuronLayer(
                    name=name,
                    kind="cuba" if self.spiking else "integrator",
                    current_decay=current_decay[own],
                    voltage_decay=voltage_decay[own],
                    threshold=self.threshold,
                    bias=bias[own],
                    recurrent=matrix,
                    shape=shape,
                )
            )
        return layers
