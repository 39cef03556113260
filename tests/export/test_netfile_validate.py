"""The .net validator rejects corrupt, hostile, newer or inconsistent files with one message."""

import shutil

import h5py
import numpy as np
import pytest

from rat_lava.errors import NetFileError
from rat_lava.export.netfile import read_net, write_net
from rat_lava.export.validate import DIGEST_ATTR, SCHEMA_VERSION, content_digest
from tests.helpers.export_helpers import assert_same_network, tiny_quantized
from tests.helpers.hdf5_edits import AddEdge, Replace


@pytest.fixture(scope="module")
def valid(tmp_path_factory):
    """A valid export of the tiny attention network (8 layers, a delayed edge, a product)."""
    network = tiny_quantized()
    path = tmp_path_factory.mktemp("valid") / "valid.net"
    write_net(path, network, {"quantization": {}})
    return path, network


def tampered(tmp_path, valid, edit, restamp=True):
    """A copy of the valid file changed by ``edit(h5py.File)``; by default the content
    checksum is recomputed, so that the check behind it is the one that must fire."""
    path = tmp_path / "t.net"
    shutil.copy(valid[0], path)
    with h5py.File(path, "r+") as f:
        edit(f)
        if restamp:
            f.attrs[DIGEST_ATTR] = content_digest(f)
    return path


def flip(path, offset):
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def rejects(path, pattern):
    with pytest.raises(NetFileError, match=pattern) as info:
        read_net(path)
    message = str(info.value)
    assert message.startswith(str(path)) and "\n" not in message
    return message


def test_valid_file_reads(valid):
    assert_same_network(valid[1], read_net(valid[0]).network)


def test_missing_truncated_and_foreign_files(tmp_path, valid):
    rejects(tmp_path / "none.net", ".net file not found")
    data = valid[0].read_bytes()
    for cut in (len(data) // 2, len(data) - 100, 1000, 10):
        (tmp_path / "cut.net").write_bytes(data[:cut])
        rejects(tmp_path / "cut.net", "not a readable .net file, truncated or corrupt")
    (tmp_path / "text.net").write_text("layer 1: dense\n")
    rejects(tmp_path / "text.net", "not a readable .net file")
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f["x"] = np.arange(3)
    rejects(tmp_path / "other.h5", "not a rat-lava .net file")


def test_flipped_bytes_in_checksummed_data(tmp_path, valid):
    path = tmp_path / "flip.net"
    with h5py.File(valid[0]) as f:
        chunk = f["layer/1/weight"].id.get_chunk_info(0).byte_offset
        card = f["card"].id.get_offset()
    for offset, pattern in (
        (chunk + 5, "truncated or corrupt"),  # HDF5 Fletcher-32 of the weight chunk
        (card + 20, "content checksum does not match"),  # the card: our SHA-256
        (3, "not a readable"),  # the superblock signature
    ):
        shutil.copy(valid[0], path)
        flip(path, offset)
        rejects(path, pattern)


def test_any_flipped_byte_is_rejected_or_harmless(tmp_path, valid):
    """Flip one byte at a time across the whole file: every read either fails with a
    NetFileError or returns exactly the original network (bytes HDF5 never reads)."""
    size = valid[0].stat().st_size
    path = tmp_path / "flip.net"
    outcomes = {"rejected": 0, "harmless": 0}
    for offset in np.linspace(0, size - 1, 60).astype(int):
        shutil.copy(valid[0], path)
        flip(path, int(offset))
        try:
            network = read_net(path).network
        except NetFileError:
            outcomes["rejected"] += 1
        else:
            assert_same_network(valid[1], network)
            outcomes["harmless"] += 1
    assert outcomes["rejected"] > 30


def test_newer_schema(tmp_path, valid):
    newer = SCHEMA_VERSION + 1
    path = tampered(tmp_path, valid, lambda f: f.attrs.__setitem__("schema_version", newer))
    rejects(
        path,
        rf"written by a newer rat-lava \(schema {newer}\); this version reads up to "
        rf"{SCHEMA_VERSION}",
    )


def test_altered_content_without_new_checksum(tmp_path, valid):
    def edit(f):
        f["layer/1/bias"][0] += 1

    rejects(tampered(tmp_path, valid, edit, restamp=False), "content checksum does not match")


def mixed_exponents(f):
    """Each matrix alone fits 8 bits, but netx's dense_rec gives both one exponent."""
    Replace("layer/2/weight", np.full((32, 32), 200)).edit(f)
    Replace("layer/2/weight_rec", np.full((32, 32), 3)).edit(f)


@pytest.mark.parametrize(
    ("edit", "pattern"),
    [
        (
            lambda f: f.__delitem__("layer/2/neuron/vDecay"),
            "missing dataset 'layer/2/neuron/vDecay'",
        ),
        (lambda f: f.__delitem__("graph/edges/6/weight"), "missing dataset 'graph/edges/6/weight'"),
        (lambda f: f.__delitem__("card"), "missing dataset 'card'"),
        (
            Replace("layer/1/bias", np.zeros(33, np.int16)).edit,
            r"'/layer/1/bias' has shape \(33,\)",
        ),
        (
            Replace("layer/2/weight", np.zeros((32, 31), np.int16)).edit,
            r"edge 1 \(x->q\): weights of shape",
        ),
        (Replace("layer/1/weight", np.zeros((32, 12))).edit, "must hold integers"),
        (
            Replace("layer/1/neuron/iDecay", np.full(32, 5000)).edit,
            r"iDecay outside \[0, 4096\]",
        ),
        (Replace("layer/1/neuron/vThMant", np.int32(0)).edit, "vThMant outside"),
        (Replace("layer/8/neuron/vThMant", np.int32(64)).edit, "an integrator needs vThMant"),
        (Replace("layer/1/bias", np.full(32, 9000)).edit, "bias outside"),
        (Replace("layer/2/weight", np.full((32, 32), 301)).edit, "8-bit mantissas"),
        (mixed_exponents, "8-bit mantissas with one shared exponent"),
        (lambda f: f["graph/edges/6"].attrs.__setitem__("delay", 63), r"delay outside \[0, 62\]"),
        (lambda f: f["layer/1"].attrs.__setitem__("kind", "lif"), "unknown kind 'lif'"),
        (
            lambda f: f["graph/edges/6"].attrs.__setitem__("delay", 3),
            "inconsistent network: inputs of u arrive at different steps",
        ),
        (Replace("layer/1/type", np.array([b"conv"])).edit, "netx type 'conv'"),
        (
            lambda f: f["layer/1"].__delitem__("weight_rec"),
            "a 'dense_rec' layer needs 'weight_rec'",
        ),
        (
            lambda f: f["graph"].attrs.__setitem__("readout", "mlp"),
            "readout 'mlp' is not an integrator",
        ),
        (Replace("card", np.bytes_(b"{not json")).edit, "model card is not valid JSON"),
        (Replace("card", np.bytes_(b'{"channels": 12}')).edit, "model card lacks"),
        (lambda f: f.__delitem__("layer/3"), "members of 'layer' must be named 0, 1, 2"),
    ],
)
def test_malformed_content(tmp_path, valid, edit, pattern):
    rejects(tampered(tmp_path, valid, edit), pattern)


def test_dangling_graph_references(tmp_path, valid):
    path = tampered(tmp_path, valid, lambda f: f["graph/edges/6"].attrs.__setitem__("src", "gone"))
    rejects(path, r"edge 6 \(gone->u\): source 'gone' is neither the input, a layer nor a product")
    path = tampered(tmp_path, valid, lambda f: f["graph/edges/6"].attrs.__setitem__("dst", "gone"))
    rejects(path, "destination 'gone' is not a layer")
    path = tampered(tmp_path, valid, lambda f: f["graph/products/0"].attrs.__setitem__("k", "gone"))
    rejects(path, r"attention product 'attn': input k = 'gone' is not a spiking layer")
    path = tampered(
        tmp_path, valid, lambda f: f["graph/edges/6"].attrs.__setitem__("weight", "layer/6/weight")
    )
    rejects(path, "its weights must be 'graph/edges/6/weight'")


def test_cycles_other_than_recurrence(tmp_path, valid):
    loop_back = AddEdge("u", "q", delay=0).edit  # u -> q closes q -> attn -> a -> u -> q
    message = rejects(tampered(tmp_path, valid, loop_back), "graph has a cycle")
    assert all(name in message for name in ("q", "attn", "a", "u"))
    path = tampered(tmp_path, valid, lambda f: f["graph/edges/6"].attrs.__setitem__("src", "u"))
    rejects(path, r"graph has a cycle u <- u; only a layer's own weight_rec may loop")


def test_absurd_sizes_are_refused_before_reading(tmp_path, valid):
    def huge_dataset(f):  # declared 8 GiB, nothing stored: reading it would exhaust memory
        f.create_dataset(
            "graph/edges/6/extra", shape=(1 << 20, 1 << 12), dtype="int16", chunks=(1024, 1024)
        )

    rejects(
        tampered(tmp_path, valid, huge_dataset, restamp=False),
        r"datasets declare 85899\d+ bytes, more than the limit",
    )
    path = tampered(
        tmp_path, valid, Replace("layer/1/shape", np.array([1 << 23])).edit, restamp=False
    )
    rejects(path, "network too large")
