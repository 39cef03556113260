"""ChannelAttention models that send zeros and fail at a chosen time step, or never (test aid),
for LavaDecoder overrides."""

import time

import numpy as np
from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.model import PyLoihiProcessModel
from lava.magma.core.model.py.ports import PyInPort, PyOutPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol

from rat_lava.lava.processes.attention.process import ChannelAttention

FAIL_AT = 5
"""Time step (1-based) at which the faulty models fail."""


class _FaultyAttention(PyLoihiProcessModel):
    """Sends zeros until FAIL_AT, then does what ``fail`` does."""

    q_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32)
    k_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32)
    v_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32)
    a_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32)
    shift: np.ndarray = LavaPyType(np.ndarray, np.int32)

    def run_spk(self) -> None:
        q = self.q_in.recv()
        self.k_in.recv()
        self.v_in.recv()
        if self.time_step == FAIL_AT:
            self.fail()
        self.a_out.send(np.zeros_like(q))

    def fail(self) -> None:
        raise NotImplementedError


@implements(proc=ChannelAttention, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt")
class RaisingAttention(_FaultyAttention):
    def fail(self) -> None:
        raise ValueError(f"deliberate attention failure at time step {self.time_step}")


@implements(proc=ChannelAttention, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt")
class HangingAttention(_FaultyAttention):
    def fail(self) -> None:
        time.sleep(3600)


@implements(proc=ChannelAttention, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt")
class SilentAttention(_FaultyAttention):
    """Sends zeros at every step: the Lava run then differs from the numpy model."""

    def fail(self) -> None:
        pass
