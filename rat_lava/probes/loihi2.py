"""Loihi 2 hardware probes: lava-loihi's profilers, and their results as a ``ProbeReport``.

``loihi2_callbacks(num_steps)`` creates the four profilers of lava-loihi's
``lava.utils.loihi2_profiler`` (Intel's INRC-only extension) for ``Loihi2HwCfg(callback_fxs=...)``;
``report_from_profilers`` reads their attributes after the run (it only reads) and gives the
report schema of the simulation probes, with measured power and time. As in Intel's PilotNet
benchmarks, the idle (static) power the profiler measures is subtracted to give the dynamic
power, and energy per step = mean total power x time per step (= power / throughput).

Where the field names come from (checked in public sources; lava-loihi itself is not public):

* Confirmed in Intel's repositories: the constructors ``Loihi2Power(num_steps=...)``,
  ``Loihi2ExecutionTime(buffer_size=...)``, ``Loihi2Activity()``, ``Loihi2Memory()``;
  ``total_power``; ``time_per_step`` (a series) and ``avg_time_per_step`` in microseconds
  ("throughput = 1e6 / avg_time_per_step"); the per-core ``core_idx``, ``syn_ops``,
  ``dendrite_updates``, ``axon_out``, ``spikes_in`` (plotted per core, so totals over the run)
  and ``Loihi2Memory.core_idx`` / ``total_mpds``. Sources: github.com/lava-nc/lava-dl,
  tutorials/lava/lib/dl/netx/pilotnet_snn/benchmark.ipynb and pilotnet_sdnn/benchmark.ipynb;
  github.com/lava-nc/lava-optimization, src/lava/lib/optimization/utils/solver_benchmarker.py.
* Seen only in public third-party benchmark scripts built on these tools (repository not
  identified): ``static_total_power`` (W, idle power measured around the run) and the rail
  series ``vdd_power`` (neuro cores), ``vddm_power`` (memory), ``vddio_power`` (I/O) in W;
  ``Loihi2Activity.chip_idx``; passing the profiler objects themselves as ``callback_fxs``
  (lava-nc 0.10.0's ``Loihi2HwCfg`` takes only ``callback_fxs``).
* Assumed: ``total_power`` is a series in W sampled during the run (its mean is the run's
  power); ``time_per_step`` is in microseconds like its average; the activity counters are
  totals over the run; ``total_mpds`` is a fraction.

The tests feed this module recorded-format fixtures (objects with exactly these attributes),
not hardware data.
"""

from __future__ import annotations

import importlib
from typing import Any, NamedTuple

import numpy as np

from rat_lava.metrics import Ops
from rat_lava.probes.activity import COUNTERS, CoreActivity
from rat_lava.probes.energy import EnergyReport
from rat_lava.probes.errors import LoihiExtensionMissing, ProfilerDataError
from rat_lava.probes.report import ProbeReport

PROFILER_MODULE = "lava.utils.loihi2_profiler"
"""lava-loihi's profiler module."""

US = 1e-6
"""Seconds per microsecond."""

RAILS = ("vdd_power", "vddm_power", "vddio_power")
"""Supply-rail power series of ``Loihi2Power`` kept in the report (as their means)."""


class Loihi2Profilers(NamedTuple):
    """lava-loihi's four profilers for one run."""

    power: Any
    execution_time: Any
    activity: Any
    memory: Any

    @property
    def callback_fxs(self) -> list[Any]:
        """The profilers as ``Loihi2HwCfg(callback_fxs=...)`` expects them."""
        return list(self)


def loihi2_callbacks(num_steps: int) -> Loihi2Profilers:
    """lava-loihi's power, execution-time, activity and memory profilers for ``num_steps`` steps.

    Raises:
        LoihiExtensionMissing: lava-loihi is not installed.
    """
    try:
        profiler = importlib.import_module(PROFILER_MODULE)
    except ImportError as exc:
        raise LoihiExtensionMissing(
            f"Loihi 2 profiling needs Intel's lava-loihi extension (module {PROFILER_MODULE}), "
            "which is not installed here; lava-loihi is distributed only to members of Intel's "
            "Neuromorphic Research Community (INRC), who get it with their INRC account"
        ) from exc
    return Loihi2Profilers(
        power=profiler.Loihi2Power(num_steps=num_steps),
        execution_time=profiler.Loihi2ExecutionTime(buffer_size=num_steps),
        activity=profiler.Loihi2Activity(),
        memory=profiler.Loihi2Memory(),
    )


def _field(obj: Any, profiler: str, name: str) -> np.ndarray:
    """``obj.name`` as a finite float64 array; ProfilerDataError if missing or not finite."""
    if not hasattr(obj, name):
        raise ProfilerDataError(
            f"{profiler} result has no field {name!r}: read it after the run of a Loihi2HwCfg "
            "that had the profiler in its callback_fxs"
        )
    value = np.asarray(getattr(obj, name), dtype=np.float64)
    if value.size == 0 or not np.all(np.isfinite(value)):
        raise ProfilerDataError(f"{profiler}.{name} is empty or holds non-finite values")
    return value


def _counters(activity: Any) -> dict[str, np.ndarray]:
    """Per-core integer counters of ``Loihi2Activity``, all of one length."""
    arrays = {name: _field(activity, "Loihi2Activity", name) for name in ("core_idx", *COUNTERS)}
    if hasattr(activity, "chip_idx"):
        arrays["chip_idx"] = _field(activity, "Loihi2Activity", "chip_idx")
    else:
        arrays["chip_idx"] = np.zeros_like(arrays["core_idx"])
    if len({a.shape for a in arrays.values()}) != 1 or arrays["core_idx"].ndim != 1:
        raise ProfilerDataError("Loihi2Activity fields are not 1-D arrays of one length")
    return {name: np.rint(value).astype(np.int64) for name, value in arrays.items()}


def _memory(memory: Any, core_idx: np.ndarray, chip_idx: np.ndarray) -> np.ndarray:
    """``Loihi2Memory.total_mpds`` aligned to the activity's cores; NaN where absent."""
    result = np.full(core_idx.shape, np.nan)
    if memory is None:
        return result
    cores = _field(memory, "Loihi2Memory", "core_idx").astype(np.int64)
    used = _field(memory, "Loihi2Memory", "total_mpds")
    chips = (
        _field(memory, "Loihi2Memory", "chip_idx").astype(np.int64)
        if hasattr(memory, "chip_idx")
        else np.zeros_like(cores)
    )
    if not cores.shape == used.shape == chips.shape:
        raise ProfilerDataError("Loihi2Memory fields are not arrays of one length")
    where = dict(zip(zip(chips.tolist(), cores.tolist(), strict=True), used, strict=True))
    for i, key in enumerate(zip(chip_idx.tolist(), core_idx.tolist(), strict=True)):
        result[i] = where.get(key, np.nan)
    return result


def report_from_profilers(
    power: Any,
    exec_time: Any,
    activity: Any,
    memory: Any = None,
    *,
    num_steps: int,
    dt_s: float,
    substeps: int = 1,
    read_delay: int = 0,
    ops: Ops | None = None,
    board_chips: int | None = None,
) -> ProbeReport:
    """The measured ``ProbeReport`` of a Loihi 2 run from its profilers (attributes only).

    Args:
        power, exec_time, activity, memory: lava-loihi's ``Loihi2Power``,
            ``Loihi2ExecutionTime``, ``Loihi2Activity`` and (optional) ``Loihi2Memory`` after
            the run.
        num_steps: time steps of the run.
        dt_s: the network's time step, seconds.
        substeps: network steps per decoded data bin.
        read_delay: steps run after the last bin's sub-steps to read its velocity.
        ops: NeuroBench effective ACs / MACs per step of the same input, if known.
        board_chips: chips on the board, when larger than the chips the run used: the idle
            power of the unused chips (an equal share of the measured idle power each) is
            removed from total and static power, as public multi-chip benchmark scripts built
            on these profilers do. The rail means (``power_rails_w``) stay the board's.

    The per-step time series is kept only when it has ``num_steps`` entries (the profiler's
    buffer may hold fewer steps); the mean time per step is always ``avg_time_per_step``.

    Raises:
        ProfilerDataError: a field is missing, empty, non-finite or of inconsistent shape.
    """
    if num_steps < 1:
        raise ValueError(f"num_steps must be >= 1, got {num_steps}")
    counters = _counters(activity)
    total_power = float(_field(power, "Loihi2Power", "total_power").mean())
    static_power = float(_field(power, "Loihi2Power", "static_total_power").reshape(-1)[0])
    rails = {
        name: float(_field(power, "Loihi2Power", name).mean())
        for name in RAILS
        if hasattr(power, name)
    }
    if board_chips is not None:
        active = np.unique(counters["chip_idx"]).size
        if board_chips < active:
            raise ValueError(f"board_chips={board_chips} is less than the {active} chips used")
        idle_unused = static_power * (board_chips - active) / board_chips
        total_power -= idle_unused
        static_power -= idle_unused
    mean_time = float(_field(exec_time, "Loihi2ExecutionTime", "avg_time_per_step").reshape(-1)[0])
    series = (
        _field(exec_time, "Loihi2ExecutionTime", "time_per_step").reshape(-1) * US
        if hasattr(exec_time, "time_per_step")
        else np.zeros(0)
    )
    time_per_step = mean_time * US
    ops = ops or Ops(float("nan"), float("nan"))
    cores = counters["core_idx"].size
    energy = EnergyReport(
        source="measured",
        num_steps=num_steps,
        step_time_s=series if series.size == num_steps else np.zeros(0),
        time_per_step_s=time_per_step,
        dynamic_energy_per_core_j=np.full(cores, np.nan),
        dynamic_energy_j=(total_power - static_power) * time_per_step * num_steps,
        static_power_w=static_power,
        acs_per_step=ops.acs_per_step,
        macs_per_step=ops.macs_per_step,
        power_rails_w=rails,
    )
    return ProbeReport(
        backend="loihi2",
        dt_s=dt_s,
        substeps=substeps,
        read_delay=read_delay,
        activity=CoreActivity(num_steps=num_steps, **counters),
        energy=energy,
        core_labels=("",) * cores,
        memory_utilization=_memory(memory, counters["core_idx"], counters["chip_idx"]),
    )
