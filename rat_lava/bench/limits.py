"""The machine's limit for stepping a fixed-point network (accumulates per second of a plain
compiled integer kernel), and the float model that runs the same network offline in PyTorch.

``accumulates_per_s`` times the innermost work of a network step and nothing else: a numba loop
adding integer weights into an integer drive vector at given targets (``acc[target[e]] +=
weight[e]``), over a fan-out table the size of a small RAT's (cache-resident, like the
network's). A network that needs N accumulates per step cannot run faster than this rate / N
steps per second on one core; ``rat_lava.deploy.counters.efficiency`` counts N.
"""

from __future__ import annotations

import time

import numba
import numpy as np

from rat_lava.deploy.network import FoldedNetwork
from rat_lava.model import RATSNN, RATConfig


@numba.njit(cache=True)
def _accumulate(targets: np.ndarray, weights: np.ndarray, drive: np.ndarray, rounds: int) -> None:
    for _ in range(rounds):
        for e in range(targets.shape[0]):
            drive[numba.uint64(targets[e])] += weights[e]


def accumulates_per_s(
    edges: int = 20_000, width: int = 1024, seconds: float = 1.0, seed: int = 0
) -> float:
    """Accumulates per second of the plain kernel: ``edges`` int64 weights (8-bit values) into
    ``width`` int64 drives at random targets, repeated for at least ``seconds`` (after one warm-up
    call that compiles it)."""
    rng = np.random.default_rng(seed)
    targets = rng.integers(0, width, edges).astype(np.int64)
    weights = rng.integers(-128, 128, edges).astype(np.int64)
    drive = np.zeros(width, np.int64)
    _accumulate(targets, weights, drive, 1)
    rounds, elapsed = 1, 0.0
    while elapsed < seconds:
        rounds *= 2
        started = time.perf_counter()
        _accumulate(targets, weights, drive, rounds)
        elapsed = time.perf_counter() - started
    return edges * rounds / elapsed


def float_model_like(network: FoldedNetwork, card: dict | None) -> RATSNN:
    """The PyTorch float RAT of ``network``'s architecture (the card's ``architecture``, else the
    ``small`` preset at the network's timing), untrained, in eval mode: its offline speed does
    not depend on the weights (dense float layers)."""
    if card and "architecture" in card:
        config = RATConfig(**{**card["architecture"], "quantize": False})
    else:
        config = RATConfig.small(
            dt=network.dt, substeps=network.substeps, read_delay=network.read_delay
        )
    return RATSNN(config, network.n_inputs, [network.condition]).eval()
