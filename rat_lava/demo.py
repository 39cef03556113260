"""`rat-lava demo`: the main job, from spikes to a decoded velocity in Lava.

The default data is the embedded real recording ``s1`` (52 units, 50 ms bins).

1. the network: the shipped export of the data (``SHIPPED_EXPORTS``, made with the default
   ``rat-lava train`` and ``rat-lava export``), or ``from_export``; with ``train`` (or data
   that has no shipped export) train the ``small`` RAT SNN on the target session (float epochs,
   then quantization-aware fine-tuning), or reuse ``OUT/rat.pt`` when it was trained the same
   way on the same data, and
2. export it (fold, quantize) to a NetX HDF5 ``.net`` file in ``netx_exports/``;
3. decode the test split in Lava ``sim-fixed`` with per-core probes and write the run file
   (``network_model``: ``"fused"``, one FusedNetwork process, bit-exact with the leaves and
   faster, or ``"leaves"``, the standard Lava processes that map onto Loihi 2);
4. print the test R^2 of the float fold of the trained model (numpy), of the quantized export
   and of the Lava run next to the ridge and Kalman baselines, the per-core table and the energy
   per decoded step, and save ``velocity.png`` and ``core_activity.png``.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from rat_lava.data.sources import REAL_EXAMPLE
from rat_lava.errors import RatLavaError
from rat_lava.export.exporter import export_checkpoint
from rat_lava.export.netfile import read_net
from rat_lava.metrics import r2_score
from rat_lava.probes import probe_summary
from rat_lava.runs.compare.plots import save_plots
from rat_lava.runs.run import run_network
from rat_lava.runs.runfile import RunFile, read_run
from rat_lava.train.checkpoint import load_checkpoint
from rat_lava.train.choices import DEFAULT_QAT_EPOCHS
from rat_lava.train.models import default_train_config
from rat_lava.train.pipeline import StageOptions, train
from rat_lava.version import __version__

NETX_EXPORTS = Path(__file__).resolve().parents[1] / "netx_exports"
"""The repository's folder of exports (shipped ones and the demo's own)."""

SHIPPED_EXPORT = NETX_EXPORTS / "rat_small_synthetic.net"
"""The synthetic-data export shipped with the project (``netx_exports/README.md``)."""

SHIPPED_EXPORTS = {REAL_EXAMPLE: NETX_EXPORTS / "rat_small_s1.net", "synthetic": SHIPPED_EXPORT}
"""The shipped export of each embedded data set (``netx_exports/README.md`` says how each was
made)."""


DEMO_EXPORT = NETX_EXPORTS / "demo.net"
"""Where the demo writes the export of the model it trained (ignored by git)."""

DEMO_EPOCHS = 6
DEMO_QAT_EPOCHS = DEFAULT_QAT_EPOCHS
"""Float epochs and quantization-aware epochs of the demo's training (``--train``)."""

BASELINE_MODELS = ("ridge", "kalman")

CARD_STAGES = {"float": "RAT, float fold (numpy)", "quantized": "RAT, quantized export (numpy)"}
"""R^2 the export measured (model card) that the demo prints, and their labels."""


def _reusable(checkpoint: Path, data: str, seed: int) -> bool:
    """True when ``checkpoint`` is a finished demo training on ``data`` by this version."""
    if not checkpoint.is_file():
        return False
    try:
        meta = load_checkpoint(checkpoint)["meta"]
    except RatLavaError:
        return False
    return (
        meta.get("data") == data
        and meta.get("seed") == seed
        and meta.get("rat_lava_version") == __version__
        and meta.get("qat", {}).get("epochs") == DEMO_QAT_EPOCHS
        and meta.get("train_config", {}).get("epochs") == DEMO_EPOCHS
    )


def _train_rat(out: Path, data: str, seed: int, retrain: bool, progress: bool) -> None:
    """Train ``out/rat.pt``, unless a reusable one is there."""
    checkpoint = out / "rat.pt"
    if not retrain and _reusable(checkpoint, data, seed):
        print(f"reusing {checkpoint} (same data, seed and settings; --retrain trains again)")
        return
    cfg = replace(default_train_config("rat", seed=seed), epochs=DEMO_EPOCHS)
    print(
        f"training the small RAT SNN on '{data}' ({DEMO_EPOCHS} epochs + "
        f"{DEMO_QAT_EPOCHS} quantization-aware)"
    )
    summary = train(
        "rat", data, out, "small", cfg, progress, StageOptions(qat_epochs=DEMO_QAT_EPOCHS)
    )
    print(f"  trained in {summary.seconds:.0f} s, {summary.parameters} parameters")


def run_demo(
    out: Path,
    data: str = REAL_EXAMPLE,
    progress: bool = True,
    from_export: Path | None = None,
    train_first: bool = False,
    retrain: bool = False,
    seed: int = 0,
    network_model: str = "fused",
) -> dict[str, float]:
    """Run the main job (module docstring) into ``out``; returns the R^2 table printed."""
    out.mkdir(parents=True, exist_ok=True)
    shipped = SHIPPED_EXPORTS.get(data)
    if from_export is None and not train_first and shipped is not None:
        from_export = shipped
    if from_export is None:
        _train_rat(out, data, seed, retrain, progress)
        print(f"exporting to {DEMO_EXPORT}")
        summary = export_checkpoint(out / "rat.pt", DEMO_EXPORT, data=data)
        print(summary.report())
        network = DEMO_EXPORT
    else:
        network = from_export
        print(f"starting from the export {network} (no training; --train trains here)")
    card_r2 = read_net(network).card.get("r2") or {}
    r2 = {
        label: float(card_r2[stage])
        for stage, label in CARD_STAGES.items()
        if stage in card_r2 and card_r2.get("data") == data
    }
    run_path = out / "sim_fixed.h5"
    print(f"decoding in Lava sim-fixed ({network_model} network model) with probes -> {run_path}")
    print(
        run_network(network, data, "sim-fixed", run_path, probes=True, network_model=network_model)
    )
    run = read_run(run_path)
    r2["RAT, Lava sim-fixed"] = r2_score(run.ground_truth, run.velocity).mean
    for model in BASELINE_MODELS:
        r2[model] = train(model, data, out / "baselines", progress=progress).test_r2
    _print_results(r2, run, out)
    return r2


def _print_results(r2: dict[str, float], run: RunFile, out: Path) -> None:
    """The R^2 table, the Lava run's speed, its probe table, and the saved plots."""
    print(
        f"\ntest R2 on {run.meta.get('data')} ({run.steps} bins of "
        f"{run.meta.get('dt', 0) * 1e3:g} ms):"
    )
    print("| decoder | test R2 |\n|---|---|")
    for name, value in r2.items():
        print(f"| {name} | {value:.4f} |")
    speed, bins, dt = run.timing.get("steps_per_s"), run.timing.get("bins_per_s"), run.meta["dt"]
    if speed and bins:
        print(
            f"\nLava sim-fixed ({run.meta.get('network_model')} network model) stepped at "
            f"{speed:.0f} steps/s = {bins:.0f} bins/s = {bins * dt:.2f} x real time "
            f"(bins of {dt * 1e3:g} ms, {run.meta.get('substeps', 1)} network steps of "
            f"{run.meta.get('step_s', dt) * 1e3:g} ms each; latency "
            f"{run.meta.get('latency_steps')} steps = {run.meta.get('latency_ms', 0):g} ms)"
        )
    if run.probes is not None:
        print()
        print(probe_summary(run.probes))
    for path in save_plots([run], ["Lava sim-fixed"], out):
        print(f"saved {path}")
