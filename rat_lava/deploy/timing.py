"""Data bins and network steps: one definition for training, export, the reference and Lava.

The network runs at its own time step ``step_s`` (seconds), which divides the data's bin width
``dt``: each bin is presented over ``substeps`` = dt / step_s consecutive network steps. A bin's
spike counts are spread evenly over its sub-steps (integers, totals kept: spike j of n at
sub-step ceil(K (j - 1/2) / n) - 1, as if the spikes had come evenly through the bin), and the
velocity of bin t is read ``read_delay`` steps after the bin's last sub-step, at step
t * substeps + substeps - 1 + read_delay. With ``read_delay`` equal to the network's latency (the
training default) the read sees every spike of the bin and none of a later bin; with 0 (networks
made before sub-steps, and the plain ``RATConfig``) the network predicts its latency ahead. With
one sub-step per bin and no read delay this is the plain one-step-per-bin network.

Why (measured on the real S1 recording, README "Network step"): every synapse delays by one
step, so the pipeline latency is a number of steps (8 for the small RAT); counted in 50 ms bins
that is 400 ms and the decoder fails (R² 0.04), counted in 5 ms steps it is 40 ms. Of the ways
to present a bin and read its velocity that keep the latency within one bin, spreading the
counts and reading one latency after the bin scored best.

A whole sequence of T bins runs T * substeps + read_delay steps (the last ``read_delay`` steps
get no input; nothing read depends on them). Streaming one bin at a time (``substeps`` steps per
call), the velocity read during the call for bin s is that of bin s - ``lag_bins``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MAX_STEP_S = 0.005
"""The default network step is the largest step of at most 5 ms that divides the bin: 4 ms bins
run one step per bin, 10 ms bins 2 x 5 ms, 20 ms bins 4 x 5 ms, 50 ms bins 10 x 5 ms. Loihi 2
itself steps at about 1 ms whatever the data; simulation time grows with the sub-steps."""

RATIO_TOLERANCE = 1e-6
"""Relative tolerance when checking that a step divides a bin (bin widths are stored as floats)."""


def default_substeps(dt: float) -> int:
    """Sub-steps per bin of ``dt`` seconds for the default network step (``MAX_STEP_S``)."""
    return max(1, math.ceil(dt / MAX_STEP_S * (1 - RATIO_TOLERANCE)))


def substeps_for(dt: float, step_s: float) -> int:
    """Sub-steps per bin when the network steps every ``step_s`` seconds; ValueError with the
    nearest steps that divide the bin when ``step_s`` does not divide ``dt``."""
    if not step_s > 0:
        raise ValueError(f"the network step must be positive, got {step_s * 1e3:g} ms")
    ratio = dt / step_s
    substeps = round(ratio)
    if substeps < 1 or abs(ratio - substeps) > RATIO_TOLERANCE * ratio:
        below = dt / max(1, math.ceil(ratio))
        above = dt / max(1, math.floor(ratio))
        raise ValueError(
            f"a network step of {step_s * 1e3:g} ms does not divide the {dt * 1e3:g} ms bins; "
            f"steps that do are dt / k, e.g. {below * 1e3:g} ms or {above * 1e3:g} ms"
        )
    return substeps


@dataclass(frozen=True)
class BinTiming:
    """How bins of ``dt`` seconds map onto network steps: ``substeps`` steps per bin, each bin's
    velocity read ``read_delay`` steps after its last sub-step (see the module docstring)."""

    dt: float
    substeps: int = 1
    read_delay: int = 0

    def __post_init__(self) -> None:
        if not self.dt > 0 or self.substeps < 1 or self.read_delay < 0:
            raise ValueError(
                f"need dt > 0, substeps >= 1 and read_delay >= 0, got {self.dt}, "
                f"{self.substeps}, {self.read_delay}"
            )

    @property
    def step_s(self) -> float:
        """The network's time step, seconds."""
        return self.dt / self.substeps

    @property
    def read_step(self) -> int:
        """Step, counted from a bin's first sub-step, at which its velocity is read."""
        return self.substeps - 1 + self.read_delay

    @property
    def lag_bins(self) -> int:
        """Bins between the one being streamed and the one whose velocity is read meanwhile."""
        return self.read_step // self.substeps

    @property
    def stream_substep(self) -> int:
        """Sub-step of the streamed bin at which the velocity of bin s - ``lag_bins`` is read."""
        return self.read_step % self.substeps

    def latency_ms(self, latency_steps: int) -> float:
        """Milliseconds from the step an input enters to the first output it affects."""
        return latency_steps * self.step_s * 1e3

    def n_steps(self, bins: int) -> int:
        """Network steps that decode ``bins`` bins as a whole sequence."""
        return bins * self.substeps + self.read_delay

    def spread(self, counts: np.ndarray) -> np.ndarray:
        """Per-step input (..., T * substeps, C) for per-bin counts (..., T, C), any integer
        counts spread evenly over each bin's sub-steps, totals kept; no tail."""
        counts = np.asarray(counts)
        k = self.substeps
        if k == 1:
            return counts
        *lead, bins, channels = counts.shape
        edges = np.arange(k + 1)
        cumulative = (2 * counts[..., None, :] * edges[:, None] + k) // (2 * k)
        steps = np.diff(cumulative, axis=-2).astype(counts.dtype)
        return steps.reshape(*lead, bins * k, channels)

    def to_steps(self, counts: np.ndarray) -> np.ndarray:
        """Per-step input (T * substeps + read_delay, C) that decodes per-bin counts (T, C) as a
        whole sequence: ``spread`` and ``read_delay`` steps of zeros."""
        steps = self.spread(counts)
        if not self.read_delay:
            return steps
        tail = np.zeros((self.read_delay, steps.shape[-1]), dtype=steps.dtype)
        return np.concatenate([steps, tail])

    def to_bins(self, per_step: np.ndarray) -> np.ndarray:
        """Per-bin rows (T, ...) of per-step values (T * substeps + read_delay, ...): each bin's
        row at its ``read_step``."""
        values = np.asarray(per_step)
        bins = (len(values) - self.read_delay) // self.substeps
        return values[self.read_step :: self.substeps][:bins]

    def bin_sums(self, per_step: np.ndarray) -> np.ndarray:
        """Per-bin sums (T, ...) of per-step values (T * substeps + read_delay, ...), e.g. spikes
        per bin: bin t sums the ``substeps`` steps up to and including its ``read_step``."""
        values = np.asarray(per_step)
        bins = (len(values) - self.read_delay) // self.substeps
        window = values[self.read_delay : self.read_delay + bins * self.substeps]
        return window.reshape(bins, self.substeps, *values.shape[1:]).sum(axis=1)
