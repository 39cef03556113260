"""How a ``FoldedNetwork`` is laid out as netx layer groups plus graph edges.

Each neuron layer is one netx layer group. The group holds the weights of the layer's *primary*
input, the first connection into it in ``network.connections`` order (netx's ``weight`` and
``delay``), and its recurrent weights (``weight_rec``). Every other connection is a graph edge
with weights of its own. A network is a *chain* when its layers, in order, each have exactly
one input, from the previous layer (the first from the input), no delays and no attention
products: stock ``lava.lib.dl.netx.hdf5.Network`` then builds the same network.
"""

from __future__ import annotations

from rat_lava.deploy.network import INPUT, Connection, FoldedNetwork

RECURRENT = " (recurrent)"
"""Suffix that names a layer's recurrent matrix, e.g. ``"x (recurrent)"``."""


def edge_name(conn: Connection) -> str:
    """``src->dst``."""
    return f"{conn.src}->{conn.dst}"


def primary_inputs(network: FoldedNetwork) -> dict[str, int]:
    """Index in ``network.connections`` of each layer's primary (first) input connection."""
    primary: dict[str, int] = {}
    for index, conn in enumerate(network.connections):
        primary.setdefault(conn.dst, index)
    return primary


def is_chain(network: FoldedNetwork) -> bool:
    """True when stock netx, which links layer groups in order, computes this network."""
    if network.products or len(network.connections) != len(network.layers):
        return False
    if network.readout != network.layers[-1].name:
        return False
    sources = [INPUT, *(layer.name for layer in network.layers[:-1])]
    return all(
        (conn.src, conn.dst, conn.delay) == (src, layer.name, 0)
        for conn, src, layer in zip(network.connections, sources, network.layers, strict=True)
    )
