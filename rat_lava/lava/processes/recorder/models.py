"""ProcessModels of Recorder: receive every port, send the concatenation to the host.

A PyProcessModel declares one ``LavaPyType`` per port as a class attribute, and a Recorder has
as many InPorts as it records, so ``recorder_model`` creates (once per port count and precision)
the model class with ``in_0`` .. ``in_{n-1}``. No model class exists for Lava's discovery to
find, so ``recorder_overrides`` keys the model by the Recorder *instance*: Lava's compiler looks
each process instance up in ``exception_proc_model_map`` before it searches models
(``magma/compiler/compiler_graphs.py:1031``, lava-nc 0.10.0).
"""

from __future__ import annotations

import functools

import numpy as np
from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.model import PyLoihiProcessModel
from lava.magma.core.model.py.ports import PyInPort, PyOutPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol

from rat_lava.lava.processes.recorder.process import Recorder, port_name

PRECISIONS = {"fixed_pt": (np.int32, 24), "floating_pt": (float, None)}
"""Message type and bits of the ports per Lava tag (the fixed_pt senders send int32)."""


class _PyRecorderModel(PyLoihiProcessModel):
    """Receives every InPort of the step and sends their concatenation (port order)."""

    def run_spk(self) -> None:
        ports = (getattr(self, port_name(i)) for i in range(len(self.proc_params["sizes"])))
        self.out_port.send(np.concatenate([port.recv() for port in ports]))


@functools.cache
def recorder_model(num_ports: int, select_tag: str = "fixed_pt") -> type[PyLoihiProcessModel]:
    """The Recorder model with ``num_ports`` InPorts for ``select_tag`` (fixed_pt: int32
    messages; floating_pt: float)."""
    dtype, precision = PRECISIONS[select_tag]
    ports = {
        port_name(i): LavaPyType(PyInPort.VEC_DENSE, dtype, precision=precision)
        for i in range(num_ports)
    }
    ports["out_port"] = LavaPyType(PyOutPort.VEC_DENSE, dtype, precision=precision)
    name = f"PyRecorderModel{num_ports}{'Fixed' if select_tag == 'fixed_pt' else 'Float'}"
    model = type(name, (_PyRecorderModel,), {**ports, "__module__": __name__})
    return tag(select_tag)(requires(CPU)(implements(proc=Recorder, protocol=LoihiProtocol)(model)))


def recorder_overrides(recorder: Recorder, select_tag: str = "fixed_pt") -> dict:
    """``exception_proc_model_map`` entry (keyed by the instance) that runs ``recorder`` with
    its model."""
    return {recorder: recorder_model(len(recorder.sizes), select_tag)}
