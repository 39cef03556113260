"""Every export shipped in netx_exports/ loads, is documented, and decodes in Lava."""

import numpy as np
import pytest

from rat_lava.data.session import pad_channels
from rat_lava.data.sources import load_data
from rat_lava.data.splits import chronological_split
from rat_lava.demo import DEMO_EXPORT, NETX_EXPORTS
from rat_lava.export.netfile import read_net
from rat_lava.lava.decoder import LavaDecoder
from rat_lava.metrics import r2_score

SHIPPED = sorted(p for p in NETX_EXPORTS.glob("*.net") if p != DEMO_EXPORT)
STEPS = 2000
"""Network steps decoded per shipped export (2,000 bins at 4 ms), at least ``MIN_BINS`` bins."""

MIN_BINS = 600
"""Fewest test bins decoded (30 s at 50 ms bins, 6,000 network steps of 5 ms)."""


def test_there_is_a_shipped_export():
    assert SHIPPED, f"no .net file shipped in {NETX_EXPORTS}"


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_export_is_documented_and_small(path):
    readme = (NETX_EXPORTS / "README.md").read_text(encoding="utf-8")
    assert path.name in readme
    assert path.stat().st_size < 4 * 2**20
    card = read_net(path).card
    assert card["training"]["data"] and card["r2"]["quantized"] > 0.5


@pytest.mark.slow
@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_export_decodes_in_lava_like_the_reference(path):
    netfile = read_net(path)
    network = netfile.network
    session = next(
        s for s in load_data(netfile.card["training"]["data"]) if s.condition == network.condition
    )
    test = chronological_split(pad_channels(session, network.n_inputs)).test
    bins = max(STEPS // network.substeps, MIN_BINS)
    spikes = test.spikes[:bins]
    with LavaDecoder(path, "sim-fixed") as decoder:
        velocity = decoder.decode(spikes)
    scale = np.asarray(netfile.card["velocity_scale"])
    np.testing.assert_array_equal(velocity, network.simulate(spikes) * scale)
    assert r2_score(test.velocity[:bins], velocity).mean > 0.5
