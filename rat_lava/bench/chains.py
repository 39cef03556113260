"""Build a chain of standard Lava leaves (Dense/DelayDense -> LIF or Sigma) from reference
parameters, so that the Lava graph and ``rat_lava.reference.network.simulate`` are the same
network by construction.

Only library processes are used (``lava.proc.dense``, ``lava.proc.lif``, ``lava.proc.sdn``), the
leaves netx itself instantiates, so every leaf has a Loihi 2 counterpart.
"""

from typing import NamedTuple

import numpy as np
from lava.magma.core.process.ports.ports import InPort, OutPort
from lava.proc.dense.process import DelayDense, Dense
from lava.proc.lif.process import LIF
from lava.proc.sdn.process import Sigma

from rat_lava.reference.network import LayerParams, SigmaParams, layer_size
from rat_lava.reference.synapse import DenseParams


class LavaLayer(NamedTuple):
    """The Lava processes of one layer."""

    synapse: Dense
    neurons: LIF | Sigma
    recurrent: Dense | None


class LavaChain(NamedTuple):
    """A built chain: ``inp`` is the first synapse's input, ``out`` the last neurons' output."""

    layers: list[LavaLayer]
    inp: InPort
    out: OutPort


def build_dense(params: DenseParams) -> Dense:
    """A Lava ``Dense`` (``DelayDense`` if ``params.delays`` is set) with these parameters."""
    kwargs = {
        "weights": np.asarray(params.weights, dtype=np.int64),
        "weight_exp": int(params.weight_exp),
        "num_weight_bits": int(params.num_weight_bits),
        "num_message_bits": int(params.num_message_bits),
    }
    if params.delays is None:
        return Dense(**kwargs)
    return DelayDense(delays=np.asarray(params.delays, dtype=int), **kwargs)


def build_neurons(layer: LayerParams) -> LIF | Sigma:
    """The neuron process of ``layer`` (LIF or Sigma)."""
    n = layer_size(layer)
    if isinstance(layer.neurons, SigmaParams):
        return Sigma(shape=(n,))
    p = layer.neurons
    return LIF(
        shape=(n,),
        du=p.du,
        dv=p.dv,
        vth=p.vth,
        bias_mant=p.bias_mant,
        bias_exp=p.bias_exp,
    )


def build_chain(layers: list[LayerParams]) -> LavaChain:
    """Instantiate and connect the processes of ``layers`` (feed-forward, recurrent loops)."""
    built: list[LavaLayer] = []
    for layer in layers:
        synapse = build_dense(layer.synapse)
        neurons = build_neurons(layer)
        synapse.a_out.connect(neurons.a_in)
        recurrent = None
        if layer.recurrent is not None:
            recurrent = build_dense(layer.recurrent)
            neurons.s_out.connect(recurrent.s_in)
            recurrent.a_out.connect(neurons.a_in)
        if built:
            built[-1].neurons.s_out.connect(synapse.s_in)
        built.append(LavaLayer(synapse, neurons, recurrent))
    return LavaChain(built, built[0].synapse.s_in, built[-1].neurons.s_out)
