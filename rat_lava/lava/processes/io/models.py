"""Tagged ProcessModels for ``lava.proc.io`` Injector and Extractor.

Lava 0.10.0 ships one untagged LoihiProtocol model per process (plus an AsyncProtocol one), with
``float`` ports. Two consequences (``lava/proc/io/injector.py``, ``extractor.py``,
``lava/magma/core/run_configs.py`` ``AbstractLoihiRunCfg.select``):

- with ``select_tag`` set, the selector finds two untagged models and raises "No ProcessModels
  found with tag ...";
- a float message into a fixed-point ``Dense`` with graded input (``num_message_bits > 0``)
  fails in ``np.right_shift`` (float operand), and the channel dtype is the *sender's* port type.

These subclasses only retype the ports (int32 for ``fixed_pt``) and carry a tag. They are not
found by Lava's model discovery (other directory); ``rat_lava.lava.runtime.sim_run_config``
passes them through ``exception_proc_model_map``.
"""

import numpy as np
from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.ports import PyInPort, PyOutPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol
from lava.proc.io.extractor import Extractor, PyLoihiExtractorModel
from lava.proc.io.injector import Injector, PyLoihiInjectorModel


@implements(proc=Injector, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt")
class PyInjectorModelFixed(PyLoihiInjectorModel):
    """Injector with int32 messages (graded spike counts, one vector per time step)."""

    in_port: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=24)
    out_port: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=24)


@implements(proc=Injector, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyInjectorModelFloat(PyLoihiInjectorModel):
    """Injector with float messages (Lava's own model, tagged)."""


@implements(proc=Extractor, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt")
class PyExtractorModelFixed(PyLoihiExtractorModel):
    """Extractor with int32 messages (binary or graded spikes, 24-bit payload)."""

    in_port: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=24)
    out_port: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=24)


@implements(proc=Extractor, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyExtractorModelFloat(PyLoihiExtractorModel):
    """Extractor with float messages (Lava's own model, tagged)."""


IO_MODELS = {
    "fixed_pt": {Injector: PyInjectorModelFixed, Extractor: PyExtractorModelFixed},
    "floating_pt": {Injector: PyInjectorModelFloat, Extractor: PyExtractorModelFloat},
}
"""Model of each Lava I/O process for each ``select_tag``."""
