"""A pass-through Lava process whose model can raise or hang at a chosen time step (test aid).

Process and model share this module so that Lava's model discovery finds the model.
"""

import time

import numpy as np
from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.model import PyLoihiProcessModel
from lava.magma.core.model.py.ports import PyInPort, PyOutPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.process.ports.ports import InPort, OutPort
from lava.magma.core.process.process import AbstractProcess
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol

MODES = ("ok", "raise", "hang", "raise_in_init")


class Faulty(AbstractProcess):
    """Relays its input; at ``fail_at`` (1-based time step) does what ``mode`` says."""

    def __init__(self, *, shape: tuple[int, ...], mode: str, fail_at: int = 1) -> None:
        if mode not in MODES:
            raise ValueError(mode)
        super().__init__(shape=shape, mode=mode, fail_at=fail_at)
        self.a_in = InPort(shape=shape)
        self.s_out = OutPort(shape=shape)


@implements(proc=Faulty, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt")
class PyFaultyModel(PyLoihiProcessModel):
    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32)
    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32)

    def __init__(self, proc_params: dict) -> None:
        super().__init__(proc_params)
        if self.proc_params["mode"] == "raise_in_init":
            raise ValueError("deliberate failure in the model constructor")

    def run_spk(self) -> None:
        data = self.a_in.recv()
        if self.time_step == self.proc_params["fail_at"]:
            if self.proc_params["mode"] == "raise":
                raise ValueError(f"deliberate failure at time step {self.time_step}")
            if self.proc_params["mode"] == "hang":
                time.sleep(3600)
        self.s_out.send(data)


class Modelless(AbstractProcess):
    """A process without any ProcessModel (compilation must fail)."""

    def __init__(self, *, shape: tuple[int, ...]) -> None:
        super().__init__(shape=shape)
        self.a_in = InPort(shape=shape)
