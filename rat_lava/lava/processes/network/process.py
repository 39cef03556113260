"""FusedNetwork: every leaf of a ``LavaGraph`` computed by one CPU ProcessModel.

Lava's CPU simulator runs each leaf process in its own OS process and synchronises all of them at
every time step, so the per-step cost grows with the number of leaves, whatever they compute: on
2 cores the small RAT as Lava leaves (about 20 processes) and even a stock NetX chain of the same
size stay well below real time (``benchmarks/lava_sim_speed.py``). ``FusedNetwork`` is the same
network as one Lava process: its fixed-point model steps every leaf exactly as Lava's
``fixed_pt`` models do (``rat_lava.reference.stream.DeployedStream``), so its outputs equal the
leaves' bit for bit. It is a simulation convenience for long or real-time runs on the CPU; what
maps onto Loihi 2 is the leaves graph of ``rat_lava.lava.builder``.

Timing is the leaves graph's: at time step k it receives the counts of bin k - 1 and sends what
the leaves send at step k (the readout's v, and every population's spikes and product's values).
"""

from __future__ import annotations

from lava.magma.core.process.ports.ports import InPort, OutPort
from lava.magma.core.process.process import AbstractProcess

from rat_lava.deploy.graph import LavaGraph


class FusedNetwork(AbstractProcess):
    """A fixed-point ``LavaGraph`` as one process.

    Parameters
    ----------
    graph: the network's leaves (``precision == "fixed"``).

    Ports
    -----
    s_in: InPort (n_inputs,), spike counts of one bin (graded).
    v_out: OutPort (readout size,), the readout's v every step (units of 1/4096).
    nodes_out: OutPort (sum of ``node_sizes``,), every node's output of the step, concatenated
        in ``node_sizes`` order (populations, then products); computed only when connected.
    """

    def __init__(self, *, graph: LavaGraph, name: str | None = None) -> None:
        if graph.precision != "fixed":
            raise ValueError("FusedNetwork runs fixed-point graphs only")
        super().__init__(graph=graph, name=name)
        self.node_sizes = graph.node_sizes
        self.readout = graph.readout
        self.s_in = InPort(shape=(graph.n_inputs,))
        self.v_out = OutPort(shape=(graph.population(graph.readout).size,))
        self.nodes_out = OutPort(shape=(sum(self.node_sizes.values()),))
