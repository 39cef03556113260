"""The deployed network as neuron groups with their input synapses: what goes onto neuro cores.

Every neuron layer of a ``FoldedNetwork`` is one group. Every attention product becomes the two
groups of its Loihi-native decomposition (``rat_lava.deploy.decomposition``):
``"<product>.coincidence"``, one AND-type neuron per (head, query token, key token, feature i,
feature j), and ``"<product>"``, the counting neurons whose graded output is the product (so the
connections that leave the product keep their source name). The network's ``"input"`` (spike
counts sent by the host) occupies no neuro core.

Groups come in execution order: the layers in the network's order, each product's two groups
just before the first layer that reads the product.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix

from rat_lava.deploy.decomposition import decomposition_wiring
from rat_lava.deploy.network import AttentionProduct, FoldedNetwork

COINCIDENCE_SUFFIX = ".coincidence"
"""Name suffix of an attention product's coincidence-neuron group."""


@dataclass(frozen=True)
class GroupInput:
    """The synapses from one source node into a group.

    Attributes:
        src: source node: a group name or ``"input"`` (the host).
        synapses: (group size, source size) CSR matrix, 1 where a nonzero weight exists.
    """

    src: str
    synapses: csr_matrix


@dataclass(frozen=True)
class NeuronGroup:
    """Neurons that share a process (one Lava LIF-type process or one decomposition stage).

    Attributes:
        name: group name (the layer name, or see the module docstring for products).
        profiles: int (size,), index of each neuron's parameter set (distinct
            (current_decay, voltage_decay) pairs of a layer); equal index = same profile.
        inputs: the synapses into the group, recurrent ones included (src == name).
    """

    name: str
    profiles: np.ndarray
    inputs: tuple[GroupInput, ...]

    @property
    def size(self) -> int:
        """Number of neurons."""
        return int(self.profiles.size)

    def fan_in(self) -> np.ndarray:
        """Synapses into each neuron, int64 (size,), all inputs together."""
        total = np.zeros(self.size, dtype=np.int64)
        for item in self.inputs:
            total += np.diff(item.synapses.indptr)
        return total


def _pattern(weight: np.ndarray) -> csr_matrix:
    """CSR 0/1 matrix of the nonzero entries of ``weight`` (post, pre)."""
    return csr_matrix((np.asarray(weight) != 0).astype(np.int8))


def _layer_profiles(current_decay: np.ndarray, voltage_decay: np.ndarray) -> np.ndarray:
    """Profile index per neuron: neurons with the same decay pair share an index."""
    pairs = np.stack([current_decay, voltage_decay], axis=1)
    return np.unique(pairs, axis=0, return_inverse=True)[1].reshape(-1).astype(np.int64)


def attention_groups(product: AttentionProduct) -> tuple[NeuronGroup, NeuronGroup]:
    """The coincidence and counting groups of ``product`` (one profile each)."""
    wiring = decomposition_wiring(product.tokens, product.heads, product.head_features)
    coincidence_name = product.name + COINCIDENCE_SUFFIX
    coincidence = NeuronGroup(
        name=coincidence_name,
        profiles=np.zeros(wiring.q.shape[0], dtype=np.int64),
        inputs=(
            GroupInput(product.q, wiring.q),
            GroupInput(product.k, wiring.k),
            GroupInput(product.v, wiring.v),
        ),
    )
    counting = NeuronGroup(
        name=product.name,
        profiles=np.zeros(product.size, dtype=np.int64),
        inputs=(GroupInput(coincidence_name, wiring.count),),
    )
    return coincidence, counting


def network_groups(network: FoldedNetwork) -> list[NeuronGroup]:
    """All neuron groups of ``network`` in execution order (see the module docstring)."""
    products = {product.name: product for product in network.products}
    groups: list[NeuronGroup] = []
    for layer in network.layers:
        incoming = [conn for conn in network.connections if conn.dst == layer.name]
        for conn in incoming:
            product = products.pop(conn.src, None)
            if product is not None:
                groups.extend(attention_groups(product))
        inputs = [GroupInput(conn.src, _pattern(conn.weight)) for conn in incoming]
        if layer.recurrent is not None:
            inputs.append(GroupInput(layer.name, _pattern(layer.recurrent)))
        groups.append(
            NeuronGroup(
                name=layer.name,
                profiles=_layer_profiles(layer.current_decay, layer.voltage_decay),
                inputs=tuple(inputs),
            )
        )
    for product in products.values():
        groups.extend(attention_groups(product))
    return groups
