"""A connection between two layers as Lava sees it: one weight matrix, one- or multi-step delay.

A ``Synapse`` sums parallel branches (Rep-Conv, Rep-FC, Rep-identity) that feed one neuron
layer from one source. In training they run as separate branches with batch
statistics; quantization-aware forward passes use the folded matrix rounded to 8 bit, exactly
the weights an export carries. ``freeze`` turns a synapse into one ``nn.Linear`` for
inference (``RATSNN.inference_copy``).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from rat_lava.deploy.network import Connection
from rat_lava.model.timing import SYNAPSE_DELAY, shift


class Synapse(nn.Module):
    """Branches from one source into one layer, delivered ``1 + delay`` steps after emission.

    Args:
        branches: modules with ``in_size``, ``out_size``, ``forward(x, condition) -> (current,
            bias)`` and ``fold(condition) -> (weight, bias)``, all of the same sizes.
        delay: extra steps beyond Lava's one-step connection delay (a DelayDense in Lava).
    """

    def __init__(self, *branches: nn.Module, delay: int = 0) -> None:
        super().__init__()
        self.branches = nn.ModuleList(branches)
        self.delay = delay
        self.in_size = branches[0].in_size
        self.out_size = branches[0].out_size
        self.frozen: nn.Linear | None = None

    def forward(
        self,
        spikes: torch.Tensor,
        condition: int,
        quantize_weight: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(current (B, T, out_size), bias (out_size,)) for source outputs (B, T, in_size).

        With ``quantize_weight`` the folded matrix (running BatchNorm statistics) is quantized
        and applied; otherwise the branches run separately (batch statistics in training).
        """
        x = shift(spikes, SYNAPSE_DELAY + self.delay)
        if self.frozen is not None:
            return self.frozen(x), self.frozen_bias
        if quantize_weight is not None:
            weight, bias = self.fold(condition)
            return x @ quantize_weight(weight).T, bias
        outputs = [branch(x, condition) for branch in self.branches]
        return sum(out[0] for out in outputs), sum(out[1] for out in outputs)

    @torch.no_grad()
    def freeze(
        self, condition: int, quantize_weight: Callable[[torch.Tensor], torch.Tensor] | None
    ) -> None:
        """Replace the branches by one ``nn.Linear`` (no bias) holding the folded weight of
        ``condition`` (quantized by ``quantize_weight`` when given) and keep the folded bias:
        the synapse then computes what the export computes, for inference only (it can no
        longer be trained or folded)."""
        weight, bias = self.fold(condition)
        if quantize_weight is not None:
            weight = quantize_weight(weight)
        linear = nn.Linear(self.in_size, self.out_size, bias=False)
        linear.weight = nn.Parameter(weight.detach().clone(), requires_grad=False)
        self.frozen = linear
        self.register_buffer("frozen_bias", bias.detach().clone())
        self.branches = nn.ModuleList()

    def fold(self, condition: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Equivalent float (weight (out_size, in_size), bias (out_size,))."""
        folded = [branch.fold(condition) for branch in self.branches]
        return sum(f[0] for f in folded), sum(f[1] for f in folded)

    def export(
        self,
        src: str,
        dst: str,
        condition: int,
        quantize_weight: Callable[[torch.Tensor], torch.Tensor] | None,
    ) -> tuple[Connection, torch.Tensor]:
        """The folded ``Connection`` src -> dst (quantized if asked) and its bias (out_size,).

        The bias is returned separately: Lava keeps one bias per neuron, so the destination
        layer sums the biases of all its inputs.
        """
        weight, bias = self.fold(condition)
        if quantize_weight is not None:
            weight = quantize_weight(weight)
        matrix = weight.detach().double().cpu().numpy()
        return Connection(src, dst, matrix, self.delay), bias.detach()
