"""Architecture settings of the RAT SNN (``RATConfig``) and its two presets.

Time constants are in seconds; the network step ``step_s = dt / substeps`` (``dt`` the bin width
of the data, each bin presented over ``substeps`` network steps, see ``rat_lava.deploy.timing``)
converts them into per-step decays, so one config describes the same network for 4 ms and 50 ms
bins.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from rat_lava.constants import DEFAULT_DT
from rat_lava.deploy.timing import BinTiming


@dataclass
class RATConfig:
    """Architecture of ``RATSNN``; rebuildable as ``RATConfig(**dataclasses.asdict(cfg))``.

    Token layers hold ``tokens`` channel tokens of ``token_features`` features each (one time
    step); the embedding maps the C input channels onto them.

    Attributes:
        dt: bin width of the data, seconds.
        substeps: network steps per bin (the network step is dt / substeps).
        read_delay: steps after a bin's last sub-step at which its velocity is read (at most
            ``latency_steps``; ``rat_lava.deploy.timing``); training sets it to the latency.
        tokens: number of channel tokens N.
        token_features: features d per token (split into ``heads`` heads).
        heads: attention heads.
        mlp_width: neurons of the spiking MLP.
        rep_kernels: kernel sizes (odd, along the token axis) of the Rep-Conv branches.
        tau_min_s, tau_max_s: range of the heterogeneous RLIF time constants (seconds);
            current and voltage time constants are spread log-uniformly over it.
        tau_single_s: the one shared time constant when ``multi_timescale`` is False.
        readout_heads: readout heads, each 2 leaky integrators (vx, vy) with its own time
            constant, log-spaced over [readout_tau_min_s, readout_tau_max_s].
        threshold: spiking threshold (model units; Lava vThMant = 64 * threshold).
        tau_grad, scale_grad: slayer surrogate-gradient width and scale (the slope is also
            scaled per neuron by sqrt(alpha_u alpha_v), see ``neurons``).
        bn_gamma: initial BatchNorm gamma (the initial scale of every input current).
        recurrent_gain: initial recurrent weights are uniform in +-gain/sqrt(fan-in).
        attention_delay: steps from the step Q, K, V spike to the step the attention product
            is emitted (0 = a process fed directly by the neuron ports, 1 = fed through
            Dense connections like every other layer, more for a multi-stage decomposition).
            The default 2 is the Loihi-native decomposition: coincidence neurons one step
            after Q, K, V spike, counting neurons one step later.
        attention: False gives the plain chain embed -> MLP -> readout.
        attention_residual: a residual connection around the attention block: X -> M
            (delayed to arrive with U's spikes of the same X step) beside U -> M.
        reparam: False replaces every Rep layer by one plain linear/conv with a bias, no BN.
        multi_timescale: False gives every RLIF neuron the time constant ``tau_single_s``.
        quantize: quantization-aware forward (8-bit weights, 1/64 biases, BN statistics
            frozen at their running values); meant for fine-tuning a float-trained model.
    """

    dt: float = DEFAULT_DT
    substeps: int = 1
    read_delay: int = 0
    tokens: int = 8
    token_features: int = 16
    heads: int = 2
    mlp_width: int = 128
    rep_kernels: tuple[int, ...] = (1, 3)
    tau_min_s: float = 0.004
    tau_max_s: float = 0.4
    tau_single_s: float = 0.04
    readout_heads: int = 5
    readout_tau_min_s: float = 0.02
    readout_tau_max_s: float = 0.4
    threshold: float = 1.0
    tau_grad: float = 0.03
    scale_grad: float = 10.0
    bn_gamma: float = 1.0
    recurrent_gain: float = 0.5
    attention_delay: int = 2
    attention: bool = True
    attention_residual: bool = False
    reparam: bool = True
    multi_timescale: bool = True
    quantize: bool = False

    def __post_init__(self) -> None:
        self.rep_kernels = tuple(int(k) for k in self.rep_kernels)
        problems = []
        if self.dt <= 0:
            problems.append(f"dt must be positive, got {self.dt}")
        if self.substeps < 1:
            problems.append(f"substeps must be >= 1, got {self.substeps}")
        if not 0 <= self.read_delay <= self.latency_steps:
            problems.append(
                f"read_delay must be in [0, latency_steps = {self.latency_steps}] (a longer delay "
                f"would read a later bin's spikes), got {self.read_delay}"
            )
        if self.token_features % self.heads:
            problems.append(f"token_features {self.token_features} not divisible by heads")
        if not self.rep_kernels or any(k < 1 or k % 2 == 0 for k in self.rep_kernels):
            problems.append(f"rep_kernels must be odd and positive, got {self.rep_kernels}")
        if not 0 < self.tau_min_s <= self.tau_max_s:
            problems.append("need 0 < tau_min_s <= tau_max_s")
        if not 0 < self.readout_tau_min_s <= self.readout_tau_max_s:
            problems.append("need 0 < readout_tau_min_s <= readout_tau_max_s")
        if self.attention_delay < 0:
            problems.append("attention_delay must be >= 0")
        if problems:
            raise ValueError("invalid RATConfig: " + "; ".join(problems))

    @classmethod
    def small(cls, **overrides: Any) -> RATConfig:
        """Fast preset: 8 tokens x 16 features, MLP 128 (about 55k parameters at 96 channels)."""
        return replace(cls(), **overrides)

    @classmethod
    def paper(cls, **overrides: Any) -> RATConfig:
        """Paper-sized preset: 16 tokens x 32 features, 4 heads, MLP 512 (about 600k at 96 ch)."""
        return replace(cls(tokens=16, token_features=32, heads=4, mlp_width=512), **overrides)

    @property
    def step_s(self) -> float:
        """The network's time step, seconds."""
        return self.dt / self.substeps

    @property
    def timing(self) -> BinTiming:
        """How the data's bins map onto network steps."""
        return BinTiming(self.dt, self.substeps, self.read_delay)

    @property
    def latency_steps(self) -> int:
        """Steps from an input to the first velocity it affects: one per connection on the
        longest path (input -> X -> [Q/K/V -> A -> U] -> M -> readout) plus the attention
        product's own delay."""
        if self.attention:
            return 6 + self.attention_delay
        return 3

    def decay(self, tau_s: float) -> float:
        """Fraction of a state lost per step for time constant ``tau_s`` (s):
        1 - exp(-step_s / tau)."""
        return 1.0 - math.exp(-self.step_s / tau_s)

    @property
    def head_features(self) -> int:
        """Features per attention head, d / heads."""
        return self.token_features // self.heads

    @property
    def token_size(self) -> int:
        """Neurons in one token layer, N * d."""
        return self.tokens * self.token_features
