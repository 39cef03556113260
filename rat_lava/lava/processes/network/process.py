"""FusedNetwork: every leaf of a ``LavaGraph`` computed by one CPU ProcessModel.

Lava's CPU simulator runs each leaf process in its own OS process and synchronises all of them at
every time step, so the per-step cost grows with the number of leaves, whatever they compute: on
2 cores the small RAT as Lava leaves (about 20 processes) and even a stock NetX chain of the same
size stay well below real time (``benchmarks/lava_sim_speed.py``). ``FusedNetwork`` is the same
network as one Lava process: its fixed-point model steps every leaf exactly as Lava's
``fixed_pt`` models do (the compiled kernel ``rat_lava.kernel``, checked against the pure-Python
reference), so its outputs equal the leaves' bit for bit. It advances ``block`` network steps
per Lava time step, so Lava's per-step handshake is paid once per block. It is a simulation
convenience for long or real-time runs on the CPU; what maps onto Loihi 2 is the leaves graph of
``rat_lava.lava.builder``.

Timing is the leaves graph's, a block at a time: at Lava step k it receives the counts of network
steps (k - 1) B .. k B - 1 (B = ``block``) and sends what the leaves send at those steps (the
readout's v, and every population's spikes and product's values), step after step.
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
    block: network steps per Lava time step (B, default 1).

    Ports (every message holds B network steps, step after step)
    -----
    s_in: InPort (B * n_inputs,), spike counts of B network steps (graded).
    v_out: OutPort (B * readout size,), the readout's v at each step (units of 1/4096).
    nodes_out: OutPort (B * sum of ``node_sizes``,), every node's output at each step,
        concatenated in ``node_sizes`` order (populations, then products); computed only when
        connected.
    """

    def __init__(self, *, graph: LavaGraph, block: int = 1, name: str | None = None) -> None:
        if graph.precision != "fixed":
            raise ValueError("FusedNetwork runs fixed-point graphs only")
        if block < 1:
            raise ValueError(f"block must be at least 1 step, got {block}")
        super().__init__(graph=graph, block=block, name=name)
        self.block = block
        self.node_sizes = graph.node_sizes
        self.readout = graph.readout
        self.s_in = InPort(shape=(block * graph.n_inputs,))
        self.v_out = OutPort(shape=(block * graph.population(graph.readout).size,))
        self.nodes_out = OutPort(shape=(block * sum(self.node_sizes.values()),))
