"""Energy and time model of a run on neuro cores, and the energy report shared with hardware.

Modelled energy (DESIGN.md section 5; every constant configurable, source next to it):

* dynamic energy of core c = syn_ops[c] E_synop + dendrite_updates[c] E_update
  + axon_out[c] E_spike;
* time per step = max over cores of (syn_ops t_synop + dendrite_updates t_update) in that
  step, plus one barrier synchronisation (the chip advances in lock step); or a given step
  time, e.g. the bin width dt when the decoder runs throttled to real time;
* static energy = static power per core x cores used x run time (unused cores assumed
  power-gated: Intel's own measurements subtract the idle power of the whole board instead).

Intel publishes no per-operation energies for Loihi 2; the defaults are Loihi 1 figures of
M. Davies et al., "Loihi: a neuromorphic manycore processor with on-chip learning", IEEE Micro
38(1), 2018, Table 2, which are pre-silicon (SDF/SPICE) estimates. Treat modelled joules as an
order of magnitude; measured ones come from ``rat_lava.probes.loihi2``.

Beside them, the NeuroBench convention of the SNN-decoding papers (0.9 pJ per accumulate, 4.6
pJ per multiply-accumulate, ``rat_lava.metrics``) is carried in every report, so that numbers
can be put beside the papers'.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rat_lava.metrics import Ops, ops_energy_pj
from rat_lava.probes.activity import CoreActivity

SOURCES = ("modelled", "measured")
"""Where the energy and time of a report come from."""

PJ = 1e-12
"""Joules per picojoule."""

NS = 1e-9
"""Seconds per nanosecond."""


CONSTANT_SOURCES: dict[str, str] = {
    "synop_pj": "Davies et al. 2018, Table 2, 'energy per synaptic spike op (min)', Loihi 1",
    "update_pj": "Davies et al. 2018, Table 2, neuron update 'inactive' (81 pJ 'active'), Loihi 1",
    "spike_pj": "Davies et al. 2018, Table 2, 'within-tile spike energy', Loihi 1; each mesh "
    "hop adds 3.0 (E-W) or 4.0 (N-S) pJ, not modelled (raise this value to include an average "
    "hop count)",
    "synop_ns": "Davies et al. 2018, Table 2, 'time per synaptic spike op (max)', Loihi 1",
    "update_ns": "Davies et al. 2018, Table 2, neuron update 'inactive' (8.4 ns 'active'), Loihi 1",
    "barrier_ns": "Davies et al. 2018, Table 2, 'mesh-wide barrier sync time' for 32 tiles "
    "(113 ns for one), Loihi 1",
    "static_core_w": "ASSUMPTION for Loihi 2 (not published): 3.34 W static power measured on a "
    "32-chip Loihi 1 board (E. P. Frady et al., 'Neuromorphic nearest-neighbor search using "
    "Intel's Pohoiki Springs', NICE 2020, Table 1, as quoted by a secondary summary, not "
    "re-read here), i.e. 104 mW per chip over 128 cores",
}
"""Where the default of every ``EnergyModel`` constant comes from ("Davies et al. 2018" = M.
Davies et al., "Loihi: a neuromorphic manycore processor with on-chip learning", IEEE Micro
38(1), 2018, pre-silicon estimates); run files store it beside the values used."""


@dataclass(frozen=True)
class EnergyModel:
    """Per-operation energies and times of a neuro core (all configurable; the default of each
    and its source: ``CONSTANT_SOURCES``).

    Attributes:
        synop_pj: energy of one synaptic operation, pJ (default 23.6).
        update_pj: energy of one neuron (dendrite) update, pJ (default 52).
        spike_pj: energy of one spike message sent, pJ (default 1.7).
        synop_ns: time of one synaptic operation, ns (default 3.5).
        update_ns: time of one neuron update, ns (default 5.3).
        barrier_ns: time of the end-of-step barrier synchronisation, ns (default 465).
        static_core_w: static (leakage) power of one neuro core, W (default 0.815 mW).
    """

    synop_pj: float = 23.6
    update_pj: float = 52.0
    spike_pj: float = 1.7
    synop_ns: float = 3.5
    update_ns: float = 5.3
    barrier_ns: float = 465.0
    static_core_w: float = 3.34 / 32 / 128

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if not np.isfinite(value) or value < 0:
                raise ValueError(f"EnergyModel.{name} must be finite and >= 0, got {value}")

    def constants(self) -> dict[str, float]:
        """Every constant by name, in the units of its name."""
        return {name: float(value) for name, value in vars(self).items()}

    def sources(self) -> dict[str, str]:
        """Where each value comes from: ``CONSTANT_SOURCES`` for a default, else "set by the
        user" (with the default and its source)."""
        defaults = EnergyModel()
        return {
            name: CONSTANT_SOURCES[name]
            if value == getattr(defaults, name)
            else f"set by the user (default {getattr(defaults, name):g}: {CONSTANT_SOURCES[name]})"
            for name, value in vars(self).items()
        }


@dataclass(frozen=True)
class EnergyReport:
    """Energy and time of one run, modelled or measured (same fields either way).

    Attributes:
        source: "modelled" or "measured".
        num_steps: time steps of the run (one decoded velocity per step).
        step_time_s: float (num_steps,), seconds per step, or empty (0,) when only the mean
            is known.
        time_per_step_s: mean seconds per step.
        dynamic_energy_per_core_j: float (cores,), joules per core over the run; NaN where not
            known per core (hardware measures the whole board).
        dynamic_energy_j: dynamic energy of the run, joules.
        static_power_w: static power, watts (modelled: of the cores used; measured: idle
            power of the board as reported by the profiler).
        acs_per_step, macs_per_step: effective accumulates / multiply-accumulates per step of
            the same run (NeuroBench, ``rat_lava.deploy.counters``); NaN when not known.
        power_rails_w: mean measured power per supply rail in watts (lava-loihi's vdd:
            neuro cores, vddm: memory, vddio: I/O); empty for modelled reports.
        constants, constant_sources: the ``EnergyModel`` constants of a modelled report by
            name, and where each comes from (``EnergyModel.sources``); empty when measured.
    """

    source: str
    num_steps: int
    step_time_s: np.ndarray
    time_per_step_s: float
    dynamic_energy_per_core_j: np.ndarray
    dynamic_energy_j: float
    static_power_w: float
    acs_per_step: float = float("nan")
    macs_per_step: float = float("nan")
    power_rails_w: dict[str, float] = field(default_factory=dict)
    constants: dict[str, float] = field(default_factory=dict)
    constant_sources: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ValueError(f"source must be one of {SOURCES}, got {self.source!r}")
        if self.num_steps < 1:
            raise ValueError(f"num_steps must be >= 1, got {self.num_steps}")
        if self.step_time_s.shape not in ((0,), (self.num_steps,)):
            raise ValueError(f"step_time_s must have shape (0,) or ({self.num_steps},)")

    @property
    def run_time_s(self) -> float:
        """Duration of the run, seconds."""
        return self.time_per_step_s * self.num_steps

    @property
    def static_energy_j(self) -> float:
        """Static power times run time, joules."""
        return self.static_power_w * self.run_time_s

    @property
    def total_energy_j(self) -> float:
        """Dynamic plus static energy of the run, joules."""
        return self.dynamic_energy_j + self.static_energy_j

    @property
    def energy_per_step_j(self) -> float:
        """Total energy per decoded step, joules (Intel: mean total power / throughput)."""
        return self.total_energy_j / self.num_steps

    @property
    def dynamic_energy_per_step_j(self) -> float:
        """Dynamic energy per decoded step, joules (static power subtracted)."""
        return self.dynamic_energy_j / self.num_steps

    @property
    def mean_power_w(self) -> float:
        """Mean total power over the run, watts."""
        return self.total_energy_j / self.run_time_s

    @property
    def neurobench_energy_per_step_j(self) -> float:
        """ACs x 0.9 pJ + MACs x 4.6 pJ per step (``rat_lava.metrics.ops_energy_pj``), joules."""
        return ops_energy_pj(Ops(self.acs_per_step, self.macs_per_step)) * PJ


def modelled_step_times(activity: CoreActivity, model: EnergyModel) -> np.ndarray:
    """Seconds per step, (num_steps,) for per-step activity or (1,) (the mean step) for totals."""
    syn_ops, updates = activity.syn_ops, activity.dendrite_updates
    if not activity.per_step:
        syn_ops, updates = syn_ops[None] / activity.num_steps, updates[None] / activity.num_steps
    busy = syn_ops * model.synop_ns + updates * model.update_ns
    return (busy.max(axis=1, initial=0.0) + model.barrier_ns) * NS


def modelled_energy(
    activity: CoreActivity,
    model: EnergyModel | None = None,
    step_time_s: float | None = None,
    ops: Ops | None = None,
) -> EnergyReport:
    """The modelled energy report of ``activity`` (see the module docstring).

    Args:
        activity: per-core counters of the run.
        model: per-operation constants (default ``EnergyModel()``).
        step_time_s: seconds per step to charge static power over (e.g. the bin width for a
            real-time decoder); default: the modelled compute time per step.
        ops: NeuroBench effective ACs / MACs per step of the same run, if known.
    """
    model = model or EnergyModel()
    totals = activity.totals()
    per_core_pj = (
        totals.syn_ops * model.synop_pj
        + totals.dendrite_updates * model.update_pj
        + totals.axon_out * model.spike_pj
    )
    if step_time_s is None:
        times = modelled_step_times(activity, model)
        step_times = times if activity.per_step else np.zeros(0)
        mean_time = float(times.mean())
    else:
        if not step_time_s > 0:
            raise ValueError(f"step_time_s must be > 0, got {step_time_s}")
        step_times, mean_time = np.zeros(0), float(step_time_s)
    ops = ops or Ops(float("nan"), float("nan"))
    return EnergyReport(
        source="modelled",
        num_steps=activity.num_steps,
        step_time_s=step_times,
        time_per_step_s=mean_time,
        dynamic_energy_per_core_j=per_core_pj * PJ,
        dynamic_energy_j=float(per_core_pj.sum()) * PJ,
        static_power_w=model.static_core_w * activity.cores,
        acs_per_step=ops.acs_per_step,
        macs_per_step=ops.macs_per_step,
        constants=model.constants(),
        constant_sources=model.sources(),
    )
