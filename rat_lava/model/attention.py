"""The RAT attention block over channel tokens, with Lava's timing.

    Q, K, V = RLIF(Rep-Conv(X) + Rep-FC(X))        per token, d features each
    P       = Q (K^T V)  per head, within one step  integer counts (spikes in, graded out)
    A       = RLIF(BN(P))                           the attention scale
    U       = RLIF(BN(A) + Rep-FC(X))               the surrogate shortcut

The scale of P is its (condition-specific) BatchNorm: it folds into a learnable diagonal weight
per feature (an 8-bit integer weight in fixed point) plus a neuron bias, which also removes the
always-positive mean of the counts. A enters U through the same kind of BN'd identity branch
(as in Rep-Conv), not with weight 1, which would saturate U with every A spike.

Steps after X spikes at step t: Q, K, V spike at t + 1, the product is emitted at t + 1 + D
(D = ``config.attention_delay``), A spikes at t + 2 + D, U at t + 3 + D. The shortcut X -> U is
therefore a connection with 2 + D extra delay steps (a DelayDense), so that both inputs of U
come from the same X step. All RLIF layers here are token layers: recurrence within a token.
"""

from __future__ import annotations

import torch
from torch import nn

from rat_lava.deploy.network import AttentionProduct, Connection, NeuronLayer
from rat_lava.model.config import RATConfig
from rat_lava.model.neurons import RLIF, timescales
from rat_lava.model.rep_layers import RepConv, RepFC, RepIdentity
from rat_lava.model.synapse import Synapse
from rat_lava.model.timing import shift


def attention_product(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, tokens: int, heads: int
) -> torch.Tensor:
    """Per-head Q (K^T V) over the tokens of each step; q, k, v and result (B, T, tokens * d)."""
    shape = (*q.shape[:-1], tokens, heads, q.shape[-1] // (tokens * heads))
    kv = torch.einsum("btnhi,btnhj->bthij", k.reshape(shape), v.reshape(shape))
    return torch.einsum("btnhi,bthij->btnhj", q.reshape(shape), kv).reshape(q.shape)


class AttentionBlock(nn.Module):
    """Token layer X (B, T, N d) spikes -> U (B, T, N d) spikes; see the module docstring."""

    def __init__(self, config: RATConfig, n_conditions: int) -> None:
        super().__init__()
        self.config = config
        tokens, features, size = config.tokens, config.token_features, config.token_size

        def rep_input() -> Synapse:
            return Synapse(
                RepConv(features, tokens, n_conditions, config),
                RepFC(features, features, tokens, n_conditions, config),
            )

        def token_layer(groups: int) -> RLIF:
            taus = [timescales(groups * size, config) for _ in range(2)]
            return RLIF(groups, tokens, features, config, taus[0], taus[1])

        self.to_q, self.to_k, self.to_v = rep_input(), rep_input(), rep_input()
        self.qkv = token_layer(3)
        typical_product = tokens * config.head_features
        self.to_a = Synapse(
            RepIdentity(features, tokens, n_conditions, config, 1.0 / typical_product)
        )
        self.a = token_layer(1)
        self.a_to_u = Synapse(RepIdentity(features, tokens, n_conditions, config, config.bn_gamma))
        self.shortcut = Synapse(
            RepFC(features, features, tokens, n_conditions, config),
            delay=2 + config.attention_delay,
        )
        self.u = token_layer(1)

    def forward(self, x: torch.Tensor, condition: int, quantize: bool) -> torch.Tensor:
        """U spikes (B, T, N d) for X spikes (B, T, N d)."""
        cfg = self.config
        weights = self.qkv.weight_quantizer(quantize)
        drives = [syn(x, condition, weights) for syn in (self.to_q, self.to_k, self.to_v)]
        current = torch.cat([drive[0] for drive in drives], dim=-1)
        bias = torch.cat([drive[1] for drive in drives])
        q, k, v = self.qkv(current, bias, quantize).chunk(3, dim=-1)
        product = shift(attention_product(q, k, v, cfg.tokens, cfg.heads), cfg.attention_delay)
        a = self.a(*self.to_a(product, condition, self.a.weight_quantizer(quantize)), quantize)
        weights = self.u.weight_quantizer(quantize)
        skip_current, skip_bias = self.a_to_u(a, condition, weights)
        short_current, short_bias = self.shortcut(x, condition, weights)
        return self.u(skip_current + short_current, skip_bias + short_bias, quantize)

    def fold(
        self, src: str, condition: int, quantize: bool
    ) -> tuple[list[NeuronLayer], list[Connection], AttentionProduct]:
        """Layers q, k, v, a, u, their connections from ``src`` and the product node ``attn``."""
        cfg = self.config
        weights = self.qkv.weight_quantizer(quantize)
        exported = [
            syn.export(src, name, condition, weights)
            for syn, name in ((self.to_q, "q"), (self.to_k, "k"), (self.to_v, "v"))
        ]
        connections = [conn for conn, _ in exported]
        qkv_bias = torch.cat([bias for _, bias in exported])
        layers = self.qkv.fold(["q", "k", "v"], qkv_bias, quantize)
        product = AttentionProduct(
            name="attn",
            q="q",
            k="k",
            v="v",
            tokens=cfg.tokens,
            heads=cfg.heads,
            head_features=cfg.head_features,
            delay=cfg.attention_delay,
        )
        weights = self.a.weight_quantizer(quantize)
        to_a, a_bias = self.to_a.export("attn", "a", condition, weights)
        layers += self.a.fold(["a"], a_bias, quantize)
        weights = self.u.weight_quantizer(quantize)
        skip, skip_bias = self.a_to_u.export("a", "u", condition, weights)
        short, short_bias = self.shortcut.export(src, "u", condition, weights)
        layers += self.u.fold(["u"], skip_bias + short_bias, quantize)
        return layers, [*connections, to_a, skip, short], product
