"""The embedded real recording (``--data s1``, 50 ms bins) decoded in Lava beats a ridge filter.

A small RAT with the default network step (10 x 5 ms per 50 ms bin, each bin read one latency
after it) and the default architecture, trained briefly (4 float epochs in batches of 4
windows, then the default quantization-aware epochs) on the first 10 minutes of the recording,
exported, and decoded through Lava (``sim-fixed``, FusedNetwork) on the test part of that slice,
against a ridge filter restricted to the same latency (fed only spikes at least
``latency_ms // dt`` bins old: 0 bins here, since the network's 40 ms latency is shorter than a
bin) fitted on the same training part.
"""

from dataclasses import replace

import numpy as np
import pytest

from rat_lava import LavaDecoder
from rat_lava.baselines import BASELINES
from rat_lava.data.session import Session
from rat_lava.data.sources import REAL_EXAMPLE, load_data
from rat_lava.data.splits import chronological_split
from rat_lava.export.exporter import export_checkpoint
from rat_lava.metrics import r2_score
from rat_lava.train.models import default_train_config
from rat_lava.train.pipeline import train

SLICE_BINS = 12_000
"""The first 10 minutes of the 29-minute recording."""

EPOCHS = 4
"""Float epochs of the brief training (then the default quantization-aware epochs)."""

BATCH = 4
"""Windows per batch: a 7-minute training part gives 420 windows of 2 s, so small batches give
the few epochs enough optimiser steps."""


def _delayed(session: Session, bins: int) -> Session:
    """``session`` with every bin's spikes replaced by those of ``bins`` bins earlier."""
    if bins == 0:
        return session
    spikes = np.zeros_like(session.spikes)
    spikes[bins:] = session.spikes[:-bins]
    return replace(session, spikes=spikes)


@pytest.mark.slow
def test_rat_in_lava_beats_ridge_at_the_same_latency(tmp_path):
    session = load_data(REAL_EXAMPLE)[0].slice(0, SLICE_BINS)
    assert session.dt == 0.05
    cfg = replace(default_train_config("rat"), epochs=EPOCHS, batch_size=BATCH)
    summary = train("rat", [session], tmp_path, train_config=cfg, progress=False)
    net = tmp_path / "rat.net"
    export_checkpoint(summary.checkpoint, net, evaluate=False)
    split = chronological_split(session)
    with LavaDecoder(net, "sim-fixed", network_model="fused") as decoder:
        assert decoder.network.substeps == 10 and decoder.network.latency_ms <= 50
        delay_bins = int(decoder.network.latency_ms // (session.dt * 1e3))
        lava_r2 = r2_score(split.test.velocity, decoder.decode(split.test.spikes)).mean
    ridge = BASELINES["ridge"]()
    ridge.fit(_delayed(split.train, delay_bins), _delayed(split.val, delay_bins))
    ridge_r2 = r2_score(split.test.velocity, ridge.predict(_delayed(split.test, delay_bins))).mean
    print(f"S1 slice: RAT in Lava R2 {lava_r2:.4f}, ridge (delay {delay_bins} bins) {ridge_r2:.4f}")
    assert lava_r2 == pytest.approx(summary.test_r2, abs=1e-6)
    assert lava_r2 > ridge_r2
