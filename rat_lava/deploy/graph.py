"""The Lava leaves that implement a ``FoldedNetwork``, as plain parameters (numpy only).

``LavaGraph.from_network`` maps the deployed network (``rat_lava.deploy.network``) onto Lava's
process library; ``rat_lava.lava.builder`` instantiates the processes and
``rat_lava.reference.deployed`` steps the same graph in numpy.

- **Populations.** CUBA layers become neurons of a ``lava.proc.lif`` LIF. The LIF update is per
  neuron and every Lava synapse adds the same one step, so several layers can share one LIF
  process (per-neuron du, dv, vth, bias) and all connections between two such processes can
  share one synapse (recurrent ones included), with exactly the same numbers. The CPU simulator
  runs every leaf in its own OS process and synchronises all leaves every step, so fewer leaves
  run faster. Layers whose spikes feed an attention product keep their own LIF (each drives one
  port of the product); integrator layers become ``GradedIntegrator`` processes (they send v);
  all other CUBA layers form the population ``core``.
- **Synapses.** All connections from one source (the input, a population or an attention
  product) into one population form one ``Dense``, or one ``DelayDense`` (per-synapse delays)
  when any of them has a delay. Input counts and attention products are graded spikes
  (``num_message_bits`` > 0), LIF spikes binary. In fixed point the weights (64 w) must be what
  Lava's Dense keeps (``_lava_weights``); connections that need different weight exponents
  (odd and large even weights) get a second synapse.
- **Products.** One ``ChannelAttention`` per attention product, fed directly by its q, k, v
  populations, with the product's ``delay`` (it sends the product of step t at t + delay,
  whichever ProcessModel runs it).

Units (``precision``): ``"fixed"`` gives the integers of Lava's ``fixed_pt`` models (weights
64 W, du = iDecay - 1, dv = vDecay, vth = 64 threshold, bias_mant = 64 b with bias_exp 6; the
integrator's v in units of 1/4096) and needs a quantized network; ``"float"`` gives the
parameters of the ``floating_pt`` models (W, du = iDecay / 4096, dv = vDecay / 4096, threshold,
bias; v in model units).

Timing: Lava's source sends input row k - 1 at step k (1-based), and what the readout sends at
step k is the FoldedNetwork's output of step k - 1: a whole-sequence Lava run and
``FoldedNetwork.run`` give the same rows, with no offset to compensate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np

from rat_lava.deploy.fixed_point import (
    DECAY_SCALE,
    MANTISSA_SHIFT,
    MAX_DELAY,
    WEIGHT_SCALE,
    effective_weights,
)
from rat_lava.deploy.network import INPUT, AttentionProduct, FoldedNetwork, NeuronLayer
from rat_lava.errors import RatLavaError

Precision = Literal["fixed", "float"]

CORE = "core"
"""Name of the population that holds every CUBA layer not feeding an attention product."""

INPUT_MESSAGE_BITS = 8
"""Graded payload of the input counts: at most 255 spikes per channel and bin."""

MAX_INPUT_COUNT = (1 << INPUT_MESSAGE_BITS) - 1
"""Largest spike count per channel and bin the input synapse carries."""

BIAS_EXP = MANTISSA_SHIFT
"""netx's bias exponent: bias_mant is in units of 1/64, like weights and thresholds."""


class GraphError(RatLavaError):
    """The network cannot be mapped onto Lava as asked (not quantized, out of range, ...)."""


@dataclass(frozen=True)
class Population:
    """One neuron process: ``layers`` (names, sizes) concatenated in this order.

    kind: "cuba" (a Lava LIF) or "integrator" (a GradedIntegrator). du, dv, vth, bias_mant,
    bias_exp: per-neuron arrays (size,) in the graph's precision (vth unused by integrators).
    """

    name: str
    kind: str
    layers: tuple[str, ...]
    sizes: tuple[int, ...]
    du: np.ndarray
    dv: np.ndarray
    vth: np.ndarray
    bias_mant: np.ndarray
    bias_exp: np.ndarray

    @property
    def size(self) -> int:
        """Number of neurons."""
        return int(sum(self.sizes))

    def slices(self) -> dict[str, slice]:
        """Position of each layer's neurons in the population."""
        ends = np.cumsum(self.sizes)
        spans = zip(self.layers, self.sizes, ends, strict=True)
        return {name: slice(int(end - size), int(end)) for name, size, end in spans}


@dataclass(frozen=True)
class Synapse:
    """One Dense (``delays`` None) or DelayDense from ``src`` (a population, a product or
    ``"input"``) to the population ``dst``, named ``src->dst`` (``src->dst#1`` for a second one).

    weights: (dst size, src size), ints (fixed) or floats; weight_exp: Lava's exponent applied to
    the sum; delays: (dst size, src size) ints (steps added to the one-step synapse) or None;
    num_message_bits: 0 for binary spikes, > 0 for graded payloads.
    """

    name: str
    src: str
    dst: str
    weights: np.ndarray
    weight_exp: int
    delays: np.ndarray | None
    num_message_bits: int


@dataclass(frozen=True)
class LavaGraph:
    """The leaves of one deployed network; see the module docstring.

    network: the FoldedNetwork it implements (layer names, velocity decoding).
    """

    network: FoldedNetwork
    precision: Precision
    populations: tuple[Population, ...]
    synapses: tuple[Synapse, ...]
    products: tuple[AttentionProduct, ...]
    readout: str

    @classmethod
    def from_network(cls, network: FoldedNetwork, precision: Precision = "fixed") -> LavaGraph:
        """Map ``network`` onto Lava leaves for ``precision`` ("fixed" needs a quantized one)."""
        if precision not in ("fixed", "float"):
            raise ValueError(f"precision must be 'fixed' or 'float', got {precision!r}")
        if precision == "fixed" and not network.quantized:
            raise GraphError(
                "the fixed-point backend needs a quantized network (export it with rat-lava "
                "export, or fold a model whose config has quantize=True)"
            )
        populations = _populations(network, precision)
        where = {
            layer: (pop.name, span) for pop in populations for layer, span in pop.slices().items()
        }
        products = tuple(_product(p, where) for p in network.products)
        synapses = _synapses(network, precision, populations, where)
        return cls(
            network=network,
            precision=precision,
            populations=populations,
            synapses=synapses,
            products=products,
            readout=where[network.readout][0],
        )

    @property
    def node_sizes(self) -> dict[str, int]:
        """Output size of every node that sends (populations, then products), in this order."""
        return {node.name: node.size for node in (*self.populations, *self.products)}

    @property
    def n_inputs(self) -> int:
        """Input channels."""
        return self.network.n_inputs

    def population(self, name: str) -> Population:
        """The population called ``name``."""
        for pop in self.populations:
            if pop.name == name:
                return pop
        raise KeyError(name)

    def velocity(self, readout: np.ndarray) -> np.ndarray:
        """Velocity (T, 2) in model units from what the readout sent, (T, readout size)."""
        values = np.asarray(readout, dtype=np.float64)
        if self.precision == "fixed":
            values = values / DECAY_SCALE
        return self.network.velocity(values)

    def layer_spikes(self, outputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Spikes per step (T,) of every CUBA layer, from population outputs (T, size)."""
        counts = {}
        for pop in self.populations:
            if pop.kind == "cuba":
                spikes = np.asarray(outputs[pop.name]) != 0
                for layer, span in pop.slices().items():
                    counts[layer] = spikes[:, span].sum(axis=1).astype(np.int64)
        return counts

    def node_outputs(self, sent: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Output (T, size) of every ``FoldedNetwork`` node from what the leaves sent.

        ``sent``: (T, size) per population, per product and for ``"input"`` (the source's
        counts), as recorded from the run, in the graph's units. Populations are split into
        their layers; products and the input keep their names (the network's node names).
        """
        nodes = {name: np.asarray(sent[name]) for name in (INPUT, *(p.name for p in self.products))}
        for pop in self.populations:
            for layer, span in pop.slices().items():
                nodes[layer] = np.asarray(sent[pop.name])[:, span]
        return nodes


def _populations(network: FoldedNetwork, precision: Precision) -> tuple[Population, ...]:
    """CUBA layers not feeding a product share ``core``; every other layer stands alone."""
    names = {layer.name for layer in network.layers}
    product_inputs = {name for product in network.products for name in product.inputs}
    core = [
        layer
        for layer in network.layers
        if layer.kind == "cuba" and layer.name not in product_inputs
    ]
    if len(core) > 1 and CORE in names:
        raise GraphError(f"a layer is called {CORE!r}, the name of the merged population")
    core_names = [layer.name for layer in core]
    groups: list[list[NeuronLayer]] = []
    for layer in network.layers:
        if layer.name not in core_names:
            groups.append([layer])
        elif layer.name == core_names[0]:
            groups.append(core)
    return tuple(_population(CORE if len(g) > 1 else g[0].name, g, precision) for g in groups)


def _population(name: str, layers: list[NeuronLayer], precision: Precision) -> Population:
    """Per-neuron Lava parameters of ``layers`` concatenated."""

    def per_neuron(values: list[np.ndarray]) -> np.ndarray:
        return np.concatenate([np.asarray(v, dtype=np.float64) for v in values])

    current = per_neuron([layer.current_decay for layer in layers])
    voltage = per_neuron([layer.voltage_decay for layer in layers])
    bias = per_neuron([layer.bias for layer in layers])
    threshold = per_neuron([np.full(layer.size, layer.threshold) for layer in layers])
    if precision == "float":
        du, dv = current / DECAY_SCALE, voltage / DECAY_SCALE
        vth, bias_mant, bias_exp = threshold, bias, np.zeros_like(bias)
    else:
        du = current.astype(np.int64) - 1  # Lava's fixed-point LIF decays u by du + 1
        dv = voltage.astype(np.int64)
        vth = _integers(threshold * WEIGHT_SCALE, f"thresholds of {name}")
        bias_mant = _integers(bias * WEIGHT_SCALE, f"biases of {name}")
        bias_exp = np.full(bias_mant.shape, BIAS_EXP, dtype=np.int64)
        if np.any(np.abs(bias_mant) > np.iinfo(np.int16).max):
            raise GraphError(f"biases of {name} do not fit Lava's 16-bit bias mantissa")
    return Population(
        name=name,
        kind=layers[0].kind,
        layers=tuple(layer.name for layer in layers),
        sizes=tuple(layer.size for layer in layers),
        du=du,
        dv=dv,
        vth=vth,
        bias_mant=bias_mant,
        bias_exp=bias_exp,
    )


def _product(product: AttentionProduct, where: dict[str, tuple[str, slice]]) -> AttentionProduct:
    """The product node, checking that q, k and v each have a population of their own (named
    as the layer, so the product's q, k, v name populations too)."""
    for layer in product.inputs:
        pop, _ = where[layer]
        if pop != layer:
            raise GraphError(f"attention input {layer} shares the population {pop}")
    return product


class _Edge(NamedTuple):
    """One connection placed in a synapse: its block and its delay."""

    name: str
    rows: slice
    cols: slice
    weight: np.ndarray
    delay: int


def _synapses(
    network: FoldedNetwork,
    precision: Precision,
    populations: tuple[Population, ...],
    where: dict[str, tuple[str, slice]],
) -> tuple[Synapse, ...]:
    """One synapse per (source, destination population), connections placed as blocks; in
    fixed point split in two when one weight exponent cannot hold all of them."""
    sizes = {pop.name: pop.size for pop in populations}
    products = {p.name: p for p in network.products}
    sources = {INPUT: (INPUT, slice(0, network.n_inputs))}
    sources.update({name: (name, slice(0, p.size)) for name, p in products.items()})
    sources.update(where)
    sizes[INPUT] = network.n_inputs
    sizes.update({name: p.size for name, p in products.items()})
    edges = [(c.src, c.dst, c.weight, c.delay) for c in network.connections]
    edges += [(n.name, n.name, n.recurrent, 0) for n in network.layers if n.recurrent is not None]
    groups: dict[tuple[str, str], list[_Edge]] = {}
    for src, dst, weight, delay in edges:
        if delay > MAX_DELAY:
            raise GraphError(f"connection {src}->{dst}: delay {delay} exceeds {MAX_DELAY} steps")
        src_pop, cols = sources[src]
        dst_pop, rows = where[dst]
        groups.setdefault((src_pop, dst_pop), []).append(
            _Edge(f"{src}->{dst}", rows, cols, np.asarray(weight, dtype=np.float64), delay)
        )
    synapses = []
    for (src, dst), members in groups.items():
        bits = INPUT_MESSAGE_BITS if src == INPUT else 0
        if src in products:
            bits = _product(products[src], where).message_bits
        shape = (sizes[dst], sizes[src])
        parts = [members] if precision == "float" else _exponent_parts(members, shape)
        for index, part in enumerate(parts):
            weights, delays = _place(part, shape)
            exp = 0
            if precision == "fixed":
                weights, exp = _lava_weights(weights * WEIGHT_SCALE)
            name = f"{src}->{dst}" + (f"#{index}" if index else "")
            delays = delays if delays.any() else None
            synapses.append(Synapse(name, src, dst, weights, exp, delays, bits))
    return tuple(synapses)


def _place(edges: list[_Edge], shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Weights and delays (shape) with every edge's block in place."""
    weights, delays = np.zeros(shape), np.zeros(shape, dtype=np.int64)
    for edge in edges:
        if np.any(weights[edge.rows, edge.cols]):
            raise GraphError(f"two connections {edge.name}")
        weights[edge.rows, edge.cols] = edge.weight
        delays[edge.rows, edge.cols] = edge.delay
    return weights, delays


def _exponent_parts(edges: list[_Edge], shape: tuple[int, int]) -> list[list[_Edge]]:
    """``edges`` in as few groups as Lava's one weight exponent per synapse allows: all
    together, else those with even integer weights (64 w) apart from those with odd ones."""
    for edge in edges:
        _integers(edge.weight * WEIGHT_SCALE, f"weights of {edge.name}")
    if _lava_weights(_place(edges, shape)[0] * WEIGHT_SCALE) is not None:
        return [edges]
    is_odd = [bool(np.any(np.rint(e.weight * WEIGHT_SCALE) % 2)) for e in edges]
    parts = [[e for e, odd in zip(edges, is_odd, strict=True) if odd == flag] for flag in (0, 1)]
    for part in parts:
        if part and _lava_weights(_place(part, shape)[0] * WEIGHT_SCALE) is None:
            names = ", ".join(e.name for e in part)
            raise GraphError(f"weights of {names} do not fit Lava's 8-bit synapses")
    return [part for part in parts if part]


def _integers(values: np.ndarray, what: str) -> np.ndarray:
    """``values`` as int64, which they must already be (quantized parameters)."""
    rounded = np.rint(values)
    if not np.array_equal(rounded, values):
        raise GraphError(f"{what} are not on Lava's fixed-point grid (is the network quantized?)")
    return rounded.astype(np.int64)


def _lava_weights(scaled: np.ndarray) -> tuple[np.ndarray, int] | None:
    """Integer weights and weight_exp that Lava's Dense uses unchanged for the integers
    ``scaled`` (64 w), or None if there are none.

    Lava clips a mixed-sign matrix to [-256, 255] and drops its lowest bit, a one-signed one to
    [-255, 255] (one sign) without dropping. The exponent applies to the sum, so doubling the
    weights with weight_exp -1 (odd weights of a mixed matrix, as netx does) or halving even
    ones with weight_exp 1 (an inhibitory matrix holding -256) is exact.
    """
    weights = np.rint(scaled).astype(np.int64)
    candidates = [(weights, 0), (2 * weights, -1)]
    if not np.any(weights % 2):
        candidates.append((weights // 2, 1))
    for integers, exp in candidates:
        if np.array_equal(effective_weights(integers), integers):
            return integers, exp
    return None
