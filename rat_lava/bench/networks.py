"""The network a benchmark measures: the shipped export, or a stand-in with the same layers."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from rat_lava.data.session import Session
from rat_lava.deploy.network import FoldedNetwork

DEFAULT_NET = Path("netx_exports/rat_small_synthetic.net")
"""The default export the benchmarks measure (written by ``rat-lava export``)."""


SETTLE_BATCHES = 20
"""Training-mode passes that settle the BatchNorm statistics (momentum 0.1: 1 - 0.9**20, 88 %
of the way from the initial statistics to those of the data)."""


def settled_small_rat(session: Session, seed: int = 0) -> FoldedNetwork:
    """The ``small`` RAT preset for ``session``'s channels: untrained, seeded, its BatchNorm
    statistics settled by ``SETTLE_BATCHES`` passes over batches of 8 windows of 100 bins of the
    session's spikes, quantized and folded for the session's condition. A stand-in for the
    default export with the same layers."""
    import torch

    from rat_lava.model import RATSNN, RATConfig

    torch.manual_seed(seed)
    model = RATSNN(RATConfig.small(), session.n_channels, [session.condition])
    bins = SETTLE_BATCHES * 8 * 100
    batches = session.spikes[:bins].reshape(SETTLE_BATCHES, 8, 100, session.n_channels)
    model.train()
    with torch.no_grad():
        for batch in batches:
            model(torch.from_numpy(batch).float(), session.condition)
    model.eval()
    model.config = dataclasses.replace(model.config, quantize=True)
    return model.fold(session.condition)


def benchmark_network(path: str | os.PathLike, session: Session) -> tuple[str | FoldedNetwork, str]:
    """The ``.net`` file at ``path`` if it exists, else ``settled_small_rat(session)``; with a
    line saying which one it is."""
    if Path(path).is_file():
        return str(path), f"network: {path}"
    return settled_small_rat(session), (
        f"network: {path} not found; built the small RAT preset in-process instead "
        f"({session.n_channels} channels, untrained, BatchNorm settled on the data, quantized)"
    )
