"""A chain of Lava layers (synapse -> neurons, optional recurrent synapse) stepped in numpy.

The time semantics are Lava's (``lava/proc/io/source.py``, ``proc/dense/models.py``): at time
step t = 1, 2, ... the source sends row t - 1 of the input; each synapse sends what it
accumulated at step t - 1; the neurons of a layer integrate the feed-forward and the recurrent
synapse outputs of step t (summed by their InPort) and send their spikes at step t, which the
next synapse and the layer's own recurrent synapse read in the same step. So layer k's output at
step t depends on the input up to step t - k, and a recurrent spike acts one step later.
"""

from typing import NamedTuple

import numpy as np

from rat_lava.deploy.fixed_point import wrap_int32
from rat_lava.reference.neuron import (
    LIFParams,
    LIFState,
    SigmaState,
    lif_init,
    lif_step,
    sigma_init,
    sigma_step,
)
from rat_lava.reference.synapse import (
    DenseParams,
    DenseState,
    dense_init,
    dense_output,
    dense_step,
)


class SigmaParams(NamedTuple):
    """Sigma neurons (graded integrator) have no parameters; ``n`` is their number."""

    n: int


class LayerParams(NamedTuple):
    """One layer: ``synapse`` feeds ``neurons``; ``recurrent`` (n, n) feeds them back.

    A leaky graded readout is ``neurons=SigmaParams(n)`` with ``recurrent`` =
    ``leaky_readout_feedback(...)`` (see ``rat_lava.reference.readout``).
    """

    synapse: DenseParams
    neurons: LIFParams | SigmaParams
    recurrent: DenseParams | None = None


class LayerState(NamedTuple):
    """State of one layer's processes."""

    synapse: DenseState
    neurons: LIFState | SigmaState
    recurrent: DenseState | None


class LayerTrace(NamedTuple):
    """Per-step record of one layer over T steps.

    output: (T, n) int64, spikes (0/1) of LIF layers or graded values of Sigma layers.
    v: (T, n) int64 membrane voltage after each step (after reset); zeros for Sigma layers.
    """

    output: np.ndarray
    v: np.ndarray


def layer_size(layer: LayerParams) -> int:
    """Number of neurons of ``layer``."""
    return layer.synapse.shape[0]


def init_layers(layers: list[LayerParams]) -> list[LayerState]:
    """Zero state of every layer."""
    states = []
    for layer in layers:
        n = layer_size(layer)
        neurons = sigma_init(n) if isinstance(layer.neurons, SigmaParams) else lif_init(n)
        recurrent = None if layer.recurrent is None else dense_init(layer.recurrent)
        states.append(LayerState(dense_init(layer.synapse), neurons, recurrent))
    return states


def step_layers(
    layers: list[LayerParams], states: list[LayerState], x: np.ndarray
) -> tuple[list[np.ndarray], list[LayerState]]:
    """One time step of the whole chain for source output ``x`` (n_in,).

    Returns the output of every layer at this step and the new states.
    """
    outputs, new_states = [], []
    signal = np.asarray(x, dtype=np.int64)
    for layer, state in zip(layers, states, strict=True):
        a_ff, synapse = dense_step(layer.synapse, state.synapse, signal)
        a_in = a_ff if state.recurrent is None else a_ff + dense_output(state.recurrent)
        a_in = wrap_int32(a_in)
        if isinstance(layer.neurons, SigmaParams):
            signal, neurons = sigma_step(state.neurons, a_in)
        else:
            spikes, neurons = lif_step(layer.neurons, state.neurons, a_in)
            signal = spikes.astype(np.int64)
        recurrent = state.recurrent
        if recurrent is not None:
            _, recurrent = dense_step(layer.recurrent, recurrent, signal)
        outputs.append(signal)
        new_states.append(LayerState(synapse, neurons, recurrent))
    return outputs, new_states


def simulate(layers: list[LayerParams], inputs: np.ndarray) -> list[LayerTrace]:
    """Run the chain on ``inputs`` (T, n_in) integers (one row per time step, as a Lava
    RingBuffer sends them) and return the per-step trace of every layer."""
    inputs = np.asarray(inputs)
    states = init_layers(layers)
    num_steps = inputs.shape[0]
    outputs = [np.zeros((num_steps, layer_size(layer)), dtype=np.int64) for layer in layers]
    volts = [np.zeros_like(o) for o in outputs]
    for t in range(num_steps):
        step_out, states = step_layers(layers, states, inputs[t])
        for k, (out, state) in enumerate(zip(step_out, states, strict=True)):
            outputs[k][t] = out
            if isinstance(state.neurons, LIFState):
                volts[k][t] = state.neurons.v
    return [LayerTrace(o, v) for o, v in zip(outputs, volts, strict=True)]
