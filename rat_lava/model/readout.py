"""Readout: heads x (vx, vy) non-spiking leaky integrators with different time constants.

Each head h integrates the MLP spikes with its own voltage time constant (log-spaced over
[readout_tau_min_s, readout_tau_max_s]); the velocity is the mean over heads of
``alpha_h * v_h``, where alpha_h = vDecay_h / 4096 is the fraction of v lost per step, so that
every head is an exponential moving average of its input with gain 1 whatever its time
constant (the weights stay in the 8-bit range instead of shrinking with alpha). The integrators
are CUBA neurons with current decay 4096 (u[t] = input) that never spike: the Lava decoder
reads their voltage and applies the same scaling and mean. Neurons are laid out as
(head, [vx, vy]).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from rat_lava.deploy.fixed_point import DECAY_SCALE
from rat_lava.deploy.network import Connection, NeuronLayer
from rat_lava.model.config import RATConfig
from rat_lava.model.neurons import RLIF
from rat_lava.model.rep_layers import RepFC
from rat_lava.model.synapse import Synapse

VELOCITY_DIMS = 2


class Readout(nn.Module):
    """Spikes (B, T, in_features) -> velocity (B, T, 2)."""

    def __init__(self, in_features: int, config: RATConfig, n_conditions: int) -> None:
        super().__init__()
        heads = config.readout_heads
        size = heads * VELOCITY_DIMS
        self.synapse = Synapse(RepFC(in_features, size, 1, n_conditions, config))
        log_tau = torch.linspace(
            math.log(config.readout_tau_min_s), math.log(config.readout_tau_max_s), heads
        )
        voltage_tau = log_tau.exp().repeat_interleave(VELOCITY_DIMS)
        self.integrators = RLIF(
            1, 1, size, config, voltage_tau, None, recurrent=False, spiking=False
        )
        self.heads = heads

    def forward(self, spikes: torch.Tensor, condition: int, quantize: bool) -> torch.Tensor:
        """Velocity (B, T, 2): the mean over heads of alpha_h * v_h."""
        drive = self.synapse(spikes, condition, self.integrators.weight_quantizer(quantize))
        voltage = self.integrators(*drive, quantize)
        _, voltage_decay = self.integrators.integer_decays()
        scaled = voltage * (voltage_decay / DECAY_SCALE)
        return scaled.unflatten(-1, (self.heads, VELOCITY_DIMS)).mean(-2)

    def fold(self, src: str, condition: int, quantize: bool) -> tuple[NeuronLayer, Connection]:
        """The integrator layer ``readout`` and its connection from ``src``."""
        weights = self.integrators.weight_quantizer(quantize)
        connection, bias = self.synapse.export(src, "readout", condition, weights)
        return self.integrators.fold(["readout"], bias, quantize)[0], connection
