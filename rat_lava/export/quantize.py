"""Quantize a folded network to what Loihi 2 holds (numbers as Lava's fixed-point models use them).

Every parameter of a ``FoldedNetwork`` is put on the grid of Lava's fixed-point LIF and Dense
(``rat_lava.deploy.fixed_point``), in model units:

- **weights**: per connection an int8 mantissa m in [-128, 127] and one shared exponent e,
  w = m * 2**e / 64. e = 1 is slayer's grid (even integers / 64, w in [-4, 3.97]); e = 0 halves
  the step for connections whose weights all lie in [-2, 1.98]. Both are exact in Lava: netx
  stores 64 w as an integer in [-256, 254] and its ``optimize_weight_bits`` turns it into 8-bit
  Dense weights and a weight exponent. A layer's recurrent matrix shares the exponent of its
  primary input (netx's ``dense_rec`` gives both one exponent). Larger weights are clipped.
- **biases**: bias_mant = 64 b, signed 13 bit (bias_exp 6, as netx sets it).
- **thresholds**: integer vThMant = 64 threshold; integrators get ``INTEGRATOR_VTH_MANT``, which
  no 24-bit voltage exceeds, so they never spike in Lava.
- **decays**: 12-bit integers in [0, 4096] (slayer/netx iDecay, vDecay).
- **states**: the quantized network keeps Lava's 24-bit u and v (``FoldedNetwork.quantized``).

Quantizing a network whose values are already on the grid (a model trained with
``RATConfig.quantize``) changes nothing but the integrator thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from rat_lava.deploy.fixed_point import DECAY_SCALE, MANTISSA_SHIFT, STATE_LIMIT, WEIGHT_SCALE
from rat_lava.deploy.network import Connection, FoldedNetwork, NeuronLayer
from rat_lava.export.layout import RECURRENT, edge_name, primary_inputs
from rat_lava.model.neurons import BIAS_LIMIT

MANTISSA_MIN, MANTISSA_MAX = -128, 127
"""Range of the int8 weight mantissa."""

WEIGHT_EXPONENTS = (0, 1)
"""Shared weight exponents e (w = m 2**e / 64) that netx's integer weight format holds exactly."""

WEIGHT_INT_MIN, WEIGHT_INT_MAX = MANTISSA_MIN << 1, MANTISSA_MAX << 1
"""Range of 64 w, the integer netx stores: [-256, 254]."""

BIAS_MANT_MIN, BIAS_MANT_MAX = -BIAS_LIMIT, BIAS_LIMIT - 1
"""Range of bias_mant = 64 b (13 bit signed, as the model's quantization-aware bias)."""

DECAY_MIN, DECAY_MAX = 0, DECAY_SCALE
"""Range of the 12-bit decays iDecay, vDecay (4096: the state is lost in one step)."""

INTEGRATOR_VTH_MANT = STATE_LIMIT >> MANTISSA_SHIFT
"""vThMant of non-spiking integrators: vth << 6 = 2**23 is above every 24-bit voltage."""

VTH_MANT_MIN, VTH_MANT_MAX = 1, INTEGRATOR_VTH_MANT
"""Range of vThMant (spiking layers stay below ``INTEGRATOR_VTH_MANT``)."""


@dataclass(frozen=True)
class QuantizationReport:
    """What quantization did.

    weight_exponents: e per matrix, keyed ``src->dst`` or ``name (recurrent)``.
    clipped_weights, clipped_biases: values that fell outside their range and were clipped.
    """

    weight_exponents: dict[str, int]
    clipped_weights: int
    clipped_biases: int

    def card(self) -> dict:
        """The JSON-ready description stored in the model card."""
        return {
            "weights": "int8 mantissa m, shared exponent e per matrix: w = m * 2**e / 64",
            "weight_exponents": dict(self.weight_exponents),
            "clipped_weights": self.clipped_weights,
            "biases": "bias_mant = 64 b, 13 bit signed, bias_exp 6",
            "clipped_biases": self.clipped_biases,
            "thresholds": "integer vThMant = 64 threshold",
            "decay_bits": 12,
            "state_bits": 24,
        }


def weight_exponent(integers: np.ndarray) -> int | None:
    """The smallest e with ``integers`` (64 w) = m 2**e for int8 m, or None if there is none."""
    values = np.asarray(integers)
    if values.size == 0 or (values.min() >= MANTISSA_MIN and values.max() <= MANTISSA_MAX):
        return 0
    if values.min() >= WEIGHT_INT_MIN and values.max() <= WEIGHT_INT_MAX and not np.any(values % 2):
        return 1
    return None


def needed_exponent(weight: np.ndarray) -> int:
    """Exponent that ``weight`` (model units) needs: 0 if 64 w rounds into int8, else 1."""
    rounded = np.rint(np.asarray(weight, dtype=np.float64) * WEIGHT_SCALE)
    fits = rounded.size == 0 or (rounded.min() >= MANTISSA_MIN and rounded.max() <= MANTISSA_MAX)
    return 0 if fits else 1


def quantize_weight(weight: np.ndarray, exponent: int) -> tuple[np.ndarray, int]:
    """``weight`` (model units) on the grid m 2**exponent / 64; returns (weight, clipped count)."""
    step = float(1 << exponent) / WEIGHT_SCALE
    mantissa = np.rint(np.asarray(weight, dtype=np.float64) / step)
    clipped = int(np.count_nonzero((mantissa < MANTISSA_MIN) | (mantissa > MANTISSA_MAX)))
    return np.clip(mantissa, MANTISSA_MIN, MANTISSA_MAX) * step, clipped


def quantize_bias(bias: np.ndarray) -> tuple[np.ndarray, int]:
    """``bias`` (model units) on Lava's bias_mant grid; returns (bias, clipped count)."""
    mant = np.rint(np.asarray(bias, dtype=np.float64) * WEIGHT_SCALE)
    clipped = int(np.count_nonzero((mant < BIAS_MANT_MIN) | (mant > BIAS_MANT_MAX)))
    return np.clip(mant, BIAS_MANT_MIN, BIAS_MANT_MAX) / WEIGHT_SCALE, clipped


def quantize_decay(decay: np.ndarray) -> np.ndarray:
    """Decays as 12-bit integers in [0, 4096], int64."""
    return np.clip(np.rint(np.asarray(decay, dtype=np.float64)), DECAY_MIN, DECAY_MAX).astype(
        np.int64
    )


def quantize_threshold(layer: NeuronLayer) -> float:
    """The layer's threshold on the integer vThMant grid (integrators: never reached)."""
    if layer.kind == "integrator":
        return INTEGRATOR_VTH_MANT / WEIGHT_SCALE
    mant = np.clip(round(layer.threshold * WEIGHT_SCALE), VTH_MANT_MIN, VTH_MANT_MAX - 1)
    return float(mant) / WEIGHT_SCALE


def quantize_network(network: FoldedNetwork) -> tuple[FoldedNetwork, QuantizationReport]:
    """``network`` with every weight, bias, threshold and decay on Loihi 2's grid.

    Returns the quantized network (``quantized=True``) and what was done.
    """
    primary = primary_inputs(network)
    exponents: dict[str, int] = {}
    for index, conn in enumerate(network.connections):
        exponents[edge_name(conn)] = needed_exponent(conn.weight)
        layer = network.layer(conn.dst)
        if primary[conn.dst] == index and layer.recurrent is not None:
            shared = max(exponents[edge_name(conn)], needed_exponent(layer.recurrent))
            exponents[edge_name(conn)] = exponents[f"{layer.name}{RECURRENT}"] = shared
    clipped_weights = clipped_biases = 0
    connections = []
    for conn in network.connections:
        weight, clipped = quantize_weight(conn.weight, exponents[edge_name(conn)])
        clipped_weights += clipped
        connections.append(Connection(conn.src, conn.dst, weight, conn.delay))
    layers = []
    for layer in network.layers:
        recurrent = None
        if layer.recurrent is not None:
            recurrent, clipped = quantize_weight(
                layer.recurrent, exponents[f"{layer.name}{RECURRENT}"]
            )
            clipped_weights += clipped
        bias, clipped = quantize_bias(layer.bias)
        clipped_biases += clipped
        layers.append(
            replace(
                layer,
                current_decay=quantize_decay(layer.current_decay),
                voltage_decay=quantize_decay(layer.voltage_decay),
                threshold=quantize_threshold(layer),
                bias=bias,
                recurrent=recurrent,
            )
        )
    quantized = FoldedNetwork(
        n_inputs=network.n_inputs,
        dt=network.dt,
        substeps=network.substeps,
        read_delay=network.read_delay,
        condition=network.condition,
        layers=layers,
        connections=connections,
        products=list(network.products),
        readout=network.readout,
        readout_heads=network.readout_heads,
        quantized=True,
    )
    return quantized, QuantizationReport(exponents, clipped_weights, clipped_biases)
