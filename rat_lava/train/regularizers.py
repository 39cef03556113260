"""Training-time constraints of the RAT SNN: a firing-rate upper bound and magnitude pruning."""

from __future__ import annotations

import torch
from torch import nn


class FiringRateBound:
    """Penalty on spiking layers whose mean firing rate exceeds ``bound_hz``.

    Hooks every module with ``spiking = True`` (RLIF layers) and, when called, returns
    ``weight * sum_l relu(rate_l - bound)^2`` with rates in spikes per step, computed from the
    last forward pass. Call ``remove()`` to detach the hooks.
    """

    def __init__(self, model: nn.Module, bound_hz: float, dt: float, weight: float = 10.0) -> None:
        self.bound = bound_hz * dt
        self.weight = weight
        self.rates: dict[str, torch.Tensor] = {}
        self.handles = [
            module.register_forward_hook(self._hook(name))
            for name, module in model.named_modules()
            if getattr(module, "spiking", False)
        ]
        if not self.handles:
            raise ValueError("the model has no spiking layers to bound")

    def _hook(self, name: str):
        def record(_module: nn.Module, _inputs: tuple, output: torch.Tensor) -> None:
            self.rates[name] = output.mean()

        return record

    def __call__(self, _model: nn.Module) -> torch.Tensor:
        excess = [torch.relu(rate - self.bound) ** 2 for rate in self.rates.values()]
        return self.weight * torch.stack(excess).sum()

    def remove(self) -> None:
        """Detach the forward hooks."""
        for handle in self.handles:
            handle.remove()


def prunable(model: nn.Module) -> dict[str, nn.Parameter]:
    """Synaptic weight matrices and kernels (parameters named ``*weight`` with >= 2 dims)."""
    return {n: p for n, p in model.named_parameters() if n.endswith("weight") and p.dim() >= 2}


def magnitude_masks(model: nn.Module, sparsity: float) -> dict[str, torch.Tensor]:
    """Global magnitude pruning: masks that zero the ``sparsity`` fraction of smallest weights."""
    if not 0.0 <= sparsity < 1.0:
        raise ValueError(f"sparsity must be in [0, 1), got {sparsity}")
    weights = prunable(model)
    magnitudes = torch.cat([p.detach().abs().flatten() for p in weights.values()])
    k = int(sparsity * magnitudes.numel())
    if k == 0:
        return {n: torch.ones_like(p) for n, p in weights.items()}
    cutoff = magnitudes.kthvalue(k).values
    return {n: (p.detach().abs() > cutoff).to(p.dtype) for n, p in weights.items()}


def apply_masks(model: nn.Module, masks: dict[str, torch.Tensor]) -> None:
    """Zero the pruned weights in place (called after every optimizer step)."""
    weights = prunable(model)
    with torch.no_grad():
        for name, mask in masks.items():
            weights[name].mul_(mask)


def weight_sparsity(model: nn.Module) -> float:
    """Fraction of zero entries over all prunable weights."""
    weights = prunable(model).values()
    zeros = sum(int((p == 0).sum()) for p in weights)
    return zeros / max(1, sum(p.numel() for p in weights))
