"""ProcessModels of ChannelAttention."""

import numpy as np
from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.model import PyLoihiProcessModel
from lava.magma.core.model.py.ports import PyInPort, PyOutPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol

from rat_lava.lava.processes.attention.process import ChannelAttention
from rat_lava.reference.attention import channel_attention


@implements(proc=ChannelAttention, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt")
class PyChannelAttentionModelFixed(PyLoihiProcessModel):
    """Integer product, vectorised over tokens and heads; int32 graded spikes out (24-bit
    payload on Loihi 2, not enforced here)."""

    q_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=24)
    k_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=24)
    v_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=24)
    a_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=24)
    shift: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=5)

    def run_spk(self) -> None:
        """Receive q, k, v of this step and send their product in the same step."""
        tokens = self.proc_params["num_tokens"]
        features = self.proc_params["num_features"]
        q, k, v = (
            port.recv().reshape(tokens, features) for port in (self.q_in, self.k_in, self.v_in)
        )
        product = channel_attention(q, k, v, self.proc_params["num_heads"], int(self.shift[0]))
        self.a_out.send(product.reshape(-1))
