""".net files damaged or made hostile: a NetFileError naming the file, or a network that runs.

A valid export of the tiny attention network (a delayed graph edge, an attention product,
recurrent layers) is mutated at the byte level and structurally (drop, replace or retype
datasets and attributes, out-of-range values, dangling or cyclic graph references, huge
declared sizes). Structural edits are re-stamped with a fresh content checksum in about half
of the examples, so that the checks behind the checksum must catch them. Every read ends within
a time limit in either a one-line ``NetFileError`` that starts with the file's path, or a
network that ``rat-lava info`` describes and that the fixed-point reference of the Lava graph
runs bit-exactly like ``FoldedNetwork.run``; an unchanged checksum means an unchanged network.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from rat_lava.deploy.fixed_point import WEIGHT_SCALE
from rat_lava.deploy.graph import LavaGraph
from rat_lava.deploy.network import FoldedNetwork
from rat_lava.errors import NetFileError
from rat_lava.export.info import describe
from rat_lava.export.netfile import NetFile, read_net, write_net
from rat_lava.export.quantize import (
    BIAS_MANT_MAX,
    BIAS_MANT_MIN,
    DECAY_MAX,
    DECAY_MIN,
    MANTISSA_MAX,
    MANTISSA_MIN,
)
from rat_lava.export.validate import DIGEST_ATTR, content_digest
from rat_lava.reference.deployed import simulate
from tests.helpers.export_helpers import assert_same_network, tiny_quantized
from tests.helpers.hdf5_edits import (
    AddEdge,
    DeclareHuge,
    Drop,
    DropAttribute,
    Inventory,
    MakeGroup,
    Replace,
    SetAttribute,
    SetElement,
    inventory,
)
from tests.helpers.mutations import (
    FUZZ,
    Base,
    apply_bytes,
    attribute_values,
    byte_edits,
    element_values,
    h5_values,
    pick,
    time_limit,
)

NET_FUZZ = settings(FUZZ, max_examples=40)
"""About 0.3 s per example (a read checks every dataset and the SHA-256 of the content)."""

NAMES = ("input", "x", "q", "k", "v", "attn", "a", "u", "mlp", "readout", "gone")
"""Node names of the base network, the input, and a name that exists nowhere."""


def net_edits(inv: Inventory) -> st.SearchStrategy[list]:
    """One to three structural edits of the base .net file."""
    dataset = pick(inv.datasets)
    attribute = pick(inv.attributes)
    reference = pick(tuple(a for a in inv.attributes if a[1] in ("src", "dst", "q", "v")))
    edit = st.one_of(
        st.builds(Drop, pick(inv.datasets + inv.groups)),
        st.builds(Replace, dataset, h5_values()),
        st.builds(MakeGroup, dataset),
        st.builds(SetElement, pick(inv.numeric), st.integers(0, 4096), element_values()),
        attribute.flatmap(
            lambda a: st.builds(SetAttribute, st.just(a[0]), st.just(a[1]), attribute_values())
        ),
        reference.flatmap(
            lambda a: st.builds(SetAttribute, st.just(a[0]), st.just(a[1]), st.sampled_from(NAMES))
        ),
        attribute.map(lambda a: DropAttribute(*a)),
        st.builds(AddEdge, st.sampled_from(NAMES), st.sampled_from(NAMES), st.integers(0, 70)),
        st.builds(
            DeclareHuge,
            st.sampled_from(("layer/1/weight", "graph/edges/6/weight", "card", "layer/9/x")),
            st.sampled_from([(2**15, 2**15), (2**36,), (2**20, 2**20)]),
        ),
    )
    return st.lists(edit, min_size=1, max_size=3)


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("mutated_net")


@pytest.fixture(scope="module")
def base(work) -> Base:
    """A valid export of the tiny attention network."""
    network = tiny_quantized()
    path = work / "base.net"
    write_net(path, network, {"quantization": {}})
    inv = inventory(path, root_attributes=("format", "schema_version"), numeric_kinds="iub")
    return Base(path.read_bytes(), inv, network=network)


def read_outcome(path: Path) -> NetFile | None:
    """``read_net(path)`` under a time limit; None after a one-line NetFileError naming it."""
    with time_limit():
        try:
            return read_net(path)
        except NetFileError as exc:
            message = str(exc)
            assert message.startswith(f"{path}: ") and "\n" not in message, message
            event(f"rejected: {message.removeprefix(f'{path}: ')[:40]}")
            return None


def assert_runs_exactly(net: NetFile) -> None:
    """What ``rat-lava info`` and ``rat-lava run`` do with an accepted file works: describe it,
    map it onto Lava leaves, and step them in the fixed-point reference bit-exactly like the
    network's own forward pass (12 steps of Poisson counts)."""
    assert describe(net).strip()
    network = net.network
    counts = np.random.default_rng(0).poisson(1.0, (12, network.n_inputs)).clip(max=4)
    graph = LavaGraph.from_network(network, "fixed")
    trace = simulate(graph, counts)
    assert np.array_equal(graph.velocity(trace.readout(graph)), network.run(counts).velocity)


@NET_FUZZ
@given(data=st.data())
def test_byte_edits(work, base, data):
    raw, network = base.raw, base.network
    path = work / "bytes.net"
    path.write_bytes(apply_bytes(raw, data.draw(byte_edits(len(raw)))))
    net = read_outcome(path)
    if net is not None:  # bytes that HDF5 never reads: the same network
        assert_same_network(network, net.network)


@NET_FUZZ
@given(data=st.data(), restamp=st.booleans())
def test_structural_edits(work, base, data, restamp):
    raw, network, inv = base.raw, base.network, base.inv
    edits = data.draw(net_edits(inv))
    path = work / "edited.net"
    path.write_bytes(raw)
    for edit in edits:
        edit.apply(path)
    # a re-stamp reads every dataset: not for the huge declared ones, which stay unread
    restamp = restamp and not any(isinstance(e, DeclareHuge) for e in edits)
    if restamp:
        with h5py.File(path, "r+") as handle:
            handle.attrs[DIGEST_ATTR] = content_digest(handle)
    net = read_outcome(path)
    if net is None:
        return
    event("accepted")
    if not restamp:  # the stored checksum still matches: nothing changed
        assert_same_network(network, net.network)
    assert_runs_exactly(net)


def stored_values(network: FoldedNetwork, position: int, key: str) -> np.ndarray:
    """Dataset ``layer/<position>/<key>`` as ``network`` holds it, flat, in Lava's units."""
    layer = network.layers[position - 1]
    if key == "weight":  # the layer's primary input
        return (
            next(c.weight for c in network.connections if c.dst == layer.name).reshape(-1)
            * WEIGHT_SCALE
        )
    values = {
        "neuron/iDecay": layer.current_decay,
        "neuron/vDecay": layer.voltage_decay,
        "bias": layer.bias * WEIGHT_SCALE,
        "weight_rec": layer.recurrent * WEIGHT_SCALE if layer.recurrent is not None else None,
    }[key]
    return np.asarray(values).reshape(-1)


IN_RANGE = {
    "neuron/iDecay": st.integers(DECAY_MIN, DECAY_MAX),
    "neuron/vDecay": st.integers(DECAY_MIN, DECAY_MAX),
    "bias": st.integers(BIAS_MANT_MIN, BIAS_MANT_MAX),
    "weight": st.integers(MANTISSA_MIN // 2, MANTISSA_MAX // 2).map(lambda m: 2 * m),
    "weight_rec": st.integers(MANTISSA_MIN // 2, MANTISSA_MAX // 2).map(lambda m: 2 * m),
}
"""Values Loihi 2 holds, per dataset of a layer group (weights: even int8 values, which fit
the shared exponent of either regime)."""


@NET_FUZZ
@given(
    layer=st.integers(1, 8),
    key=st.sampled_from(sorted(IN_RANGE)),
    index=st.integers(0, 4096),
    data=st.data(),
)
def test_in_range_edits_are_accepted_and_read_as_written(work, base, layer, key, index, data):
    raw, network = base.raw, base.network
    if key == "weight_rec" and layer == 8:  # the readout has no recurrent weights
        key = "weight"
    value = data.draw(IN_RANGE[key], label="value")
    path = work / "in_range.net"
    path.write_bytes(raw)
    dataset = f"layer/{layer}/{key}"
    SetElement(dataset, index, float(value)).apply(path)
    with h5py.File(path, "r+") as handle:
        handle.attrs[DIGEST_ATTR] = content_digest(handle)
        stored = handle[dataset][()].reshape(-1)
    assert stored[index % stored.size] == value
    net = read_outcome(path)
    assert net is not None, "a value inside Loihi 2's ranges was refused"
    edited = stored_values(net.network, layer, key)
    assert edited[index % stored.size] == value
    changed = np.flatnonzero(edited != stored_values(network, layer, key))
    assert set(changed) <= {index % stored.size}
    assert_runs_exactly(net)
