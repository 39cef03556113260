"""Group per-neuron decays into a few timescale groups (one decay pair per Loihi 2 profile).

A Lava LIF process takes per-neuron decays, which the CPU simulation runs as they are; on
Loihi 2 the number of distinct neuron profiles per core is limited, so a hardware-faithful
export gives each spiking layer at most G (current_decay, voltage_decay) pairs.

Clustering is deterministic k-means (Lloyd) in the plane of log decay rates, log(-log(1 - d /
4096)) = -log(time constant in steps), for u and v together: the centres start at the
quantile points of the neurons sorted by their summed log rates; a centre's decay pair is the
one of its mean log rates. A neuron's bias is rescaled with its current decay (the bias
cancels a mean input that u accumulates with gain 4096 / current_decay, see
``rat_lava.model.neurons.RLIF.voltage_bias``) and re-rounded. Integrator layers keep their
decays: their leak is a synapse weight in Lava (``docs/lava_notes.md`` section 6), not a neuron
profile.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from rat_lava.deploy.fixed_point import DECAY_SCALE
from rat_lava.deploy.network import FoldedNetwork
from rat_lava.export.quantize import quantize_bias, quantize_decay

MAX_ITERATIONS = 100
"""Lloyd iterations at most (they stop earlier once no neuron changes group)."""

DecayGroups = dict[str, list[tuple[int, int, int]]]
"""Per layer: (current_decay, voltage_decay, neurons) of each distinct pair, sorted."""


def _log_rates(decays: np.ndarray) -> np.ndarray:
    """log(-log(1 - d / 4096)) with d kept inside [1, 4095] (finite for 0 and 4096)."""
    fraction = np.clip(decays, 1, DECAY_SCALE - 1) / DECAY_SCALE
    return np.log(-np.log1p(-fraction))


def _decays(log_rates: np.ndarray) -> np.ndarray:
    """Inverse of ``_log_rates``, rounded to 12-bit integers."""
    return quantize_decay(DECAY_SCALE * -np.expm1(-np.exp(log_rates)))


def cluster_pairs(current: np.ndarray, voltage: np.ndarray, groups: int) -> np.ndarray:
    """Group index (n,) of each (current, voltage) decay pair, at most ``groups`` groups."""
    points = np.stack([_log_rates(current), _log_rates(voltage)], axis=1)
    order = np.lexsort((points[:, 1], points[:, 0], points.sum(axis=1)))
    n = len(points)
    starts = order[np.minimum(((np.arange(groups) + 0.5) * n / groups).astype(int), n - 1)]
    centres = points[starts]
    labels = np.full(n, -1)
    for _ in range(MAX_ITERATIONS):
        distance = ((points[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
        new = distance.argmin(axis=1)
        if np.array_equal(new, labels):
            break
        labels = new
        for group in range(groups):
            members = points[labels == group]
            if len(members):
                centres[group] = members.mean(axis=0)
    return labels


def group_pairs(
    current: np.ndarray, voltage: np.ndarray, groups: int
) -> tuple[np.ndarray, np.ndarray]:
    """Decay arrays (n,) with at most ``groups`` distinct (current, voltage) pairs."""
    pairs = np.unique(np.stack([current, voltage], axis=1), axis=0)
    if len(pairs) <= groups:
        return np.asarray(current).copy(), np.asarray(voltage).copy()
    labels = cluster_pairs(current, voltage, groups)
    new_current, new_voltage = np.empty_like(current), np.empty_like(voltage)
    for group in np.unique(labels):
        members = labels == group
        new_current[members] = _decays(_log_rates(current[members]).mean())
        new_voltage[members] = _decays(_log_rates(voltage[members]).mean())
    return new_current, new_voltage


def decay_groups(network: FoldedNetwork) -> DecayGroups:
    """The distinct decay pairs of every spiking layer, with their neuron counts."""
    result = {}
    for layer in network.layers:
        if layer.kind == "cuba":
            pairs, counts = np.unique(
                np.stack([layer.current_decay, layer.voltage_decay], axis=1),
                axis=0,
                return_counts=True,
            )
            result[layer.name] = [
                (int(c), int(v), int(k)) for (c, v), k in zip(pairs, counts, strict=True)
            ]
    return result


def group_timescales(network: FoldedNetwork, groups: int) -> FoldedNetwork:
    """``network`` (quantized) with each spiking layer's decays reduced to ``groups`` pairs."""
    if groups < 1:
        raise ValueError(f"timescale groups must be >= 1, got {groups}")
    layers = []
    for layer in network.layers:
        if layer.kind != "cuba":
            layers.append(layer)
            continue
        current, voltage = group_pairs(layer.current_decay, layer.voltage_decay, groups)
        gain = np.maximum(layer.current_decay, 1) / np.maximum(current, 1)
        bias, _ = quantize_bias(layer.bias * gain)
        layers.append(replace(layer, current_decay=current, voltage_decay=voltage, bias=bias))
    return replace(network, layers=layers)
