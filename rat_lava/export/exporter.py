"""`rat-lava export`: a RAT checkpoint -> folded, quantized network -> .net file with a card.

The float fold (every Rep layer and the chosen condition's BatchNorm set folded, float64
weights) is what the trained model computes; quantization puts it on Loihi 2's grid
(``quantize``), optionally with grouped timescales (``timescales``). The R^2 of each stage is
measured with ``FoldedNetwork.run`` on the test split of the checkpoint's data and stored in the
model card, so the cost of quantization is on record with the file.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from rat_lava.data.session import Session, pad_channels
from rat_lava.data.sources import DEFAULT_PROTOCOL, load_data, session_of
from rat_lava.data.splits import chronological_split
from rat_lava.deploy.network import FoldedNetwork
from rat_lava.errors import ExportError
from rat_lava.export.netfile import write_net
from rat_lava.export.quantize import quantize_network
from rat_lava.export.timescales import decay_groups, group_timescales
from rat_lava.kernel.offline import decode_compiled
from rat_lava.metrics import r2_score
from rat_lava.model import RATSNN
from rat_lava.train.decoders import load_decoder


@dataclass(frozen=True)
class ExportSummary:
    """What an export wrote and measured.

    r2: test R^2 (mean over vx, vy) per stage ("float", "quantized", and "grouped" with
    timescale groups), None when not evaluated. seconds: wall time of the whole export;
    eval_seconds: the part spent evaluating.
    """

    path: Path
    condition: str
    layers: int
    neurons: int
    synapses: int
    file_bytes: int
    timescale_groups: int | None
    r2: dict[str, float] | None
    eval_data: str | None
    eval_steps: int
    seconds: float
    eval_seconds: float

    def report(self) -> str:
        """Lines printed by ``rat-lava export``."""
        lines = [
            f"wrote {self.path} ({self.file_bytes / 1024:.1f} KiB; condition {self.condition}; "
            f"{self.layers} layers, {self.neurons} neurons, {self.synapses} synapses) in "
            f"{self.seconds:.1f} s"
        ]
        if self.r2 is None:
            lines.append("R2 not evaluated")
            return "\n".join(lines)
        base = self.r2["float"]
        parts = [f"float {base:.4f}"]
        for stage, value in self.r2.items():
            if stage != "float":
                label = f"grouped ({self.timescale_groups})" if stage == "grouped" else stage
                parts.append(f"{label} {value:.4f} ({value - base:+.4f})")
        lines.append(
            f"test R2 on {self.eval_data} ({self.eval_steps} bins, {self.eval_seconds:.1f} s): "
            + ", ".join(parts)
        )
        return "\n".join(lines)


def export_checkpoint(
    ckpt_path: str | os.PathLike,
    out_path: str | os.PathLike,
    condition: str | None = None,
    timescale_groups: int | None = None,
    data: str | None = None,
    evaluate: bool = True,
) -> ExportSummary:
    """Fold, quantize and write a RAT checkpoint as a .net file; returns what was done.

    Args:
        ckpt_path: checkpoint written by ``rat-lava train --model rat``.
        out_path: the .net file to write (atomically).
        condition: BatchNorm condition to fold (default: the checkpoint's target condition).
        timescale_groups: at most this many decay pairs per spiking layer (None: per neuron).
        data: data to measure R^2 on (default: the checkpoint's data); its session of
            ``condition`` (else its first session) is split and the test part used.
        evaluate: measure the R^2 of the float, quantized (and grouped) networks.
    """
    started = time.perf_counter()
    ckpt_path, out_path = Path(ckpt_path), Path(out_path)
    if timescale_groups is not None and timescale_groups < 1:
        raise ExportError(f"--timescale-groups must be at least 1, got {timescale_groups}")
    decoder, meta = load_decoder(ckpt_path)
    model = getattr(decoder, "model", None)
    if not isinstance(model, RATSNN):
        raise ExportError(
            f"{ckpt_path}: not a RAT SNN checkpoint (only `rat-lava train --model rat` exports "
            "to Lava)"
        )
    condition = condition or meta.get("target") or model.conditions[0]
    if condition not in model.conditions:
        raise ExportError(
            f"{ckpt_path}: unknown condition {condition!r}; the model knows {model.conditions}"
        )
    model.eval()
    quantized, report = quantize_network(model.fold(condition))
    stages = {"float": _float_fold(model, condition), "quantized": quantized}
    if timescale_groups is not None:
        stages["grouped"] = group_timescales(quantized, timescale_groups)
    exported = stages["grouped" if timescale_groups is not None else "quantized"]
    r2, eval_data, steps, eval_seconds = None, None, 0, 0.0
    if evaluate:
        eval_started = time.perf_counter()
        eval_data = data or meta.get("data", "synthetic")
        protocol = meta.get("protocol", DEFAULT_PROTOCOL)
        test = _test_session(eval_data, condition, model.n_channels, protocol, meta.get("dt"))
        scale = np.asarray(meta["velocity_scale"], dtype=np.float64)
        r2 = {name: _r2(net, test, scale) for name, net in stages.items()}
        steps, eval_seconds = test.n_steps, time.perf_counter() - eval_started
    card = {
        "name": out_path.stem,
        "model": "rat",
        "architecture": asdict(model.config),
        "velocity_scale": [float(s) for s in meta["velocity_scale"]],
        "velocity_units": "data units = model output x velocity_scale (per dimension)",
        "training": {
            "checkpoint": ckpt_path.name,
            "data": meta.get("data"),
            "protocol": meta.get("protocol", DEFAULT_PROTOCOL),
            "conditions": list(model.conditions),
            "target": meta.get("target"),
            "stage": meta.get("stage"),
            "seed": meta.get("seed"),
            "test_r2": meta.get("test_r2"),
            "rat_lava_version": meta.get("rat_lava_version"),
        },
        "r2": None if r2 is None else {"data": eval_data, "steps": steps, **r2},
        "quantization": {
            **report.card(),
            "trained_quantized": bool(model.config.quantize),
            "timescale_groups": timescale_groups,
            "decay_groups": {k: [list(g) for g in v] for k, v in decay_groups(exported).items()},
        },
        "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    write_net(out_path, exported, card)
    matrices = [c.weight for c in exported.connections]
    matrices += [layer.recurrent for layer in exported.layers if layer.recurrent is not None]
    return ExportSummary(
        path=out_path,
        condition=condition,
        layers=len(exported.layers),
        neurons=sum(layer.size for layer in exported.layers),
        synapses=sum(int(m.size) for m in matrices),
        file_bytes=out_path.stat().st_size,
        timescale_groups=timescale_groups,
        r2=r2,
        eval_data=eval_data,
        eval_steps=steps,
        seconds=time.perf_counter() - started,
        eval_seconds=eval_seconds,
    )


def _float_fold(model: RATSNN, condition: str) -> FoldedNetwork:
    """The fold with float weights, also for a model trained quantization-aware."""
    config = model.config
    model.config = replace(config, quantize=False)
    try:
        return model.fold(condition)
    finally:
        model.config = config


def _test_session(
    spec: str, condition: str, n_channels: int, protocol: str, bin_s: float | None
) -> Session:
    """Test split (``protocol``'s) of the session of ``condition`` in ``spec`` (else of its
    first session); files of spike times binned at ``bin_s`` seconds."""
    return chronological_split(
        pad_channels(session_of(load_data(spec, protocol, bin_s), condition), n_channels)
    ).test


def _r2(network: FoldedNetwork, test: Session, scale: np.ndarray) -> float:
    """Mean R^2 of ``network``'s velocity (data units) on ``test``; a quantized network runs on
    the compiled kernel (bit-exact with ``network.simulate``, far faster)."""
    simulate = decode_compiled if network.quantized else FoldedNetwork.simulate
    return float(r2_score(test.velocity, simulate(network, test.spikes) * scale).mean)
