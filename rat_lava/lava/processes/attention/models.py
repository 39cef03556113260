"""ProcessModels of ChannelAttention: fused (CPU, the compiled kernel's product) and decomposed
(Loihi-native leaves).

Lava picks the fused model by default (a leaf model wins over a SubProcessModel unless
``select_sub_proc_model`` is set, ``lava/magma/core/run_configs.py`` ``select``); pass
``attention_run_config_overrides(name)`` as ``exception_proc_model_map`` entries to choose one
explicitly. Both are ``fixed_pt`` only and agree bit for bit on binary spikes.
"""

import numpy as np
from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.model import AbstractProcessModel
from lava.magma.core.model.py.model import PyLoihiProcessModel
from lava.magma.core.model.py.ports import PyInPort, PyOutPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.model.sub.model import AbstractSubProcessModel
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol
from lava.proc.graded.process import GradedVec
from lava.proc.lif.process import LIF
from lava.proc.sparse.process import Sparse

from rat_lava.deploy.decomposition import (
    COINCIDENCE_THRESHOLD,
    DECOMPOSED_DELAY,
    decomposition_wiring,
)
from rat_lava.deploy.fixed_point import CURRENT_DECAY_OFFSET, DECAY_UNITY
from rat_lava.kernel.step import product_into
from rat_lava.lava.choices import ATTENTION_MODEL_NAMES
from rat_lava.lava.processes.attention.process import ChannelAttention

CLEAR_CURRENT = DECAY_UNITY - CURRENT_DECAY_OFFSET
"""LIF du that empties u every step (the fixed-point LIF decays u by du + 1)."""

CLEAR_VOLTAGE = DECAY_UNITY - 1
"""LIF dv (12-bit, at most 4095) that empties a coincidence neuron's v every step: a neuron that
did not fire holds v <= 2 << 6 < 4096, and v * (4096 - 4095) >> 12 = 0."""


@implements(proc=ChannelAttention, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt", "fused")
class PyChannelAttentionModelFixed(PyLoihiProcessModel):
    """Integer product (``rat_lava.kernel.step.product_into``), sent ``delay`` steps later as
    int32 graded spikes (24-bit payload on Loihi 2, not enforced here)."""

    q_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=24)
    k_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=24)
    v_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=24)
    a_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=24)
    shift: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=5)

    def __init__(self, proc_params: dict) -> None:
        super().__init__(proc_params)
        size = proc_params["num_tokens"] * proc_params["num_features"]
        self._pending = np.zeros((proc_params["delay"], size), dtype=np.int32)
        self._slot = 0

    def run_spk(self) -> None:
        """Receive q, k, v of step t; send the product of step t - delay (zeros before)."""
        tokens = self.proc_params["num_tokens"]
        features = self.proc_params["num_features"]
        heads = self.proc_params["num_heads"]
        qkv = np.concatenate(
            [port.recv().astype(np.int64) for port in (self.q_in, self.k_in, self.v_in)]
        )
        size = tokens * features
        product = np.zeros(size, np.int64)
        product_into(
            qkv, 0, size, 2 * size, product, 0, tokens, heads, features // heads, int(self.shift[0])
        )
        product = product.astype(np.int32)
        if len(self._pending):
            product, self._pending[self._slot] = self._pending[self._slot].copy(), product
            self._slot = (self._slot + 1) % len(self._pending)
        self.a_out.send(product)


@implements(proc=ChannelAttention, protocol=LoihiProtocol)
@tag("fixed_pt", "decomposed")
class SubChannelAttentionModelDecomposed(AbstractSubProcessModel):
    """Q (K^T V) from Loihi-native leaves (see ``decomposition.py``), delay 2 steps.

    Leaves: three ``Sparse`` (q, k, v -> coincidence neurons, binary spikes, weight 1), one
    ``LIF`` of AND-type coincidence neurons (u and v cleared every step, threshold 2: fires only
    on 3 coincident input spikes), one ``Sparse`` (coincidence -> counting, weight 1, weight_exp
    = -shift, which floors like the fused ``>> shift``) and one ``GradedVec`` (vth = 0) that
    sends its input sum, the count, as a graded spike in the same step. Any non-zero q, k, v
    payload counts as one spike.

    Raises ValueError (at compile time) unless the process's delay is 2.
    """

    def __init__(self, proc: ChannelAttention) -> None:
        params = proc.proc_params
        if params["delay"] != DECOMPOSED_DELAY:
            raise ValueError(
                f"ChannelAttention {proc.name!r}: the decomposed model has a fixed delay of "
                f"{DECOMPOSED_DELAY} steps (coincidence neurons one step after q, k, v, counting "
                f"neurons one step later), got delay={params['delay']}; build the process with "
                f"delay={DECOMPOSED_DELAY} or use the fused model"
            )
        heads = params["num_heads"]
        wiring = decomposition_wiring(params["num_tokens"], heads, params["num_features"] // heads)
        self.q_synapses = Sparse(weights=wiring.q)
        self.k_synapses = Sparse(weights=wiring.k)
        self.v_synapses = Sparse(weights=wiring.v)
        self.coincidence = LIF(
            shape=(wiring.q.shape[0],),
            du=CLEAR_CURRENT,
            dv=CLEAR_VOLTAGE,
            vth=COINCIDENCE_THRESHOLD,
        )
        self.count_synapses = Sparse(weights=wiring.count, weight_exp=-params["shift"])
        self.counting = GradedVec(shape=(wiring.count.shape[0],), vth=0)
        for port, synapses in (
            (proc.in_ports.q_in, self.q_synapses),
            (proc.in_ports.k_in, self.k_synapses),
            (proc.in_ports.v_in, self.v_synapses),
        ):
            port.connect(synapses.s_in)
            synapses.a_out.connect(self.coincidence.a_in)
        self.coincidence.s_out.connect(self.count_synapses.s_in)
        self.count_synapses.a_out.connect(self.counting.a_in)
        self.counting.s_out.connect(proc.out_ports.a_out)


ATTENTION_MODELS: dict[str, type[AbstractProcessModel]] = dict(
    zip(
        ATTENTION_MODEL_NAMES,
        (PyChannelAttentionModelFixed, SubChannelAttentionModelDecomposed),
        strict=True,
    )
)
"""The ChannelAttention ProcessModels by name."""


def attention_run_config_overrides(model: str) -> dict[type, type[AbstractProcessModel]]:
    """``exception_proc_model_map`` entries that make Lava run every ChannelAttention with
    ``model`` ("fused" or "decomposed"); merge them into the run configuration's map."""
    if model not in ATTENTION_MODELS:
        raise ValueError(
            f"attention model must be one of {sorted(ATTENTION_MODELS)}, got {model!r}"
        )
    return {ChannelAttention: ATTENTION_MODELS[model]}
