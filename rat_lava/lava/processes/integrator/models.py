"""ProcessModels of GradedIntegrator: Lava's LIF dynamics, voltage sent as a graded spike."""

import numpy as np
from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.ports import PyOutPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol
from lava.proc.lif.models import AbstractPyLifModelFixed, AbstractPyLifModelFloat

from rat_lava.lava.processes.integrator.process import GradedIntegrator


@implements(proc=GradedIntegrator, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt")
class PyGradedIntegratorModelFixed(AbstractPyLifModelFixed):
    """Bit-accurate LIF sub-threshold update (inherited unchanged); sends v (int32, 24-bit)."""

    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=24)

    def run_spk(self) -> None:
        """Integrate this step's input and send the new voltage."""
        a_in_data = self.a_in.recv()
        self.scale_bias()
        self.subthr_dynamics(activation_in=a_in_data)
        self.s_out.send(self.v)


@implements(proc=GradedIntegrator, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyGradedIntegratorModelFloat(AbstractPyLifModelFloat):
    """Floating-point LIF sub-threshold update (inherited unchanged); sends v (float)."""

    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)

    def run_spk(self) -> None:
        """Integrate this step's input and send the new voltage."""
        self.subthr_dynamics(activation_in=self.a_in.recv())
        self.s_out.send(self.v)
