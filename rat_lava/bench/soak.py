"""Long streaming runs: ``LavaDecoder.step`` bin after bin, checked against the reference.

``soak`` feeds a decoder one bin at a time, as a live decoder is fed, over a stream of any
length. Every ``checkpoint_every`` steps (a checkpoint) it runs the fixed-point reference
(``rat_lava.reference.stream.DeployedStream``, whose state carries over from the previous
checkpoint) over the same bins, compares every velocity of that window with what the Lava run
returned, and records the resident memory of this process and of Lava's child processes
(``rat_lava.bench.memory.tree_rss``, cheap); at ``pss_points`` evenly spaced checkpoints, the
first and the last among them, also their physical memory (``tree_pss``, slow). Memory stays
bounded on the host side: one window of counts and outputs at a time.
"""

from __future__ import annotations

import time
from typing import NamedTuple

import numpy as np
from tqdm import tqdm

from rat_lava.bench.memory import tree_pss, tree_rss
from rat_lava.lava.decoder import LavaDecoder
from rat_lava.reference.stream import DeployedStream


class Checkpoint(NamedTuple):
    """State after ``step`` steps: wall-clock seconds since the first step, resident memory
    (``tree_rss``, bytes), the largest |Lava - reference| velocity of the window just done, and
    the physical memory (``tree_pss``, bytes) where it was sampled, else None."""

    step: int
    elapsed_s: float
    rss_bytes: int
    max_abs_diff: float
    pss_bytes: int | None


class SoakReport(NamedTuple):
    """A soak run: ``steps`` steps in ``wall_s`` seconds (reference checks included), of which
    ``step_s`` inside ``LavaDecoder.step``; ``rss_start`` is ``tree_rss`` right after the first
    step (the Lava children running); one ``Checkpoint`` per window."""

    steps: int
    wall_s: float
    step_s: float
    rss_start: int
    checkpoints: list[Checkpoint]

    @property
    def steps_per_s(self) -> float:
        """Streaming rate of the Lava run alone (steps / ``step_s``)."""
        return self.steps / self.step_s

    @property
    def rss_end(self) -> int:
        """``tree_rss`` at the last checkpoint (bytes)."""
        return self.checkpoints[-1].rss_bytes

    @property
    def max_abs_diff(self) -> float:
        """Largest |Lava - reference| velocity over every checked step (0 when bit-exact)."""
        return max(c.max_abs_diff for c in self.checkpoints)

    @property
    def sampled(self) -> list[Checkpoint]:
        """The checkpoints with a ``tree_pss`` sample (the first and the last among them)."""
        return [c for c in self.checkpoints if c.pss_bytes is not None]


def repeated_bins(spikes: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Bins ``start`` .. ``stop`` - 1 of ``spikes`` (T, C) repeated end to end (bin t is row
    t mod T), as a (stop - start, C) array."""
    return np.take(spikes, np.arange(start, stop) % len(spikes), axis=0)


def soak(
    decoder: LavaDecoder,
    spikes: np.ndarray,
    steps: int,
    checkpoint_every: int = 1000,
    pss_points: int = 10,
    progress: bool = False,
) -> SoakReport:
    """Stream ``steps`` bins of ``spikes`` (T, C) repeated end to end through ``decoder.step``
    (a fixed-point backend) and check every one against the reference; see the module docstring.

    ``pss_points`` (>= 2) checkpoints get a ``tree_pss`` sample. The decoder's streaming run is
    left running (reuse or ``close`` it; use it as a context manager so that its Lava processes
    stop on any error). ``progress`` shows a tqdm bar.
    """
    if steps < 1 or checkpoint_every < 1 or pss_points < 2:
        raise ValueError("steps and checkpoint_every must be >= 1, pss_points >= 2")
    windows = -(-steps // checkpoint_every)
    pss_at = set(np.linspace(0, windows - 1, pss_points).round().astype(int).tolist())
    reference = DeployedStream(decoder.graph)
    checkpoints: list[Checkpoint] = []
    step_s = 0.0
    rss_start = 0
    began = time.perf_counter()
    with tqdm(total=steps, unit="step", disable=not progress) as bar:
        for start in range(0, steps, checkpoint_every):
            window = repeated_bins(spikes, start, min(start + checkpoint_every, steps))
            velocity = np.empty((len(window), 2))
            for row, counts in enumerate(window):
                stepping = time.perf_counter()
                velocity[row] = decoder.step(counts)
                step_s += time.perf_counter() - stepping
                if start == row == 0:
                    rss_start = tree_rss()
            timing = decoder.timing_of_bins  # what step() read: one row per bin, at stream_substep
            readout = reference.run(timing.spread(window)).readout(decoder.graph)
            read = readout[timing.stream_substep :: timing.substeps]
            expected = decoder.graph.velocity(read) * decoder.velocity_scale
            diff = float(np.max(np.abs(velocity - expected)))
            elapsed, rss = time.perf_counter() - began, tree_rss()
            pss = tree_pss() if len(checkpoints) in pss_at else None
            checkpoints.append(Checkpoint(start + len(window), elapsed, rss, diff, pss))
            bar.set_postfix(rss_mib=f"{rss / 2**20:.0f}", max_diff=diff)
            bar.update(len(window))
    return SoakReport(steps, time.perf_counter() - began, step_s, rss_start, checkpoints)
