"""Instantiate the Lava processes of a ``LavaGraph`` and choose their ProcessModels.

Leaves (standard Lava processes except the two marked):

- a population -> ``lava.proc.lif.process.LIF`` (CUBA layers) or ``GradedIntegrator`` (the
  readout, marked: ``rat_lava.lava.processes.integrator``);
- a synapse -> ``lava.proc.dense.process.Dense``, or ``DelayDense`` with per-synapse delays;
- an attention product -> ``ChannelAttention`` (marked: ``rat_lava.lava.processes.attention``),
  run by one of its ProcessModels, ``attention_model``: ``"fused"`` (vectorised numpy, one CPU
  process) or ``"decomposed"`` (a SubProcessModel of Loihi-native leaves, fixed point only).

``build_fused_network`` gives the same graph as one ``FusedNetwork`` process instead (fixed point,
CPU only; ``rat_lava.lava.processes.network``): the same outputs, a fraction of the simulator's
per-step cost.

``model_overrides`` gives the ``exception_proc_model_map`` entries for the CPU simulator: the
attention model, and DelayDense models that cache their delay matrix (bit-exact with Lava's
own, much faster on the CPU; ``rat_lava.lava.processes.delay_dense``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from lava.magma.core.process.ports.ports import InPort, OutPort
from lava.magma.core.process.process import AbstractProcess
from lava.proc.dense.process import DelayDense, Dense
from lava.proc.lif.process import LIF

from rat_lava.deploy.graph import LavaGraph, Population, Synapse
from rat_lava.deploy.network import INPUT
from rat_lava.lava.choices import NETWORK_MODELS
from rat_lava.lava.processes.attention.models import (
    ATTENTION_MODELS,
    attention_run_config_overrides,
)
from rat_lava.lava.processes.attention.process import ChannelAttention
from rat_lava.lava.processes.delay_dense.models import (
    PyDelayDenseModelCachedFixed,
    PyDelayDenseModelCachedFloat,
)
from rat_lava.lava.processes.integrator.process import GradedIntegrator
from rat_lava.lava.processes.network.process import FusedNetwork
from rat_lava.lava.processes.recorder.process import split_columns

__all__ = [
    "ATTENTION_MODELS",
    "NETWORK_MODELS",
    "LavaNetwork",
    "build",
    "build_fused_network",
    "build_network",
    "check_network_model",
    "model_overrides",
]

"""How a graph becomes Lava processes: its standard leaves, or one ``FusedNetwork``."""


def model_overrides(graph: LavaGraph, attention_model: str) -> dict[type, type]:
    """Process class -> ProcessModel class for running ``graph`` in the CPU simulator.

    The fused attention model computes an integer product of spikes and serves both precisions;
    the decomposed one is fixed point only.
    """
    if attention_model == "decomposed" and graph.precision != "fixed":
        raise ValueError("the decomposed attention model runs in fixed point only")
    delay_dense = (
        PyDelayDenseModelCachedFixed if graph.precision == "fixed" else PyDelayDenseModelCachedFloat
    )
    return {**attention_run_config_overrides(attention_model), DelayDense: delay_dense}


@dataclass
class LavaNetwork:
    """The instantiated processes of a graph.

    inputs: InPorts that take the input counts (C,) (connect a source to all of them).
    output: the readout's OutPort (readout size,), v every step.
    spikes: OutPort of every CUBA population, by population name.
    products: OutPort of every attention product, by product name.
    processes: every process, by population, product or synapse name (leaves), or the one
        ``FusedNetwork`` by the name ``"network"``.
    fused: the FusedNetwork whose ``nodes_out`` sends every population and product at once
        (``spikes`` and ``products`` are then empty), or None for leaves.
    """

    graph: LavaGraph
    inputs: list[InPort]
    output: OutPort
    spikes: dict[str, OutPort]
    products: dict[str, OutPort]
    processes: dict[str, AbstractProcess]
    fused: FusedNetwork | None = None

    @property
    def block(self) -> int:
        """Network steps per Lava time step: the FusedNetwork's block, 1 for leaves."""
        return 1 if self.fused is None else self.fused.block

    def split_nodes(self, messages: np.ndarray) -> dict[str, np.ndarray]:
        """What ``fused.nodes_out`` sent, (T, total) per network step, cut into (T, size) per
        population and product."""
        parts = split_columns(messages, list(self.fused.node_sizes.values()))
        return dict(zip(self.fused.node_sizes, parts, strict=True))


def check_network_model(network_model: str) -> None:
    """ValueError unless ``network_model`` is one of ``NETWORK_MODELS``."""
    if network_model not in NETWORK_MODELS:
        raise ValueError(
            f"unknown network model {network_model!r}; choose one of {', '.join(NETWORK_MODELS)}"
        )


def build(graph: LavaGraph, network_model: str = "leaves", block: int = 1) -> LavaNetwork:
    """``build_network`` (``"leaves"``) or ``build_fused_network`` (``"fused"``, ``block``
    network steps per Lava step)."""
    check_network_model(network_model)
    if network_model == "fused":
        return build_fused_network(graph, block)
    return build_network(graph)


def build_fused_network(graph: LavaGraph, block: int = 1) -> LavaNetwork:
    """The fixed-point ``graph`` as one ``FusedNetwork`` process advancing ``block`` network
    steps per Lava time step (its ports carry ``block`` steps per message)."""
    fused = FusedNetwork(graph=graph, block=block)
    return LavaNetwork(graph, [fused.s_in], fused.v_out, {}, {}, {"network": fused}, fused)


def build_network(graph: LavaGraph) -> LavaNetwork:
    """Create and connect the Lava processes of ``graph``."""
    procs: dict[str, AbstractProcess] = {pop.name: _neurons(pop) for pop in graph.populations}
    for product in graph.products:
        attention = ChannelAttention(
            num_tokens=product.tokens,
            num_features=product.heads * product.head_features,
            num_heads=product.heads,
            shift=0,
            delay=product.delay,
        )
        procs[product.q].s_out.connect(attention.q_in)
        procs[product.k].s_out.connect(attention.k_in)
        procs[product.v].s_out.connect(attention.v_in)
        procs[product.name] = attention
    inputs = []
    for synapse in graph.synapses:
        dense = _synapse(synapse)
        dense.a_out.connect(procs[synapse.dst].a_in)
        if synapse.src == INPUT:
            inputs.append(dense.s_in)
        elif isinstance(procs[synapse.src], ChannelAttention):
            procs[synapse.src].a_out.connect(dense.s_in)
        else:
            procs[synapse.src].s_out.connect(dense.s_in)
        procs[synapse.name] = dense
    spikes = {pop.name: procs[pop.name].s_out for pop in graph.populations if pop.kind == "cuba"}
    products = {product.name: procs[product.name].a_out for product in graph.products}
    return LavaNetwork(graph, inputs, procs[graph.readout].s_out, spikes, products, procs)


def _neurons(pop: Population) -> LIF | GradedIntegrator:
    kwargs = {
        "shape": (pop.size,),
        "du": pop.du,
        "dv": pop.dv,
        "bias_mant": pop.bias_mant,
        "bias_exp": pop.bias_exp,
        "name": pop.name,
    }
    if pop.kind == "integrator":
        return GradedIntegrator(**kwargs)
    return LIF(vth=pop.vth, **kwargs)


def _synapse(synapse: Synapse) -> Dense:
    kwargs = {
        "weights": np.asarray(synapse.weights),
        "weight_exp": synapse.weight_exp,
        "num_message_bits": synapse.num_message_bits,
        "name": synapse.name,
    }
    if synapse.delays is None:
        return Dense(**kwargs)
    return DelayDense(delays=synapse.delays, **kwargs)
