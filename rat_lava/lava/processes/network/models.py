"""ProcessModel of FusedNetwork: the fixed-point leaves of the graph, stepped in numpy.

Each step is ``DeployedStream.step`` (the reference emulator of Lava's ``fixed_pt`` models), so the
outputs equal those of the Lava leaves bit for bit.
"""

import numpy as np
from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.model import PyLoihiProcessModel
from lava.magma.core.model.py.ports import PyInPort, PyOutPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol

from rat_lava.lava.processes.network.process import FusedNetwork
from rat_lava.reference.stream import DeployedStream


@implements(proc=FusedNetwork, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt")
class PyFusedNetworkModelFixed(PyLoihiProcessModel):
    """Receives the counts of the step, steps every leaf, sends the readout (and the nodes)."""

    s_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=24)
    v_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=24)
    nodes_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=24)

    def __init__(self, proc_params: dict) -> None:
        super().__init__(proc_params)
        self._stream: DeployedStream | None = None

    def run_spk(self) -> None:
        """One time step of every leaf."""
        if self._stream is None:
            self._stream = DeployedStream(self.proc_params["graph"])
        sent = self._stream.step(self.s_in.recv().astype(np.int64))
        self.v_out.send(sent[self.proc_params["graph"].readout].astype(np.int32))
        if self.nodes_out.csp_ports:
            self.nodes_out.send(np.concatenate(list(sent.values())).astype(np.int32))
