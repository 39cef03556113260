"""RATSNN: the Re-parametrized self-Attention Spiking Neural Network decoder.

    counts (C) -> Rep-FC -> X = RLIF (N tokens x d)         embedding into channel tokens
               -> attention block (Q, K, V, A, U)            see ``attention``
               -> Rep-FC -> M = RLIF (mlp_width)             spiking MLP
               -> Rep-FC -> readout integrators -> (vx, vy)  see ``readout``

With ``config.attention`` False the chain is X -> M -> readout; ``config.attention_residual``
adds X -> M beside U -> M (delayed to arrive with U). Every connection adds Lava's
one-step delay, so the velocity at step t depends on the input up to step t - latency_steps.
The network steps ``config.substeps`` times per data bin (``rat_lava.deploy.timing``): a bin's
counts are spread over its sub-steps and its velocity is read ``config.read_delay`` steps after
its last.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from rat_lava.deploy.network import INPUT, FoldedNetwork
from rat_lava.model.attention import AttentionBlock
from rat_lava.model.config import RATConfig
from rat_lava.model.neurons import RLIF, timescales
from rat_lava.model.readout import Readout
from rat_lava.model.rep_layers import RepFC
from rat_lava.model.synapse import Synapse


class RATSNN(nn.Module):
    """RAT SNN velocity decoder, batch-first like a GRU.

    Args:
        config: architecture (``RATConfig.small()`` or ``RATConfig.paper()``).
        n_channels: input channels C.
        conditions: condition ids (subject/session); one BatchNorm set each, the first is the
            default.
    """

    def __init__(self, config: RATConfig, n_channels: int, conditions: list[str]) -> None:
        super().__init__()
        if not conditions:
            raise ValueError("RATSNN needs at least one condition")
        if len(set(conditions)) != len(conditions):
            raise ValueError(f"duplicate condition ids in {conditions}")
        self.config = config
        self.n_channels = n_channels
        self.conditions = list(conditions)
        n_cond = len(conditions)
        tokens, features, size = config.tokens, config.token_features, config.token_size

        def layer(tokens: int, features: int) -> RLIF:
            taus = [timescales(tokens * features, config) for _ in range(2)]
            return RLIF(1, tokens, features, config, taus[0], taus[1])

        self.embed = Synapse(RepFC(n_channels, size, 1, n_cond, config))
        self.x = layer(tokens, features)
        self.attention = AttentionBlock(config, n_cond) if config.attention else None
        self.to_mlp = Synapse(RepFC(size, config.mlp_width, 1, n_cond, config))
        self.residual = None
        if config.attention and config.attention_residual:
            # X spikes at t reach U at t + 3 + D (see ``attention``); X -> M waits as long
            self.residual = Synapse(
                RepFC(size, config.mlp_width, 1, n_cond, config),
                delay=3 + config.attention_delay,
            )
        self.mlp = layer(1, config.mlp_width)
        self.readout = Readout(config.mlp_width, config, n_cond)

    @property
    def latency_steps(self) -> int:
        """Steps from an input to the first velocity it affects (``RATConfig.latency_steps``)."""
        return self.config.latency_steps

    def condition_index(self, condition: str | None) -> int:
        """Index of the BatchNorm set of ``condition`` (None: the first condition)."""
        if condition is None:
            return 0
        try:
            return self.conditions.index(condition)
        except ValueError:
            raise ValueError(
                f"unknown condition {condition!r}; the model knows {self.conditions}"
            ) from None

    def forward(self, spikes: torch.Tensor, condition: str | None = None) -> torch.Tensor:
        """Velocity (N, T, 2) for spike counts (N, T, C) per bin (float; counts > 1 are graded
        input); the network runs T * substeps steps (``rat_lava.deploy.timing``)."""
        if spikes.dim() != 3 or spikes.shape[-1] != self.n_channels:
            raise ValueError(
                f"expected spikes of shape (N, T, {self.n_channels}), got {tuple(spikes.shape)}"
            )
        index = self.condition_index(condition)
        quantize = self.config.quantize
        timing = self.config.timing
        bins = spikes.shape[1]
        spikes = _to_steps(spikes, timing.substeps, timing.read_delay)
        x = self.x(*self.embed(spikes, index, self.x.weight_quantizer(quantize)), quantize)
        u = self.attention(x, index, quantize) if self.attention is not None else x
        weights = self.mlp.weight_quantizer(quantize)
        current, bias = self.to_mlp(u, index, weights)
        if self.residual is not None:
            skip_current, skip_bias = self.residual(x, index, weights)
            current, bias = current + skip_current, bias + skip_bias
        m = self.mlp(current, bias, quantize)
        return self.readout(m, index, quantize)[:, timing.read_step :: timing.substeps][:, :bins]

    @torch.no_grad()
    def inference_copy(self, condition: str | None = None) -> RATSNN:
        """A copy for inference on ``condition`` only, each synapse one ``nn.Linear``.

        Every synapse holds its folded weight (8-bit quantized when ``config.quantize``, as
        the export) and bias, its branches dropped: the copy computes what this model computes
        in eval mode, with the footprint of the deployed network. Tools that hook
        ``nn.Linear`` modules (NeuroBench's harness) see every feed-forward connection.
        """
        index = self.condition_index(condition)
        frozen = copy.deepcopy(self).eval()
        quantize = frozen.config.quantize
        targets = [
            (frozen.embed, frozen.x),
            (frozen.to_mlp, frozen.mlp),
            (frozen.residual, frozen.mlp),
            (frozen.readout.synapse, frozen.readout.integrators),
        ]
        block = frozen.attention
        if block is not None:
            targets += [
                (block.to_q, block.qkv),
                (block.to_k, block.qkv),
                (block.to_v, block.qkv),
                (block.to_a, block.a),
                (block.a_to_u, block.u),
                (block.shortcut, block.u),
            ]
        for synapse, layer in targets:
            if synapse is not None:
                synapse.freeze(index, layer.weight_quantizer(quantize))
        frozen.conditions = [self.conditions[index]]
        return frozen

    @torch.no_grad()
    def fold(self, condition: str | None = None) -> FoldedNetwork:
        """The deployed network for ``condition``: BatchNorms folded, branches summed.

        Weights and biases are quantized when ``config.quantize`` is set (what the model
        computes is then exactly what the export computes); otherwise they are floats.
        """
        index = self.condition_index(condition)
        quantize = self.config.quantize
        embed, bias = self.embed.export(INPUT, "x", index, self.x.weight_quantizer(quantize))
        layers = self.x.fold(["x"], bias, quantize)
        connections = [embed]
        products = []
        source = "x"
        if self.attention is not None:
            block_layers, block_connections, product = self.attention.fold("x", index, quantize)
            layers += block_layers
            connections += block_connections
            products.append(product)
            source = "u"
        weights = self.mlp.weight_quantizer(quantize)
        to_mlp, bias = self.to_mlp.export(source, "mlp", index, weights)
        if self.residual is not None:
            residual, skip_bias = self.residual.export("x", "mlp", index, weights)
            connections.append(residual)
            bias = bias + skip_bias
        layers += self.mlp.fold(["mlp"], bias, quantize)
        readout, to_readout = self.readout.fold("mlp", index, quantize)
        return FoldedNetwork(
            n_inputs=self.n_channels,
            dt=self.config.dt,
            substeps=self.config.substeps,
            read_delay=self.config.read_delay,
            condition=self.conditions[index],
            layers=[*layers, readout],
            connections=[*connections, to_mlp, to_readout],
            products=products,
            readout="readout",
            readout_heads=self.readout.heads,
            quantized=quantize,
        )


def _to_steps(spikes: torch.Tensor, substeps: int, read_delay: int) -> torch.Tensor:
    """Per-step input (N, T * substeps + read_delay, C) for counts (N, T, C): each bin's counts
    spread evenly over its sub-steps, then ``read_delay`` steps of zeros; the torch twin of
    ``rat_lava.deploy.timing.BinTiming.to_steps`` (the tests check they agree)."""
    batch, bins, channels = spikes.shape
    if substeps > 1:
        edges = torch.arange(substeps + 1, dtype=spikes.dtype, device=spikes.device)
        twice = 2 * spikes[:, :, None, :] * edges[:, None] + substeps
        cumulative = torch.div(twice, 2 * substeps, rounding_mode="floor")
        spikes = torch.diff(cumulative, dim=2).reshape(batch, bins * substeps, channels)
    return nn.functional.pad(spikes, (0, 0, 0, read_delay)) if read_delay else spikes
