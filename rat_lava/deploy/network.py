"""The deployed RAT network as plain numpy: the hand-off from the model to the exporter.

``RATSNN.fold(condition)`` folds every BatchNorm and sums every Rep branch, giving neuron layers,
connections (one weight matrix each) and attention-product nodes. ``FoldedNetwork.run`` is a
numpy forward pass that reproduces the model step for step; it defines the semantics that the
Lava network must implement:

* Steps t = 0 .. T-1. The source ``"input"`` emits the spike counts x[t] (graded) at step t;
  with several network steps per data bin (``substeps``), a bin's counts are spread over its
  sub-steps and its velocity is read ``read_delay`` steps after its last
  (``rat_lava.deploy.timing``).
* A connection delivers at step t what its source emitted at step t - 1 - delay (Lava: a Dense
  for delay 0, a DelayDense otherwise); a layer's recurrent weights deliver its own spikes of
  step t - 1.
* A neuron layer at step t sums its inputs I[t] and updates, with integers in units of 1/4096
  (slayer's CUBA neuron, Lava's fixed-point LIF):
  u = trunc(u (4096 - current_decay) / 4096) + trunc(4096 I[t]);
  v = trunc(v (4096 - voltage_decay) / 4096) + u + trunc(4096 bias);
  "cuba" layers emit s = v > 4096 threshold and reset v to 0 where they spike; "integrator"
  layers never spike and emit v / 4096. A quantized network also keeps Lava's 24-bit states:
  u wraps once (u > 2**23 becomes u - 2**24, u <= -2**23 becomes u + 2**24) and v saturates at
  +-(2**23 - 1).
* An attention product emits at step t, per head, Q (K^T V) of the q, k, v spikes emitted at
  step t - delay (integer counts, graded); its scale is the weight of the connection leaving it.
* The decoded velocity at step t is the mean over the readout heads of the readout layer's
  output times its voltage_decay / 4096 (neurons laid out as (head, [vx, vy])): each head is
  then a moving average with gain 1.

With quantized weights (``quantized``: weights multiples of 1/32 in [-4, 3.97], biases multiples
of 1/64) every sum is exact in float32, and the model, this forward pass and Lava's fixed-point
simulation agree bit for bit. With float weights the model and its fold agree exactly when both
are computed in float64; in float32 a sum can land on the other side of a 1/4096 step now and
then (measured: velocity within 5e-6 of 2.1 over 1500 steps of a trained small model).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import NamedTuple

import h5py
import numpy as np

from rat_lava.deploy.fixed_point import DECAY_SCALE, STATE_LIMIT, WEIGHT_SCALE
from rat_lava.deploy.timing import BinTiming

INPUT = "input"
"""Name of the network's input (spike counts per channel, graded)."""

KINDS = ("cuba", "integrator")

AttrReader = Callable[[h5py.Group, str, type], object]
"""Reads one attribute of an HDF5 object as the given type (str or int), or raises."""


@dataclass
class NeuronLayer:
    """A population of CUBA neurons (one Lava LIF process).

    Attributes:
        name: unique layer name.
        kind: "cuba" (spiking RLIF) or "integrator" (non-spiking leaky integrator, output v).
        current_decay, voltage_decay: int64 (size,), slayer/netx ``iDecay`` and ``vDecay``: the
            fraction of u and v lost per step x 4096 (12 bit). Lava LIF takes du =
            current_decay - 1 (its fixed-point model adds 1 to du) and dv = voltage_decay.
        threshold: spiking threshold in model units (Lava vThMant = 64 threshold); integrators
            must never spike in Lava (give them the largest threshold).
        bias: float (size,), added to v every step (Lava bias_mant = 64 bias, bias_exp 6).
        recurrent: float (size, size) as (post, pre), or None.
        shape: layout of the neurons, flattened in C order (tokens, features) or (size,).
    """

    name: str
    kind: str
    current_decay: np.ndarray
    voltage_decay: np.ndarray
    threshold: float
    bias: np.ndarray
    recurrent: np.ndarray | None
    shape: tuple[int, ...]

    @property
    def size(self) -> int:
        """Number of neurons."""
        return int(np.prod(self.shape))

    @property
    def threshold_mant(self) -> int:
        """Threshold as Lava's vThMant (the integer threshold >> 6)."""
        return round(self.threshold * WEIGHT_SCALE)


@dataclass
class Connection:
    """One weight matrix from a source (layer, product or ``"input"``) to a neuron layer.

    Attributes:
        weight: float (dst size, src size).
        delay: steps added to Lava's one-step connection delay (0: Dense, > 0: DelayDense).
    """

    src: str
    dst: str
    weight: np.ndarray
    delay: int = 0


@dataclass
class AttentionProduct:
    """Multi-head linear attention Q (K^T V) of three spiking layers, within one step.

    The q, k, v layers are laid out as (tokens, heads * head_features); so is the output. Per
    head h: out[n, h, j] = sum_i q[n, h, i] sum_m k[m, h, i] v[m, h, j]; with spikes these
    are integer counts. ``delay``: steps between the step q, k, v spike and the output.
    """

    name: str
    q: str
    k: str
    v: str
    tokens: int
    heads: int
    head_features: int
    delay: int

    @property
    def inputs(self) -> tuple[str, str, str]:
        """Names of the (q, k, v) layers."""
        return self.q, self.k, self.v

    @property
    def size(self) -> int:
        """Output size, tokens * heads * head_features."""
        return self.tokens * self.heads * self.head_features

    @property
    def message_bits(self) -> int:
        """Graded payload width: the product of binary spikes is at most tokens * f * f."""
        return (self.tokens * self.head_features**2).bit_length()

    def to_hdf5(self, group: h5py.Group) -> None:
        """Write the record as attributes of ``group`` (one attribute per field)."""
        group.attrs.update({f.name: getattr(self, f.name) for f in fields(self)})

    @classmethod
    def from_hdf5(cls, group: h5py.Group, attr: AttrReader) -> AttentionProduct:
        """The record stored in ``group``; ``attr(group, key, kind)`` reads and checks one
        attribute (``kind`` str or int; see ``rat_lava.export.validate``)."""
        kinds = {"str": str, "int": int}
        return cls(**{f.name: attr(group, f.name, kinds[f.type]) for f in fields(cls)})

    def __call__(self, q: np.ndarray, k: np.ndarray, v: np.ndarray) -> np.ndarray:
        """The product for (..., size) inputs, shape (..., size)."""
        shape = (*q.shape[:-1], self.tokens, self.heads, self.head_features)
        kv = np.einsum("...nhi,...nhj->...hij", k.reshape(shape), v.reshape(shape))
        return np.einsum("...nhi,...hij->...nhj", q.reshape(shape), kv).reshape(q.shape)


class Trace(NamedTuple):
    """Result of ``FoldedNetwork.run``: velocity (T, 2) and every node's output (T, size)."""

    velocity: np.ndarray
    outputs: dict[str, np.ndarray]


@dataclass
class FoldedNetwork:
    """The deployed network: neuron layers, connections, attention products, readout.

    Attributes:
        n_inputs: input channels.
        dt: bin width of the data, seconds.
        condition: the BatchNorm condition that was folded.
        layers: neuron layers in execution order.
        connections: all non-recurrent connections.
        products: attention-product nodes.
        readout: name of the integrator layer whose voltage times voltage_decay / 4096 holds
            (heads, 2) velocity estimates.
        readout_heads: number of readout heads averaged into the velocity.
        quantized: weights and biases are on the 8-bit / bias grids (bit-exact in Lava).
        substeps: network steps per bin; the decays were computed for steps of dt / substeps
            seconds (``rat_lava.deploy.timing``).
        read_delay: steps after a bin's last sub-step at which its velocity is read (at most
            ``latency_steps``).
        latency_steps: steps from an input to the first velocity it affects (computed).
    """

    n_inputs: int
    dt: float
    condition: str
    layers: list[NeuronLayer]
    connections: list[Connection]
    products: list[AttentionProduct]
    readout: str
    readout_heads: int
    quantized: bool
    substeps: int = 1
    read_delay: int = 0
    latency_steps: int = field(init=False)

    def __post_init__(self) -> None:
        sizes = {INPUT: self.n_inputs}
        for node in [*self.layers, *self.products]:
            if node.name in sizes:
                raise ValueError(f"duplicate node name {node.name!r}")
            sizes[node.name] = node.size
        for layer in self.layers:
            if layer.kind not in KINDS:
                raise ValueError(f"layer {layer.name}: unknown kind {layer.kind!r}")
            for values in (layer.current_decay, layer.voltage_decay, layer.bias):
                if values.shape != (layer.size,):
                    raise ValueError(f"layer {layer.name}: per-neuron values of wrong shape")
        for conn in self.connections:
            expected = (sizes.get(conn.dst), sizes.get(conn.src))
            if conn.weight.shape != expected or conn.dst not in self._layer_names:
                raise ValueError(f"connection {conn.src}->{conn.dst}: bad endpoints or shape")
        if self.readout not in self._layer_names:
            raise ValueError(f"readout {self.readout!r} is not a layer")
        self.latency_steps = self._arrival_steps()[self.readout]
        if self.substeps < 1 or not 0 <= self.read_delay <= self.latency_steps:
            raise ValueError(
                f"need substeps >= 1 and 0 <= read_delay <= latency_steps = {self.latency_steps} "
                f"(a longer delay would read a later bin's spikes), got {self.substeps}, "
                f"{self.read_delay}"
            )

    @property
    def _layer_names(self) -> set[str]:
        return {layer.name for layer in self.layers}

    def layer(self, name: str) -> NeuronLayer:
        """The neuron layer called ``name``."""
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(name)

    def is_graded(self, src: str) -> bool:
        """True when ``src`` emits graded values (the input counts, attention products)."""
        return src == INPUT or any(p.name == src for p in self.products)

    def _arrival_steps(self) -> dict[str, int]:
        """Step offset of every node after the input; checks that all branches are balanced."""
        arrival = {INPUT: 0}
        pending = [*self.layers, *self.products]
        while pending:
            progressed = False
            for node in list(pending):
                if isinstance(node, AttentionProduct):
                    sources = [(name, node.delay) for name in node.inputs]
                else:
                    sources = [(c.src, 1 + c.delay) for c in self.connections if c.dst == node.name]
                if not all(src in arrival for src, _ in sources):
                    continue
                steps = {arrival[src] + lag for src, lag in sources}
                if len(steps) != 1:
                    raise ValueError(f"inputs of {node.name} arrive at different steps {steps}")
                arrival[node.name] = steps.pop()
                pending.remove(node)
                progressed = True
            if not progressed:
                names = [node.name for node in pending]
                raise ValueError(f"nodes not reachable from the input: {names}")
        return arrival

    def run(self, spikes: np.ndarray) -> Trace:
        """Forward pass over per-step input (T steps, n_inputs); see the module docstring.
        ``simulate`` takes per-bin counts and presents each bin over its sub-steps."""
        x = np.asarray(spikes, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.n_inputs:
            raise ValueError(f"expected spikes of shape (T, {self.n_inputs}), got {x.shape}")
        steps = x.shape[0]
        outputs = {INPUT: x}
        for node in [*self.layers, *self.products]:
            outputs[node.name] = np.zeros((steps, node.size))
        states = {layer.name: (np.zeros(layer.size), np.zeros(layer.size)) for layer in self.layers}
        for t in range(steps):
            for layer in self.layers:
                drive = np.zeros(layer.size)
                for conn in self.connections:
                    source_step = t - 1 - conn.delay
                    if conn.dst == layer.name and source_step >= 0:
                        drive += conn.weight @ outputs[conn.src][source_step]
                if layer.recurrent is not None and t > 0:
                    drive += layer.recurrent @ outputs[layer.name][t - 1]
                states[layer.name] = self._update(
                    layer, *states[layer.name], drive, outputs, t, self.quantized
                )
            for product in self.products:
                source_step = t - product.delay
                if source_step >= 0:
                    inputs = (outputs[name][source_step] for name in product.inputs)
                    outputs[product.name][t] = product(*inputs)
        return Trace(self.velocity(outputs[self.readout]), outputs)

    @property
    def timing(self) -> BinTiming:
        """How the data's bins map onto this network's steps."""
        return BinTiming(self.dt, self.substeps, self.read_delay)

    @property
    def step_s(self) -> float:
        """The network's time step, seconds."""
        return self.timing.step_s

    @property
    def latency_ms(self) -> float:
        """Milliseconds from the step a bin's counts enter to the first output they affect."""
        return self.timing.latency_ms(self.latency_steps)

    def velocity(self, readout: np.ndarray) -> np.ndarray:
        """Velocity (T, 2) from the readout layer's output v (T, size), in model units: the mean
        over heads of v * voltage_decay / 4096."""
        scaled = readout * self.layer(self.readout).voltage_decay / DECAY_SCALE
        return scaled.reshape(len(scaled), self.readout_heads, 2).mean(axis=1)

    def simulate(self, spikes: np.ndarray) -> np.ndarray:
        """Decoded velocity (T, 2), one row per bin, for spike counts (T, n_inputs) per bin:
        ``run`` over the bins' sub-steps (``timing.to_steps``), each bin read at its read step."""
        timing = self.timing
        return timing.to_bins(self.run(timing.to_steps(spikes)).velocity)

    @staticmethod
    def _update(
        layer: NeuronLayer,
        u: np.ndarray,
        v: np.ndarray,
        drive: np.ndarray,
        outputs: dict[str, np.ndarray],
        t: int,
        state_limits: bool,
    ) -> tuple[np.ndarray, np.ndarray]:
        """One step of a layer's neurons; writes its output at step t, returns (u, v).

        ``state_limits``: keep u and v to Lava's 24 bits (u wraps, v saturates).
        """
        u = np.trunc(u * (DECAY_SCALE - layer.current_decay) / DECAY_SCALE)
        u = u + np.trunc(drive * DECAY_SCALE)
        if state_limits:
            u = np.where(u > STATE_LIMIT, u - 2 * STATE_LIMIT, u)
            u = np.where(u <= -STATE_LIMIT, u + 2 * STATE_LIMIT, u)
        v = np.trunc(v * (DECAY_SCALE - layer.voltage_decay) / DECAY_SCALE)
        v = v + u + np.trunc(layer.bias * DECAY_SCALE)
        if state_limits:
            v = np.clip(v, -STATE_LIMIT + 1, STATE_LIMIT - 1)
        if layer.kind == "integrator":
            outputs[layer.name][t] = v / DECAY_SCALE
            return u, v
        fired = v > round(layer.threshold * DECAY_SCALE)
        outputs[layer.name][t] = fired
        return u, np.where(fired, 0.0, v)
