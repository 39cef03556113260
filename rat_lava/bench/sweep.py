"""Train and measure decoders over data sets, variants and seeds, each to its own convergence.

The engine of ``benchmarks/results.py`` and ``benchmarks/ablations.py``. Every job (data set,
variant, seed) trains with the defaults of ``rat-lava train`` (early stopping on validation R^2,
no epoch cap), then, for the RAT, exports the checkpoint and decodes the test split in Lava
``sim-fixed`` with the fused network and probes. Each job's folder keeps its checkpoint, export,
run file and ``measurement.json``: a rerun with the same ``--out`` reuses finished jobs, so an
interrupted sweep continues where it stopped.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import multiprocessing
import os
import platform
import shlex
import sys
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from tqdm.auto import tqdm

from rat_lava.baselines import BASELINES
from rat_lava.data.npz import save_npz
from rat_lava.data.sources import DEFAULT_PROTOCOL, NEUROBENCH, PROTOCOLS, load_data, session_of
from rat_lava.data.splits import chronological_split
from rat_lava.export.exporter import export_checkpoint
from rat_lava.export.netfile import read_net
from rat_lava.io_utils import atomic_path
from rat_lava.metrics import Ops, ops_energy_pj, parameter_count, r2_score
from rat_lava.runs.run import run_network  # imports Lava, which fixes the start method: fork
from rat_lava.runs.runfile import read_run
from rat_lava.train.choices import ABLATIONS
from rat_lava.train.decoders import load_decoder
from rat_lava.train.models import default_train_config
from rat_lava.train.pipeline import StageOptions, train

PRUNED_SPARSITY = 0.7
"""Weight sparsity of the ``rat-pruned`` variant (``rat-lava train --prune 0.7``)."""
PRUNED_RATE_HZ = 50.0
"""Firing-rate bound of the ``rat-pruned`` variant (``rat-lava train --rate-bound 50``)."""


@dataclass(frozen=True)
class Variant:
    """One decoder as ``rat-lava train`` options: the model, its preset and the RAT switches."""

    name: str
    model: str
    preset: str = "small"
    ablations: tuple[str, ...] = ()
    prune: float | None = None
    rate_bound_hz: float | None = None

    @property
    def seeded(self) -> bool:
        """False for the closed-form baselines, whose fit does not depend on the seed."""
        return self.model not in BASELINES

    @property
    def options(self) -> StageOptions:
        """The ``StageOptions`` of this variant (every other option at its default)."""
        return StageOptions(
            ablations=self.ablations, prune_sparsity=self.prune, rate_bound_hz=self.rate_bound_hz
        )

    @property
    def command(self) -> str:
        """The equivalent ``rat-lava train`` flags."""
        flags = [f"--model {self.model}"]
        if self.preset != "small":
            flags.append(f"--config {self.preset}")
        flags += [f"--ablation {name}" for name in self.ablations]
        if self.prune is not None:
            flags.append(f"--prune {self.prune:g}")
        if self.rate_bound_hz is not None:
            flags.append(f"--rate-bound {self.rate_bound_hz:g}")
        return " ".join(flags)


VARIANTS: dict[str, Variant] = {
    v.name: v
    for v in (
        Variant("rat", "rat"),
        Variant("rat-pruned", "rat", prune=PRUNED_SPARSITY, rate_bound_hz=PRUNED_RATE_HZ),
        *(Variant(f"rat-{name}", "rat", ablations=(name,)) for name in ABLATIONS),
        Variant("rat-paper", "rat", preset="paper"),
        Variant("gru", "gru"),
        Variant("ridge", "ridge"),
        Variant("kalman", "kalman"),
    )
}
"""Every variant a sweep can run, by name."""


@dataclass(frozen=True)
class Job:
    """One training and measurement: a variant on one data set (read with a protocol) with one
    seed."""

    data: str
    variant: str
    seed: int
    protocol: str = DEFAULT_PROTOCOL

    def directory(self, out: Path) -> Path:
        """``out/<data>/<variant>/seed<k>`` (``:`` and path separators in ``data`` -> ``-``;
        ``<data>`` prefixed with ``<protocol>-`` for other protocols than the default)."""
        tag = "".join("-" if c in ":/\\" else c for c in Path(self.data).stem or self.data)
        if self.protocol != DEFAULT_PROTOCOL:
            tag = f"{self.protocol}-{tag}"
        return out / tag / self.variant / f"seed{self.seed}"


@dataclass
class Measurement:
    """What one job measured. Rates are per second of data; NaN where a column does not apply.

    ``test_r2``: the trained model on the test split (for the RAT, the PyTorch model after its
    quantization-aware epochs); ``lava_r2``: the export decoded in Lava sim-fixed.
    ``energy_per_bin_uj``: the modelled Loihi 2 energy (RAT only); ``neurobench_per_bin_uj``:
    ACs x 0.9 pJ + MACs x 4.6 pJ, for every model. ACs / MACs of ridge, Kalman and GRU are dense
    (each weight once per bin); the RAT's are counted on the spikes of the Lava run.
    """

    test_r2: float
    val_r2: float
    parameters: int
    train_seconds: float
    epochs: int
    lava_r2: float = math.nan
    acs_per_s: float = math.nan
    macs_per_s: float = math.nan
    energy_per_bin_uj: float = math.nan
    neurobench_per_bin_uj: float = math.nan
    extra: dict[str, float] = field(default_factory=dict)


def dense_macs(state: dict) -> float:
    """Multiply-accumulates per bin of a dense decoder: one per weight of each matrix
    (ndim >= 2) in its state."""
    return float(sum(np.asarray(v).size for v in state.values() if np.ndim(v) >= 2))


def measure(job: Job, out: Path, epochs: int | None = None) -> Measurement:
    """Train ``job`` (unless its checkpoint exists), decode, and return its measurement.

    ``epochs`` caps the training (None: the model's own default, as the published tables use);
    ``measurement.json`` in the job's folder caches the result.
    """
    variant = VARIANTS[job.variant]
    folder = job.directory(out)
    cached = folder / "measurement.json"
    if cached.exists():
        return Measurement(**json.loads(cached.read_text(encoding="utf-8")))
    checkpoint = folder / f"{variant.model}.pt"
    if not checkpoint.exists():
        cap = {} if epochs is None else {"epochs": epochs}
        config = default_train_config(variant.model, seed=job.seed, **cap)
        train(
            variant.model,
            job.data,
            folder,
            variant.preset,
            config,
            False,
            variant.options,
            protocol=job.protocol,
        )
    decoder, meta = load_decoder(checkpoint)
    model = getattr(decoder, "model", None)  # the PyTorch models; the baselines hold arrays
    state = model.state_dict() if model is not None else decoder.state()
    train_info = meta.get("train", {})
    result = Measurement(
        test_r2=float(meta["test_r2"]),
        val_r2=float(meta["val_r2"]),
        parameters=parameter_count(model if model is not None else state),
        train_seconds=float(meta.get("train_seconds", math.nan)),
        epochs=int(train_info.get("epochs_run", 0)) + int(meta.get("qat", {}).get("epochs_run", 0)),
        extra={k: float(meta[k]) for k in ("weight_sparsity",) if k in meta},
    )
    if variant.model == "rat":
        _measure_lava(job, checkpoint, result)
    else:
        macs = dense_macs(state)
        result.acs_per_s, result.macs_per_s = 0.0, macs / float(meta["dt"])
        result.neurobench_per_bin_uj = ops_energy_pj(Ops(0.0, macs)) * 1e-6
    with atomic_path(cached) as partial:
        partial.write_text(json.dumps(asdict(result), indent=1), encoding="utf-8")
    return result


def _measure_lava(job: Job, checkpoint: Path, result: Measurement) -> None:
    """Export ``checkpoint``, decode the test split in Lava sim-fixed (fused, probes), and fill
    the Lava columns of ``result``."""
    net = checkpoint.with_suffix(".net")
    export_checkpoint(checkpoint, net, data=job.data, evaluate=False)
    data = job.data
    if Path(data).suffix.lower() == ".npz":  # `rat-lava run` decodes an .npz file in full
        session = session_of(load_data(data), read_net(net).network.condition)
        data = str(save_npz(chronological_split(session).test, checkpoint.with_name("test.npz")))
    run_path = checkpoint.with_name("sim_fixed.h5")
    run_network(
        net,
        data,
        "sim-fixed",
        run_path,
        probes=True,
        network_model="fused",
        protocol=job.protocol,
    )
    run = read_run(run_path)
    probes = run.probes
    step_s = float(run.meta["step_s"])
    result.lava_r2 = r2_score(run.ground_truth, run.velocity).mean
    result.acs_per_s = probes.energy.acs_per_step / step_s
    result.macs_per_s = probes.energy.macs_per_step / step_s
    result.energy_per_bin_uj = probes.energy_per_bin_j * 1e6
    result.neurobench_per_bin_uj = (
        probes.energy.neurobench_energy_per_step_j * probes.substeps * 1e6
    )


def _one_thread() -> None:
    """Each worker trains on one torch thread: parallel jobs do not fight over the cores."""
    import torch

    torch.set_num_threads(1)
    os.environ["OMP_NUM_THREADS"] = "1"


def jobs_of(
    data: Sequence[str],
    variants: Sequence[str],
    seeds: Sequence[int],
    protocol: str = DEFAULT_PROTOCOL,
) -> list[Job]:
    """Every (data, variant, seed) job; the seedless baselines once per data set (seed 0)."""
    return [
        Job(d, v, s, protocol)
        for d in data
        for v in variants
        for s in (seeds if VARIANTS[v].seeded else seeds[:1])
    ]


def run_jobs(
    jobs: Sequence[Job],
    out: Path,
    workers: int = 1,
    progress: bool = True,
    epochs: int | None = None,
) -> dict[Job, Measurement]:
    """Measure every job, ``workers`` at a time in separate processes (one torch thread each);
    ``epochs`` as in ``measure``.

    Prints one line per finished job; a failed job's error is printed and it is left out.
    """
    results: dict[Job, Measurement] = {}
    bar = tqdm(total=len(jobs), desc="jobs", unit="job", disable=not progress)
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_one_thread) as pool:
        futures = {pool.submit(measure, job, out, epochs): job for job in jobs}
        for future in as_completed(futures):
            job = futures[future]
            try:
                results[job] = m = future.result()
                line = f"{job.data} {job.variant} seed {job.seed}: test R2 {m.test_r2:.4f}" + (
                    "" if math.isnan(m.lava_r2) else f", Lava sim-fixed {m.lava_r2:.4f}"
                )
            except Exception as exc:  # noqa: BLE001 - one failed job must not end the sweep
                line = f"{job.data} {job.variant} seed {job.seed}: FAILED ({exc})"
            bar.write(line)
            bar.update()
    bar.close()
    return {job: results[job] for job in jobs if job in results}


def mean_sd(values: Iterable[float]) -> str:
    """``mean ± sd`` (sd over seeds, n - 1) with 4 decimals; ``-`` when all are NaN."""
    array = np.array([v for v in values if not math.isnan(v)], dtype=float)
    if array.size == 0:
        return "-"
    if array.size == 1:
        return f"{array[0]:.4f}"
    return f"{array.mean():.4f} ± {array.std(ddof=1):.4f}"


def _mean(values: Iterable[float], digits: str) -> str:
    array = np.array(list(values), dtype=float)
    return "-" if np.all(np.isnan(array)) else format(float(np.nanmean(array)), digits)


COLUMNS: tuple[tuple[str, Callable[[list[Measurement]], str]], ...] = (
    ("seeds", lambda ms: str(len(ms))),
    ("test R² (model)", lambda ms: mean_sd(m.test_r2 for m in ms)),
    ("test R² (Lava sim-fixed)", lambda ms: mean_sd(m.lava_r2 for m in ms)),
    ("parameters", lambda ms: f"{ms[0].parameters:,}"),
    ("ACs / s of data", lambda ms: _mean((m.acs_per_s for m in ms), ",.0f")),
    ("MACs / s of data", lambda ms: _mean((m.macs_per_s for m in ms), ",.0f")),
    (
        "Loihi 2 energy / bin (µJ, modelled)",
        lambda ms: _mean((m.energy_per_bin_uj for m in ms), ".3g"),
    ),
    (
        "NeuroBench energy / bin (µJ)",
        lambda ms: _mean((m.neurobench_per_bin_uj for m in ms), ".3g"),
    ),
    ("epochs", lambda ms: _mean((m.epochs for m in ms), ".1f")),
    ("training (min, one thread)", lambda ms: _mean((m.train_seconds / 60 for m in ms), ".1f")),
)
"""The table's columns after the decoder's name: the header and how a cell is made."""


def table(
    results: dict[Job, Measurement], data: str, variants: Sequence[str], baseline: str | None = None
) -> str:
    """Markdown table of one data set: a row per variant (mean ± sd over its seeds).

    With ``baseline`` (a variant name), a column gives each variant's test R^2 change against it,
    paired by seed.
    """
    header = ["decoder", *(name for name, _ in COLUMNS)]
    if baseline:
        header.append(f"Δ test R² vs {baseline} (paired)")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    by_seed = {
        job.seed: m for job, m in results.items() if job.data == data and job.variant == baseline
    }
    for variant in variants:
        rows = {
            job.seed: m for job, m in results.items() if job.data == data and job.variant == variant
        }
        if not rows:
            continue
        ms = [rows[s] for s in sorted(rows)]
        cells = [f"`{variant}`", *(make(ms) for _, make in COLUMNS)]
        if baseline:
            paired = [rows[s].test_r2 - by_seed[s].test_r2 for s in sorted(rows) if s in by_seed]
            cells.append(
                "-"
                if variant == baseline or not paired
                else f"{np.mean(paired):+.4f} (n={len(paired)})"
            )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def neurobench_summary(results: dict[Job, Measurement], variants: Sequence[str]) -> str:
    """Markdown table in the layout of NeuroBench's leaderboard: per decoder, the test R^2 (the
    RAT's in Lava sim-fixed; mean over seeds) averaged over the sessions of each monkey (Indy,
    Loco), and the effective operations per 4 ms sample averaged over every session."""
    sample_s = 0.004
    lines = [
        "| decoder | R² Indy (sessions) | R² Loco (sessions) | R² all | ACs / sample | "
        "MACs / sample |",
        "|---|---|---|---|---|---|",
    ]
    for variant in variants:
        rows = [(job, m) for job, m in results.items() if job.variant == variant]
        if not rows:
            continue
        by_session: dict[str, list[float]] = {}
        for job, m in rows:
            by_session.setdefault(job.data, []).append(
                m.test_r2 if math.isnan(m.lava_r2) else m.lava_r2
            )
        session_r2 = {data: float(np.mean(v)) for data, v in by_session.items()}

        def monkey(prefix: str, scores: dict[str, float] = session_r2) -> str:
            values = [v for data, v in scores.items() if Path(data).name.startswith(prefix)]
            return f"{np.mean(values):.4f} ({len(values)})" if values else "-"

        acs = _mean((m.acs_per_s * sample_s for _, m in rows), ",.0f")
        macs = _mean((m.macs_per_s * sample_s for _, m in rows), ",.0f")
        overall = f"{np.mean(list(session_r2.values())):.4f}"
        lines.append(
            f"| `{variant}` | {monkey('indy')} | {monkey('loco')} | {overall} | {acs} | {macs} |"
        )
    return "\n".join(lines)


def tradeoff_figure(results: dict[Job, Measurement], data_sets: Sequence[str]) -> Figure:
    """Test R^2 (mean, error bar = sd over seeds) against operations per second of data, one
    panel per data set: ACs + MACs on a log axis (the RAT's counted on its Lava run, the
    others' dense), so the accuracy/cost points of every decoder sit side by side."""
    figure = Figure(figsize=(5.5 * len(data_sets), 4.2))
    for column, data in enumerate(data_sets, start=1):
        axes = figure.add_subplot(1, len(data_sets), column)
        variants = dict.fromkeys(job.variant for job in results if job.data == data)
        for variant in variants:
            ms = [m for job, m in results.items() if job.data == data and job.variant == variant]
            ops = np.array([m.acs_per_s + m.macs_per_s for m in ms])
            r2 = np.array([m.lava_r2 if not math.isnan(m.lava_r2) else m.test_r2 for m in ms])
            spread = r2.std(ddof=1) if len(r2) > 1 else 0.0
            axes.errorbar(ops.mean(), r2.mean(), yerr=spread, fmt="o", capsize=3, label=variant)
        axes.set_xscale("log")
        axes.set_xlabel("ACs + MACs per second of data")
        axes.set_ylabel("test R² (RAT: Lava sim-fixed)")
        axes.set_title(data)
        axes.grid(alpha=0.3)
        axes.legend(fontsize=8)
    figure.tight_layout()
    return figure


def main(doc: str, variants: Sequence[str], name: str, baseline: str | None = None) -> None:
    """The command line of ``benchmarks/results.py`` and ``benchmarks/ablations.py``.

    ``variants``: the default rows; ``name``: the Markdown file written under ``--out``;
    ``baseline``: a variant the table compares every row with (paired by seed).
    """
    parser = argparse.ArgumentParser(
        description=doc.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data", nargs="+", default=["s1", "synthetic:0"], help="--data of rat-lava train"
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="training seeds")
    parser.add_argument(
        "--variants", nargs="+", choices=list(VARIANTS), default=list(variants), help="rows"
    )
    parser.add_argument(
        "--protocol",
        default=DEFAULT_PROTOCOL,
        choices=PROTOCOLS,
        help="--protocol of rat-lava train (neurobench: --data the Zenodo sessions' .mat files)",
    )
    parser.add_argument("--jobs", type=int, default=1, help="jobs run at once (one thread each)")
    parser.add_argument("--out", default="runs/bench", help="job folders (reused when rerun)")
    parser.add_argument(
        "--report", help=f"Markdown file of the tables (default OUT/{name}; a .png beside it)"
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    args = parser.parse_args()
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    out = Path(args.out)
    jobs = jobs_of(args.data, args.variants, args.seeds, args.protocol)
    results = run_jobs(jobs, out, args.jobs, not args.no_progress)
    machine = (
        f"{platform.machine()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}"
    )
    command = "python " + shlex.join(sys.argv)
    sections = [
        f"Measured {datetime.date.today().isoformat()} on {machine} (`{command}`); each model "
        "trained with the defaults of `rat-lava train` to its own early stop; mean ± sd over "
        f"seeds; protocol {args.protocol}."
    ]
    if args.protocol == NEUROBENCH:
        sections.append(
            "**NeuroBench primate reaching, per monkey**\n\n"
            + neurobench_summary(results, args.variants)
        )
    for data in args.data:
        sections.append(f"**`{data}`**\n\n" + table(results, data, args.variants, baseline))
    text = "\n\n".join(sections)
    report = Path(args.report) if args.report else out / name
    with atomic_path(report) as partial:
        partial.write_text(text + "\n", encoding="utf-8")
    plot = report.with_suffix(".png")
    with atomic_path(plot) as partial:
        tradeoff_figure(results, args.data).savefig(partial, format="png", dpi=110)
    print(f"\n{text}\n\nwritten to {report} and {plot}")
    if len(results) < len(jobs):
        sys.exit(f"{len(jobs) - len(results)} of {len(jobs)} jobs failed (see above)")
