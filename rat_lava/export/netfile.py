"""The .net file: a NetX HDF5 network description plus a graph section and a model card.

Layout (schema 2; integers in Lava's units, 64 = 1.0 for weights, biases and thresholds)::

    /                     attrs format = "rat-lava-net", schema_version, content_sha256
    /layer/0              netx input layer: type "input", shape [channels]
    /layer/<i>, i >= 1    one standard netx layer group per neuron layer, in execution order:
        type              "dense", or "dense_rec" with a recurrent weight_rec
        shape             neuron layout, C order (netx uses only the product for dense layers)
        weight            int16 (neurons, inputs): 64 w of the layer's primary input
        weight_rec        int16 (neurons, neurons): 64 w of the recurrent weights
        bias              int32 (neurons,): bias_mant = 64 b (netx: bias_exp 6)
        delay             scalar, only when the primary input has a synaptic delay
        neuron/           type "CUBA", iDecay, vDecay (neurons,), vThMant, refDelay 1,
                          gradedSpike (True for the non-spiking integrators)
        attrs name, kind  the layer's name and kind ("cuba" or "integrator")
    /graph                attrs version, n_inputs, dt (s, the data's bin width), substeps (network
                          steps per bin) and read_delay (steps after a bin's last sub-step
                          at which its velocity is read; both absent in schema 1: 1 and 0),
                          condition, readout, readout_heads
    /graph/edges/<j>      every connection in order: attrs src, dst, delay, weight (the path of
                          its weights: the dst layer's weight for its primary input, else
                          graph/edges/<j>/weight)
    /graph/products/<j>   attention products: attrs name, q, k, v, tokens, heads,
                          head_features, delay
    /card                 the model card, one JSON string

Stock ``lava.lib.dl.netx.hdf5.Network(path, input_message_bits=8)`` reads every layer group;
it links them in order, so it computes the network only when ``layout.is_chain`` holds (the
card says so under ``netx``). What stock netx cannot represent: graph edges other than the
chain, attention products, synaptic delays with recurrence (its ``dense_rec`` drops the
weight exponent), and the integrators' graded output (its LIF sends binary spikes; read the
readout's voltage instead, e.g. with ``lava.proc.io.sink.Read``).

Writing is atomic and verified: the file is checked by the same validator that ``read_net``
uses before it replaces ``path``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from rat_lava.deploy.fixed_point import WEIGHT_SCALE
from rat_lava.deploy.graph import INPUT_MESSAGE_BITS
from rat_lava.deploy.network import Connection, FoldedNetwork, NeuronLayer
from rat_lava.errors import ExportError, NetFileError
from rat_lava.export.layout import is_chain, primary_inputs
from rat_lava.export.validate import (
    DIGEST_ATTR,
    FORMAT,
    SCHEMA_VERSION,
    NetData,
    check_file,
    content_digest,
)
from rat_lava.io_utils import HDF5_READ_ERRORS, atomic_path, read_untrusted
from rat_lava.version import __version__

LIBVER = ("v110", "v110")
"""HDF5 file format: readable by HDF5 1.10 and later, with checksummed metadata."""

REF_DELAY = 1
"""netx ``refDelay`` (slayer's default; Lava's LIF has no refractory period)."""

__all__ = ["SCHEMA_VERSION", "NetFile", "read_net", "write_net"]


@dataclass(frozen=True)
class NetFile:
    """A read .net file: the deployed network and its model card."""

    path: Path
    network: FoldedNetwork
    card: dict[str, Any]


def network_facts(network: FoldedNetwork) -> dict[str, Any]:
    """Card entries that follow from the network itself (written by ``write_net``)."""
    neurons = sum(layer.size for layer in network.layers)
    matrices = [c.weight for c in network.connections]
    matrices += [layer.recurrent for layer in network.layers if layer.recurrent is not None]
    return {
        "channels": network.n_inputs,
        "dt_s": network.dt,
        "step_s": network.step_s,
        "substeps": network.substeps,
        "read_delay_steps": network.read_delay,
        "latency_steps": network.latency_steps,
        "latency_ms": network.latency_ms,
        "condition": network.condition,
        "neurons": neurons,
        "synapses": sum(int(m.size) for m in matrices),
        "nonzero_synapses": sum(int(np.count_nonzero(m)) for m in matrices),
        "netx": {
            "stock_loadable": is_chain(network),
            "input_message_bits": INPUT_MESSAGE_BITS,
        },
        "package_version": __version__,
        "schema_version": SCHEMA_VERSION,
    }


def write_net(path: str | os.PathLike, network: FoldedNetwork, card: dict) -> None:
    """Write ``network`` (quantized) and ``card`` to ``path`` atomically.

    ``card`` is completed with ``network_facts``. Raises ``ExportError`` when the network is
    not quantized or holds values Loihi 2 cannot (the validator's message names the problem).
    """
    path = Path(path)
    if not network.quantized:
        raise ExportError(
            f"{path}: the network is not quantized; quantize it first "
            "(rat_lava.export.quantize.quantize_network)"
        )
    full_card = {**card, **network_facts(network)}
    try:
        text = json.dumps(full_card, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ExportError(f"{path}: the model card is not plain JSON ({exc})") from None
    if path.is_dir():
        raise ExportError(f"{path}: is a directory; give the .net file to write")
    try:
        with atomic_path(path) as tmp:
            with h5py.File(tmp, "w", libver=LIBVER) as handle:
                _write(handle, network, text, path)
                handle.attrs[DIGEST_ATTR] = content_digest(handle)
            try:
                _load(tmp, str(path))
            except NetFileError as exc:
                raise ExportError(f"cannot export: {exc}") from None
    except OSError as exc:
        raise ExportError(f"{path}: cannot write the file ({exc.strerror or exc})") from None


def read_net(path: str | os.PathLike) -> NetFile:
    """Read and check a .net file; raises ``NetFileError`` naming the file and the problem."""
    path = Path(path)
    if not path.is_file():
        raise NetFileError(f"{path}: .net file not found")
    network, card = read_untrusted(_load, path, str(path), what=str(path), error=NetFileError)
    return NetFile(path, network, card)


def _load(path: Path, where: str) -> tuple[FoldedNetwork, dict]:
    try:
        with h5py.File(path, "r") as handle:
            data = check_file(handle, where)
    except HDF5_READ_ERRORS as exc:
        detail = str(exc).splitlines()[0] if str(exc) else "no detail"
        raise NetFileError(
            f"{where}: not a readable .net file, truncated or corrupt "
            f"({type(exc).__name__}: {detail})"
        ) from None
    try:
        network = _network(data)
    except ValueError as exc:
        raise NetFileError(f"{where}: inconsistent network: {exc}") from None
    if data.card["latency_steps"] != network.latency_steps:
        raise NetFileError(
            f"{where}: model card says latency {data.card['latency_steps']} steps, the network "
            f"has {network.latency_steps}"
        )
    return network, data.card


def _network(data: NetData) -> FoldedNetwork:
    layers = [
        NeuronLayer(
            name=layer.name,
            kind=layer.kind,
            current_decay=layer.i_decay,
            voltage_decay=layer.v_decay,
            threshold=layer.vth_mant / WEIGHT_SCALE,
            bias=layer.bias / WEIGHT_SCALE,
            recurrent=None if layer.weight_rec is None else layer.weight_rec / WEIGHT_SCALE,
            shape=layer.shape,
        )
        for layer in data.layers
    ]
    return FoldedNetwork(
        n_inputs=data.n_inputs,
        dt=data.dt,
        substeps=data.substeps,
        read_delay=data.read_delay,
        condition=data.condition,
        layers=layers,
        connections=[
            Connection(e.src, e.dst, e.weight / WEIGHT_SCALE, e.delay) for e in data.edges
        ],
        products=list(data.products),
        readout=data.readout,
        readout_heads=data.readout_heads,
        quantized=True,
    )


def _integers(values: np.ndarray, what: str, path: Path) -> np.ndarray:
    """``values`` as int64; they must be integers already (a quantized network)."""
    array = np.asarray(values, dtype=np.float64)
    rounded = np.rint(array)
    if not np.array_equal(rounded, array):
        raise ExportError(f"{path}: {what} are not on Lava's fixed-point grid")
    return rounded.astype(np.int64)


def _array(group: h5py.Group, name: str, data: np.ndarray, dtype: str | None = None) -> None:
    """A dataset; arrays are chunked, compressed and carry a Fletcher-32 checksum.

    Without ``dtype``, integers are stored in the smallest of int16, int32, int64 that holds
    them, so that the validator sees, and names, any value out of range.
    """
    data = np.asarray(data)
    if dtype is None:
        dtype = next(
            t
            for t in ("int16", "int32", "int64")
            if data.size == 0 or np.iinfo(t).min <= data.min() <= data.max() <= np.iinfo(t).max
        )
    if data.ndim and data.size:
        group.create_dataset(
            name, data=data, dtype=dtype, compression="gzip", shuffle=True, fletcher32=True
        )
    else:
        group.create_dataset(name, data=data, dtype=dtype)


def _netx_text(group: h5py.Group, name: str, value: str) -> None:
    """A netx string dataset (shape (1,), ASCII bytes, as slayer writes them)."""
    group.create_dataset(name, data=np.array([value.encode("ascii")]))


def _write(handle: h5py.File, network: FoldedNetwork, card: str, path: Path) -> None:
    handle.attrs["format"] = FORMAT
    handle.attrs["schema_version"] = SCHEMA_VERSION
    layers = handle.create_group("layer")
    first = layers.create_group("0")
    _netx_text(first, "type", "input")
    _array(first, "shape", np.array([network.n_inputs]), "int32")
    primary = primary_inputs(network)
    index = {layer.name: i for i, layer in enumerate(network.layers, start=1)}
    for layer in network.layers:
        conn = network.connections[primary[layer.name]]
        group = layers.create_group(str(index[layer.name]))
        group.attrs["name"] = layer.name
        group.attrs["kind"] = layer.kind
        _netx_text(group, "type", "dense" if layer.recurrent is None else "dense_rec")
        _array(group, "shape", np.array(layer.shape), "int32")
        what = f"weights of {conn.src}->{conn.dst}"
        _array(group, "weight", _integers(conn.weight * WEIGHT_SCALE, what, path))
        if layer.recurrent is not None:
            what = f"recurrent weights of {layer.name}"
            _array(group, "weight_rec", _integers(layer.recurrent * WEIGHT_SCALE, what, path))
        bias = _integers(layer.bias * WEIGHT_SCALE, f"biases of {layer.name}", path)
        _array(group, "bias", bias)
        if conn.delay:
            _array(group, "delay", np.array(conn.delay), "int32")
        neuron = group.create_group("neuron")
        _netx_text(neuron, "type", "CUBA")
        for key, decay in (("iDecay", layer.current_decay), ("vDecay", layer.voltage_decay)):
            _array(neuron, key, _integers(decay, f"decays of {layer.name}", path))
        vth = _integers(layer.threshold * WEIGHT_SCALE, f"threshold of {layer.name}", path)
        _array(neuron, "vThMant", vth)
        _array(neuron, "refDelay", np.array(REF_DELAY), "int32")
        _array(neuron, "gradedSpike", np.array(layer.kind == "integrator"), "bool")
    graph = handle.create_group("graph")
    graph.attrs.update(
        {
            "version": SCHEMA_VERSION,
            "n_inputs": network.n_inputs,
            "dt": float(network.dt),
            "substeps": int(network.substeps),
            "read_delay": int(network.read_delay),
            "condition": network.condition,
            "readout": network.readout,
            "readout_heads": network.readout_heads,
        }
    )
    edges = graph.create_group("edges")
    for j, conn in enumerate(network.connections):
        edge = edges.create_group(str(j))
        edge.attrs.update({"src": conn.src, "dst": conn.dst, "delay": conn.delay})
        if primary[conn.dst] == j:
            edge.attrs["weight"] = f"layer/{index[conn.dst]}/weight"
        else:
            edge.attrs["weight"] = f"graph/edges/{j}/weight"
            weights = _integers(
                conn.weight * WEIGHT_SCALE, f"weights of {conn.src}->{conn.dst}", path
            )
            _array(edge, "weight", weights)
    products = graph.create_group("products")
    for j, product in enumerate(network.products):
        product.to_hdf5(products.create_group(str(j)))
    handle.create_dataset("card", data=np.bytes_(card.encode("utf-8")))
