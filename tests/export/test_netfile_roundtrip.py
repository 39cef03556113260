"""write_net / read_net: an exact round trip, atomic writes, refusal of what Loihi 2 cannot hold."""

from dataclasses import replace

import h5py
import numpy as np
import pytest

from rat_lava.errors import ExportError
from rat_lava.export.layout import is_chain
from rat_lava.export.netfile import SCHEMA_VERSION, read_net, write_net
from rat_lava.export.quantize import quantize_network
from rat_lava.export.timescales import group_timescales
from tests.helpers.export_helpers import (
    CHANNELS,
    assert_same_network,
    counts,
    tiny_model,
    tiny_quantized,
)

CARD = {"quantization": {"weights": "test"}, "r2": {"float": 0.5}}


@pytest.mark.parametrize("attention", [True, False])
def test_round_trip_is_exact(tmp_path, attention):
    network = tiny_quantized(attention)
    path = tmp_path / "net.net"
    write_net(path, network, CARD)
    loaded = read_net(path)
    assert_same_network(network, loaded.network)
    x = counts(120)
    assert np.array_equal(network.simulate(x), loaded.network.simulate(x))
    card = loaded.card
    assert card["r2"] == {"float": 0.5} and card["quantization"] == {"weights": "test"}
    assert card["channels"] == CHANNELS and card["latency_steps"] == network.latency_steps
    assert card["schema_version"] == SCHEMA_VERSION
    assert card["netx"]["stock_loadable"] is (not attention) is is_chain(network)
    assert [p.name for p in tmp_path.iterdir()] == ["net.net"]


def test_round_trip_of_grouped_network_and_netx_layout(tmp_path):
    network = group_timescales(tiny_quantized(), 2)
    path = tmp_path / "g.net"
    write_net(path, network, CARD)
    assert_same_network(network, read_net(path).network)
    with h5py.File(path) as f:
        assert len(f["layer"]) == len(network.layers) + 1
        assert f["layer/0/type"][0] == b"input" and list(f["layer/0/shape"]) == [CHANNELS]
        x = f["layer/1"]
        assert x.attrs["name"] == "x" and x["type"][0] == b"dense_rec"
        assert x["weight"].shape == (network.layer("x").size, CHANNELS)
        assert x["neuron/type"][0] == b"CUBA" and int(x["neuron/vThMant"][()]) == 64
        assert len(np.unique(np.stack([x["neuron/iDecay"], x["neuron/vDecay"]]), axis=1)[0]) <= 2
        readout = f[f"layer/{len(network.layers)}"]
        assert readout["type"][0] == b"dense" and bool(readout["neuron/gradedSpike"][()])
        skip = [e for e in f["graph/edges"].values() if e.attrs["delay"] > 0]
        assert len(skip) == 1 and skip[0].attrs["weight"] == f"{skip[0].name[1:]}/weight"
        assert f["graph/products/0"].attrs["q"] == "q"


def test_unquantized_or_out_of_range_networks_are_refused(tmp_path):
    float_net = tiny_model().fold("A/1")
    path = tmp_path / "x.net"
    with pytest.raises(ExportError, match="not quantized"):
        write_net(path, float_net, CARD)
    network = quantize_network(float_net)[0]
    slow = replace(network.layers[0], voltage_decay=network.layers[0].voltage_decay + 4096)
    with pytest.raises(ExportError, match=r"layer 'x' \(layer/1\): vDecay outside \[0, 4096\]"):
        write_net(path, replace(network, layers=[slow, *network.layers[1:]]), CARD)
    conn = network.connections[0]
    odd = replace(conn, weight=np.full_like(conn.weight, 3 / 64))
    odd.weight[0, 0] = 3.0
    with pytest.raises(ExportError, match="8-bit mantissas"):
        write_net(path, replace(network, connections=[odd, *network.connections[1:]]), CARD)
    off_grid = replace(conn, weight=conn.weight + 0.001)
    with pytest.raises(ExportError, match="not on Lava's fixed-point grid"):
        write_net(path, replace(network, connections=[off_grid, *network.connections[1:]]), CARD)
    with pytest.raises(ExportError, match="not plain JSON"):
        write_net(path, network, {"bad": object()})
    with pytest.raises(ExportError, match="is a directory"):
        write_net(tmp_path, network, CARD)
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ExportError, match="cannot write the file"):
        write_net(blocker / "x.net", network, CARD)
    blocker.unlink()
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_keeps_the_old_file(tmp_path):
    path = tmp_path / "net.net"
    network = tiny_quantized(attention=False)
    write_net(path, network, CARD)
    before = path.read_bytes()
    wrong = replace(network.layers[0], current_decay=network.layers[0].current_decay - 5000)
    with pytest.raises(ExportError, match="iDecay outside"):
        write_net(path, replace(network, layers=[wrong, *network.layers[1:]]), CARD)
    assert path.read_bytes() == before and len(list(tmp_path.iterdir())) == 1


def test_round_trip_keeps_the_network_step(tmp_path):
    """A network stepping 10 times per 50 ms bin keeps its sub-steps, and the card states the
    step and the latency in milliseconds."""
    network = replace(tiny_quantized(), dt=0.05, substeps=10)
    path = tmp_path / "sub.net"
    write_net(path, network, CARD)
    loaded = read_net(path)
    assert loaded.network.substeps == 10 and loaded.network.dt == 0.05
    x = counts(40)
    assert np.array_equal(network.simulate(x), loaded.network.simulate(x))
    card = loaded.card
    assert card["substeps"] == 10 and card["step_s"] == pytest.approx(0.005)
    assert card["latency_ms"] == pytest.approx(network.latency_steps * 5.0)


def test_schema_1_files_read_as_one_step_per_bin():
    """The shipped synthetic export was written before sub-steps (schema 1)."""
    from rat_lava.demo import SHIPPED_EXPORT

    with h5py.File(SHIPPED_EXPORT, "r") as handle:
        assert handle.attrs["schema_version"] == 1 and "substeps" not in handle["graph"].attrs
    loaded = read_net(SHIPPED_EXPORT)
    assert loaded.network.substeps == 1 and loaded.network.step_s == loaded.network.dt
