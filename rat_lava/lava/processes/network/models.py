"""ProcessModel of FusedNetwork: the fixed-point leaves of the graph, stepped by the compiled
kernel (``rat_lava.kernel``), a block of network steps per Lava time step.

The kernel computes Lava's ``fixed_pt`` models step by step, so the outputs equal those of the Lava
leaves bit for bit (tests compare both, and the kernel with the pure-Python reference).
"""

import numpy as np
from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.model import PyLoihiProcessModel
from lava.magma.core.model.py.ports import PyInPort, PyOutPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol

from rat_lava.kernel.plan import plan_graph
from rat_lava.kernel.step import CompiledStream
from rat_lava.lava.processes.network.process import FusedNetwork


@implements(proc=FusedNetwork, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt")
class PyFusedNetworkModelFixed(PyLoihiProcessModel):
    """Receives the counts of a block of steps, steps every leaf through the block, sends the
    readout (and the nodes) of each step."""

    s_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=24)
    v_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=24)
    nodes_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=24)

    def __init__(self, proc_params: dict) -> None:
        super().__init__(proc_params)
        graph = proc_params["graph"]
        plan = plan_graph(graph)
        self._readout = plan.node_slice(graph.readout)
        # one step of a throw-away stream loads the compiled kernel now, at the run's start-up,
        # not during the first time step
        CompiledStream(plan).run(np.zeros((1, plan.n_inputs), np.int64))
        self._stream = CompiledStream(plan)

    def run_spk(self) -> None:
        """``block`` network steps of every leaf."""
        counts = self.s_in.recv().astype(np.int64).reshape(self.proc_params["block"], -1)
        if not self.nodes_out.csp_ports:  # the readout alone
            readout = self._stream.run(counts, self._readout)
            self.v_out.send(readout.reshape(-1).astype(np.int32))
            return
        sent = self._stream.run(counts)
        self.v_out.send(sent[:, self._readout].reshape(-1).astype(np.int32))
        self.nodes_out.send(sent.reshape(-1).astype(np.int32))
