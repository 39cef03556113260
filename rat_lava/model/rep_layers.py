"""Re-parametrized layers (Rep-FC, Rep-Conv, Rep-identity): BN'd branches that fold into one map.

Every layer maps flattened spikes (B, T, tokens * in) to ``(current, bias)``: the linear part
(B, T, tokens * out) and the constant part (tokens * out,) of the neurons' input current (the
neurons turn the constant part into their Lava bias, see ``RLIF.voltage_bias``).
``fold(condition)`` returns the single equivalent weight matrix (tokens * out, tokens * in) and
bias, computed with the running BatchNorm statistics:
W' = W gamma / sqrt(var + eps), b' = beta - mean gamma / sqrt(var + eps), branches summed.
Tokens are laid out token-major: neuron index = token * features + feature.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from rat_lava.model.condition_norm import ConditionBatchNorm
from rat_lava.model.config import RATConfig


def _init_weight(shape: tuple[int, ...], fan_in: int) -> nn.Parameter:
    """Uniform in +-1/sqrt(fan_in), torch's default for linear and conv layers."""
    bound = 1.0 / math.sqrt(fan_in)
    return nn.Parameter(torch.empty(shape).uniform_(-bound, bound))


class RepFC(nn.Module):
    """Rep-FC: BN(W x) on every token, W (out, in) shared by the tokens.

    With ``config.reparam`` False it is a plain linear map with a bias, W x + b.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        tokens: int,
        n_conditions: int,
        config: RATConfig,
    ) -> None:
        super().__init__()
        self.in_features, self.out_features, self.tokens = in_features, out_features, tokens
        self.in_size, self.out_size = tokens * in_features, tokens * out_features
        self.weight = _init_weight((out_features, in_features), in_features)
        self.norm = (
            ConditionBatchNorm(out_features, n_conditions, config.bn_gamma)
            if config.reparam
            else None
        )
        self.bias = None if config.reparam else nn.Parameter(torch.zeros(out_features))

    def _affine(self, h: torch.Tensor | None, condition: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(scale, shift) of the branch; batch statistics when ``h`` is given."""
        if self.norm is None:
            return torch.ones_like(self.bias), self.bias
        if h is None:
            return self.norm.running_affine(condition)
        return self.norm(h, condition, batch_statistics=True)

    def forward(self, x: torch.Tensor, condition: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(current (B, T, out_size), bias (out_size,)) for inputs (B, T, in_size)."""
        h = x.unflatten(-1, (self.tokens, self.in_features)) @ self.weight.T
        scale, shift = self._affine(h if self.training else None, condition)
        return (h * scale).flatten(-2), shift.repeat(self.tokens)

    def fold(self, condition: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Equivalent (weight (out_size, in_size), bias (out_size,)) with running statistics."""
        scale, shift = self._affine(None, condition)
        eye = torch.eye(self.tokens, dtype=self.weight.dtype, device=self.weight.device)
        return torch.kron(eye, scale[:, None] * self.weight), shift.repeat(self.tokens)


class RepIdentity(nn.Module):
    """Identity branch BN(X) per feature, shared by the tokens: a diagonal map plus a bias.

    With ``config.reparam`` False it is a plain learnable diagonal (initialised to
    ``plain_scale``) with a bias.
    """

    def __init__(
        self,
        features: int,
        tokens: int,
        n_conditions: int,
        config: RATConfig,
        plain_scale: float = 1.0,
    ) -> None:
        super().__init__()
        self.features, self.tokens = features, tokens
        self.in_size = self.out_size = tokens * features
        if config.reparam:
            self.norm = ConditionBatchNorm(features, n_conditions, config.bn_gamma)
            self.scale = self.bias = None
        else:
            self.norm = None
            self.scale = nn.Parameter(torch.full((features,), plain_scale))
            self.bias = nn.Parameter(torch.zeros(features))

    def _affine(self, h: torch.Tensor | None, condition: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(scale, shift) per feature; batch statistics when ``h`` is given."""
        if self.norm is None:
            return self.scale, self.bias
        if h is None:
            return self.norm.running_affine(condition)
        return self.norm(h, condition, batch_statistics=True)

    def forward(self, x: torch.Tensor, condition: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(current (B, T, size), bias (size,)) for inputs (B, T, size)."""
        h = x.unflatten(-1, (self.tokens, self.features))
        scale, shift = self._affine(h if self.training else None, condition)
        return (h * scale).flatten(-2), shift.repeat(self.tokens)

    def fold(self, condition: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Equivalent (diagonal weight (size, size), bias (size,)) with running statistics."""
        scale, shift = self._affine(None, condition)
        return torch.diag(scale.repeat(self.tokens)), shift.repeat(self.tokens)


class RepConv(nn.Module):
    """Rep-Conv along the token axis: sum_k BN_k(conv_k(X)) + BN_id(X), features -> features.

    One branch per kernel size in ``config.rep_kernels`` (zero 'same' padding over the tokens)
    plus the identity branch (``RepIdentity``). With ``config.reparam`` False it is a single
    convolution with the largest kernel and a bias.
    """

    def __init__(self, features: int, tokens: int, n_conditions: int, config: RATConfig) -> None:
        super().__init__()
        self.features, self.tokens = features, tokens
        self.in_size = self.out_size = tokens * features
        kernels = config.rep_kernels if config.reparam else (max(config.rep_kernels),)
        self.convs = nn.ModuleList(
            nn.Conv1d(features, features, k, padding=k // 2, bias=False) for k in kernels
        )
        if config.reparam:
            self.norms = nn.ModuleList(
                ConditionBatchNorm(features, n_conditions, config.bn_gamma) for _ in kernels
            )
            self.identity = RepIdentity(features, tokens, n_conditions, config)
            self.bias = None
        else:
            self.norms = self.identity = None
            self.bias = nn.Parameter(torch.zeros(features))

    def _convolutions(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Pre-BN outputs (B, T, tokens, features) of the convolution branches."""
        batch, steps = x.shape[:2]
        signal = x.reshape(batch * steps, self.tokens, self.features).transpose(1, 2)
        return [
            conv(signal).transpose(1, 2).reshape(batch, steps, self.tokens, self.features)
            for conv in self.convs
        ]

    def _affines(
        self, branches: list[torch.Tensor] | None, condition: int
    ) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """(scale, shift) per convolution; batch statistics when the outputs are given."""
        if self.norms is None:
            return [(torch.ones_like(self.bias), self.bias)]
        if branches is None:
            return [norm.running_affine(condition) for norm in self.norms]
        return [norm(h, condition, True) for norm, h in zip(self.norms, branches, strict=True)]

    def forward(self, x: torch.Tensor, condition: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(current (B, T, out_size), bias (out_size,)) for inputs (B, T, in_size)."""
        branches = self._convolutions(x)
        affines = self._affines(branches if self.training else None, condition)
        scaled = [h * scale for h, (scale, _) in zip(branches, affines, strict=True)]
        current = sum(scaled).flatten(-2)
        bias = sum(shift for _, shift in affines).repeat(self.tokens)
        if self.identity is not None:
            identity_current, identity_bias = self.identity(x, condition)
            current, bias = current + identity_current, bias + identity_bias
        return current, bias

    def fold(self, condition: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Equivalent (weight (out_size, in_size), bias (out_size,)) with running statistics."""
        affines = self._affines(None, condition)
        like = self.convs[0].weight
        weight = like.new_zeros(self.out_size, self.in_size)
        for conv, (scale, _) in zip(self.convs, affines, strict=True):
            size = conv.kernel_size[0]
            for tap in range(size):
                offset = tap - size // 2  # output token n reads input token n + offset
                band = torch.diag(like.new_ones(self.tokens - abs(offset)), offset)
                weight = weight + torch.kron(band, scale[:, None] * conv.weight[:, :, tap])
        bias = sum(shift for _, shift in affines).repeat(self.tokens)
        if self.identity is not None:
            identity_weight, identity_bias = self.identity.fold(condition)
            weight, bias = weight + identity_weight, bias + identity_bias
        return weight, bias
