"""An export of the no-attention chain loads in stock lava-dl netx and computes the same
spikes and readout voltages, in Lava's fixed-point simulation, as rat-lava's own loader."""

import numpy as np
import pytest
from lava.lib.dl.netx.hdf5 import Network
from lava.proc.io.sink import Read

from rat_lava.deploy.fixed_point import DECAY_SCALE
from rat_lava.export.exporter import export_checkpoint
from rat_lava.export.netfile import read_net
from rat_lava.lava.io import counts_source, receive_all, sequence_extractor
from rat_lava.lava.runtime import GuardedRuntime
from tests.helpers.export_helpers import CHANNELS, counts, save_tiny_checkpoint, tiny_model

STEPS = 300


@pytest.mark.slow
def test_stock_netx_matches_own_loader(tmp_path):
    checkpoint = save_tiny_checkpoint(tmp_path / "chain.pt", tiny_model(attention=False), "none")
    summary = export_checkpoint(checkpoint, tmp_path / "chain.net", evaluate=False)
    netfile = read_net(summary.path)
    assert netfile.card["netx"] == {"stock_loadable": True, "input_message_bits": 8}
    network = netfile.network
    x = counts(STEPS, CHANNELS, rate=1.0, seed=3)
    trace = network.run(x)

    stock = Network(net_config=str(summary.path), input_message_bits=8)
    assert len(stock.layers) == len(network.layers)
    source = counts_source(x)
    source.s_out.connect(stock.inp)
    extractors = {}
    for layer, block in zip(network.layers, stock.layers, strict=True):
        if layer.kind == "cuba":
            extractors[layer.name] = sequence_extractor(layer.size, STEPS)
            block.neuron.s_out.connect(extractors[layer.name].in_port)
    voltage = Read(buffer=STEPS)
    voltage.connect_var(stock.layers[-1].neuron.v)
    with GuardedRuntime(source) as runtime:
        runtime.run(STEPS)
        spikes = {name: receive_all(e, STEPS) for name, e in extractors.items()}
        readout = runtime.read(voltage.data).T

    assert set(spikes) == {"x", "mlp"}
    for name, lava_spikes in spikes.items():
        ours = trace.outputs[name]
        assert 0.01 < ours.mean() < 0.9, name  # active but not saturated: a meaningful check
        assert np.array_equal(lava_spikes != 0, ours != 0), name
    assert np.array_equal(readout, trace.outputs[network.readout] * DECAY_SCALE)
    assert np.array_equal(network.velocity(readout / DECAY_SCALE), trace.velocity)
