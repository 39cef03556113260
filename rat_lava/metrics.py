"""Metrics with one definition each (NeuroBench conventions): R², Pearson r, parameter count,
effective synaptic operations (ACs / MACs) per step, activation sparsity, operation energy."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn


def _check_pair(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both as float64 (T, D) arrays; ValueError for other shapes or non-finite values."""
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    if y_true.shape != y_pred.shape or y_true.ndim != 2 or y_true.shape[0] == 0:
        raise ValueError(
            f"targets and predictions must both be (T, D) arrays with T >= 1, got "
            f"{y_true.shape} and {y_pred.shape}"
        )
    if not (np.all(np.isfinite(y_true)) and np.all(np.isfinite(y_pred))):
        raise ValueError("targets and predictions must be finite (found NaN or inf)")
    return y_true, y_pred


@dataclass(frozen=True)
class R2:
    """Coefficient of determination per output dimension and their mean."""

    per_dim: tuple[float, ...]
    mean: float


def r2_score(y_true: np.ndarray, y_pred: np.ndarray) -> R2:
    """NeuroBench primate-reaching R²: 1 - SS_res / SS_tot per dimension, then the mean.

    A dimension whose target is constant (SS_tot = 0) has no R²: it is NaN, and so is the mean.

    Args:
        y_true, y_pred: (T, D) arrays (D = 2 for velocity).

    Raises:
        ValueError: for mismatched shapes or non-finite values.
    """
    y_true, y_pred = _check_pair(y_true, y_pred)
    ss_res = ((y_true - y_pred) ** 2).sum(axis=0)
    ss_tot = ((y_true - y_true.mean(axis=0)) ** 2).sum(axis=0)
    per_dim = tuple(float(v) for v in 1.0 - ss_res / np.where(ss_tot > 0, ss_tot, np.nan))
    return R2(per_dim=per_dim, mean=float(np.mean(per_dim)))


def pearson_r(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[float, ...]:
    """Pearson correlation per dimension of two (T, D) arrays (NaN where a side is constant)."""
    y_true, y_pred = _check_pair(y_true, y_pred)
    a = y_true - y_true.mean(axis=0)
    b = y_pred - y_pred.mean(axis=0)
    norms = np.sqrt((a**2).sum(axis=0) * (b**2).sum(axis=0))
    return tuple(float(v) for v in (a * b).sum(axis=0) / np.where(norms > 0, norms, np.nan))


def parameter_count(params: nn.Module | Mapping[str, torch.Tensor | np.ndarray]) -> int:
    """Number of scalar parameters of a module, or of a dict of tensors / arrays."""
    if isinstance(params, nn.Module):
        return int(sum(p.numel() for p in params.parameters()))
    return int(
        sum(
            v.numel() if isinstance(v, torch.Tensor) else np.asarray(v).size
            for v in params.values()
        )
    )


@dataclass(frozen=True)
class Ops:
    """Effective synaptic operations per time step: accumulates (ACs) and MACs.

    A network's total is the sum of its layers': ``sum(layer_ops, Ops())``.
    """

    acs_per_step: float = 0.0
    macs_per_step: float = 0.0

    def __add__(self, other: Ops) -> Ops:
        return Ops(self.acs_per_step + other.acs_per_step, self.macs_per_step + other.macs_per_step)


def effective_ops(inputs: np.ndarray, weight: np.ndarray) -> Ops:
    """NeuroBench effective synaptic operations of one layer, averaged over time steps.

    At each step every nonzero input costs one operation per nonzero weight in its column
    (its fan-out). Binary spike inputs (every value in {0, 1}) cost accumulates (ACs); graded
    or real-valued inputs cost multiply-accumulates (MACs).

    Args:
        inputs: (T, n_in) input activations, T >= 1.
        weight: (n_out, n_in) weight matrix.
    """
    inputs = np.asarray(inputs)
    weight = np.asarray(weight)
    if (
        inputs.ndim != 2
        or weight.ndim != 2
        or inputs.shape[1] != weight.shape[1]
        or inputs.shape[0] == 0
    ):
        raise ValueError(
            f"inputs must be (T >= 1, n_in) and weight (n_out, n_in), got {inputs.shape} "
            f"and {weight.shape}"
        )
    fan_out = np.count_nonzero(weight, axis=0)
    ops = (inputs != 0).astype(np.int64) @ fan_out
    per_step = float(ops.sum()) / inputs.shape[0]
    binary = bool(np.all((inputs == 0) | (inputs == 1)))
    return Ops(acs_per_step=per_step) if binary else Ops(macs_per_step=per_step)


def activation_sparsity(activations: Iterable[np.ndarray]) -> float:
    """1 - (nonzero activations / all activations) over every given layer and step."""
    nonzero = total = 0
    for a in activations:
        a = np.asarray(a)
        nonzero += int(np.count_nonzero(a))
        total += a.size
    if total == 0:
        raise ValueError("no activations given")
    return 1.0 - nonzero / total


E_AC_PJ = 0.9
"""Energy of one 32-bit floating-point add (an AC) in pJ, 45 nm (Horowitz 2014, below)."""
E_MAC_PJ = 4.6
"""Energy of one 32-bit floating-point multiply (3.7 pJ) and add (0.9 pJ) in pJ, 45 nm."""


def ops_energy_pj(ops: Ops, e_ac: float = E_AC_PJ, e_mac: float = E_MAC_PJ) -> float:
    """Energy per step (pJ) of ``ops`` under the AC / MAC energy convention.

    The defaults are M. Horowitz, "Computing's energy problem (and what we can do about it)",
    ISSCC 2014, 45 nm CMOS, as used by NeuroBench and the SNN-decoding papers. They are not
    Loihi 2 energies; pass measured ones as ``e_ac`` / ``e_mac`` (pJ per operation).
    """
    return ops.acs_per_step * e_ac + ops.macs_per_step * e_mac
