"""Lava's timing rule, applied to torch sequences of shape (batch, time, features).

In Lava a neuron emits at step t, and a connection (Dense) delivers that output to the next
layer at step t + 1; a DelayDense with ``delay`` d delivers it at step t + 1 + d. The model
applies the same rule with ``shift`` on every connection, so that a network exported to Lava
computes exactly what the model computes, step for step, instead of a time-shifted version.
"""

from __future__ import annotations

import torch

SYNAPSE_DELAY = 1
"""Steps a Lava connection adds between its source's emission and the destination's input."""


def shift(x: torch.Tensor, steps: int) -> torch.Tensor:
    """``x`` (B, T, ...) delayed by ``steps`` in time: y[:, t] = x[:, t - steps], zeros first."""
    if steps == 0:
        return x
    steps = min(steps, x.shape[1])
    pad = x.new_zeros((x.shape[0], steps, *x.shape[2:]))
    return torch.cat([pad, x[:, : x.shape[1] - steps]], dim=1)
