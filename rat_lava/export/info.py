"""The text `rat-lava info FILE.net` prints: layers, neurons, synapses, the graph, the card."""

from __future__ import annotations

import numpy as np

from rat_lava.deploy.fixed_point import WEIGHT_SCALE
from rat_lava.deploy.network import NeuronLayer
from rat_lava.export.layout import primary_inputs
from rat_lava.export.netfile import NetFile
from rat_lava.export.quantize import weight_exponent


def _decay_pairs(layer: NeuronLayer) -> int:
    """Distinct (current_decay, voltage_decay) pairs, i.e. neuron profiles on Loihi 2."""
    return len(np.unique(np.stack([layer.current_decay, layer.voltage_decay], axis=1), axis=0))


def _table(rows: list[list[str]]) -> list[str]:
    """Left-aligned columns, two spaces apart."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def describe(netfile: NetFile) -> str:
    """Human-readable summary of a read .net file."""
    net, card = netfile.network, netfile.card
    size = netfile.path.stat().st_size
    lines = [
        f"{netfile.path}: rat-lava .net, schema {card.get('schema_version')}, "
        f"{size / 1024:.1f} KiB, written by rat-lava {card.get('package_version')}",
        f"network: {net.n_inputs} input channels, bins of {net.dt * 1000:g} ms, network step "
        f"{net.step_s * 1000:g} ms ({net.substeps} per bin), latency {net.latency_steps} steps "
        f"= {net.latency_ms:g} ms, condition {net.condition}",
        "layers (netx layer groups layer/1..):",
    ]
    rows = [
        ["#", "name", "kind", "netx type", "shape", "neurons", "synapses", "decay pairs", "vThMant"]
    ]
    primary = primary_inputs(net)
    for i, layer in enumerate(net.layers, start=1):
        weights = [net.connections[primary[layer.name]].weight]
        if layer.recurrent is not None:
            weights.append(layer.recurrent)
        synapses = sum(w.size for w in weights)
        rows.append(
            [
                str(i),
                layer.name,
                layer.kind,
                "dense" if layer.recurrent is None else "dense_rec",
                "x".join(str(s) for s in layer.shape),
                str(layer.size),
                str(synapses),
                str(_decay_pairs(layer)),
                "-" if layer.kind == "integrator" else str(layer.threshold_mant),
            ]
        )
    lines += _table(rows)
    matrices = [c.weight for c in net.connections]
    matrices += [layer.recurrent for layer in net.layers if layer.recurrent is not None]
    total_synapses = sum(m.size for m in matrices)
    total_nonzero = sum(int(np.count_nonzero(m)) for m in matrices)
    lines.append(
        f"  total: {sum(layer.size for layer in net.layers)} neurons, {total_synapses} synapses "
        f"({total_nonzero} nonzero); synapses column: primary input + recurrent"
    )
    lines.append("graph (which node feeds which; every edge adds 1 + delay steps):")
    rows = [["edge", "delay", "weights", "smallest exponent e (w = m 2**e / 64)"]]
    for j, conn in enumerate(net.connections):
        where = "layer group" if primary[conn.dst] == j else f"graph/edges/{j}"
        rows.append(
            [
                f"{conn.src} -> {conn.dst}",
                str(conn.delay),
                f"{conn.weight.shape[0]}x{conn.weight.shape[1]} ({where})",
                str(weight_exponent(np.rint(conn.weight * WEIGHT_SCALE))),
            ]
        )
    for layer in net.layers:
        if layer.recurrent is not None:
            rows.append(
                [
                    f"{layer.name} -> {layer.name}",
                    "0",
                    f"{layer.size}x{layer.size} (recurrent, weight_rec)",
                    str(weight_exponent(np.rint(layer.recurrent * WEIGHT_SCALE))),
                ]
            )
    lines += _table(rows)
    for p in net.products:
        lines.append(
            f"  attention product {p.name} = Q (K^T V) of ({p.q}, {p.k}, {p.v}): {p.tokens} "
            f"tokens x {p.heads} heads x {p.head_features} features, delay {p.delay} steps"
        )
    lines.append(f"  readout: {net.readout}, {net.readout_heads} heads of (vx, vy) averaged")
    lines += _card_lines(card)
    return "\n".join(lines)


def _card_lines(card: dict) -> list[str]:
    lines = ["model card:"]
    r2 = card.get("r2")
    if r2:
        stages = ", ".join(f"{k} {v:.4f}" for k, v in r2.items() if k not in ("data", "steps"))
        lines.append(f"  R2 at export ({r2.get('data')}, {r2.get('steps')} test steps): {stages}")
    else:
        lines.append("  R2 at export: not evaluated")
    quant = card.get("quantization", {})
    groups = quant.get("timescale_groups")
    lines.append(
        f"  quantization: {quant.get('weights', '?')}; {quant.get('decay_bits', '?')}-bit decays, "
        f"{quant.get('state_bits', '?')}-bit states; timescale groups: "
        f"{groups if groups else 'per neuron'}; clipped: "
        f"{quant.get('clipped_weights', '?')} weights, {quant.get('clipped_biases', '?')} biases"
    )
    training = card.get("training")
    if training:
        lines.append(
            f"  training data: {training.get('data')} (conditions "
            f"{', '.join(map(str, training.get('conditions') or []))}; target "
            f"{training.get('target')})"
        )
    netx = card.get("netx", {})
    if netx.get("stock_loadable"):
        lines.append(
            "  stock netx: hdf5.Network(FILE, input_message_bits="
            f"{netx.get('input_message_bits')}) builds this chain (read the readout's voltage)"
        )
    else:
        lines.append(
            "  stock netx: reads each layer group; the branches above need rat-lava's loader"
        )
    return lines
