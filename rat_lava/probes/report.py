"""The probe report of one run (per-core activity, energy, timing, metadata) and its HDF5 form.

Simulation probes and the Loihi 2 profiler adapter both produce a ``ProbeReport``; a run file
stores it in a group (``probes/`` by convention) laid out as:

    attrs: schema = "rat-lava-probes", version = 1, backend, num_steps, dt_s
    activity/  core_idx, chip_idx, syn_ops, dendrite_updates, axon_out, spikes_in  (int64)
    energy/    attrs: source, time_per_step_s, dynamic_energy_j, static_power_w,
                      acs_per_step, macs_per_step;
               datasets: step_time_s, dynamic_energy_per_core_j; group power_rails_w/ (attrs);
               groups constants/ and constant_sources/ (attrs, one per EnergyModel constant:
               value in the unit of its name, and where it comes from; empty when measured,
               absent in files of rat-lava before they were added)
    cores/     label (UTF-8 strings), memory_utilization (float64)

Counters are counts (``rat_lava.probes.activity``), times in seconds, energies in joules,
powers in watts, memory utilization a fraction of the core's memory (NaN = not measured).
"""

from __future__ import annotations

from dataclasses import dataclass

import h5py
import numpy as np

from rat_lava.probes.activity import COUNTERS, CoreActivity
from rat_lava.probes.energy import EnergyReport
from rat_lava.probes.errors import ProbeFileError

SCHEMA = "rat-lava-probes"
"""Value of the ``schema`` attribute of a probe group."""

VERSION = 1
"""Version of the probe group layout written by ``to_hdf5``."""

_ENERGY_SCALARS = (
    "time_per_step_s",
    "dynamic_energy_j",
    "static_power_w",
    "acs_per_step",
    "macs_per_step",
)


@dataclass(frozen=True)
class ProbeReport:
    """Per-core activity, energy and timing of one run, with its metadata.

    Attributes:
        backend: what ran: "sim-fixed", "sim-float", "folded" (numpy reference) or "loihi2".
        dt_s: the network's time step, seconds (a data bin is ``substeps`` steps).
        activity: per-core counters.
        energy: modelled or measured energy and time (``energy.source``).
        core_labels: per core, what it holds (``group[start:stop]``); "" where unknown
            (hardware cores placed by Lava's compiler).
        memory_utilization: float (cores,), used fraction of each core's memory (lava-loihi
            ``Loihi2Memory.total_mpds``); NaN where not measured.
        substeps: network steps per decoded bin (1 for files written before sub-steps).
        read_delay: steps the run went on after the last bin's sub-steps, to read its velocity
            (``rat_lava.deploy.timing``; 0 for files written before sub-steps).
    """

    backend: str
    dt_s: float
    activity: CoreActivity
    energy: EnergyReport
    core_labels: tuple[str, ...]
    memory_utilization: np.ndarray
    substeps: int = 1
    read_delay: int = 0

    def __post_init__(self) -> None:
        cores = self.activity.cores
        if len(self.core_labels) != cores or self.memory_utilization.shape != (cores,):
            raise ValueError(f"core_labels and memory_utilization must have {cores} entries")
        if self.energy.dynamic_energy_per_core_j.shape != (cores,):
            raise ValueError(f"energy.dynamic_energy_per_core_j must have {cores} entries")
        if self.energy.num_steps != self.activity.num_steps:
            raise ValueError("energy and activity cover different numbers of steps")

    @property
    def bins(self) -> int:
        """Data bins the run decoded: (steps - read_delay) / substeps."""
        return (self.activity.num_steps - self.read_delay) // self.substeps

    @property
    def energy_per_bin_j(self) -> float:
        """Energy per decoded data bin (all its sub-steps), joules."""
        return self.energy.energy_per_step_j * self.substeps

    @property
    def source(self) -> str:
        """ "modelled" or "measured"."""
        return self.energy.source

    def to_hdf5(self, group: h5py.Group) -> None:
        """Write the report into the (empty) HDF5 ``group``."""
        group.attrs.update(
            schema=SCHEMA,
            version=VERSION,
            backend=self.backend,
            num_steps=self.activity.num_steps,
            dt_s=self.dt_s,
            substeps=self.substeps,
            read_delay=self.read_delay,
        )
        activity = group.create_group("activity")
        for name in ("core_idx", "chip_idx", *COUNTERS):
            activity.create_dataset(name, data=getattr(self.activity, name))
        energy = group.create_group("energy")
        energy.attrs["source"] = self.energy.source
        for name in _ENERGY_SCALARS:
            energy.attrs[name] = getattr(self.energy, name)
        energy.create_dataset("step_time_s", data=self.energy.step_time_s)
        energy.create_dataset(
            "dynamic_energy_per_core_j", data=self.energy.dynamic_energy_per_core_j
        )
        energy.create_group("power_rails_w").attrs.update(self.energy.power_rails_w)
        energy.create_group("constants").attrs.update(self.energy.constants)
        energy.create_group("constant_sources").attrs.update(self.energy.constant_sources)
        cores = group.create_group("cores")
        cores.create_dataset("label", data=list(self.core_labels), dtype=h5py.string_dtype("utf-8"))
        cores.create_dataset("memory_utilization", data=self.memory_utilization)

    @classmethod
    def from_hdf5(cls, group: h5py.Group) -> ProbeReport:
        """Read a report written by ``to_hdf5``; ProbeFileError if it is not one or is damaged."""
        where = f"{group.file.filename}:{group.name}"
        if group.attrs.get("schema") != SCHEMA:
            raise ProbeFileError(f"{where} is not a rat-lava probe report")
        if group.attrs.get("version") != VERSION:
            raise ProbeFileError(
                f"{where}: probe report version {group.attrs.get('version')} is not supported "
                f"(this rat-lava reads version {VERSION})"
            )
        try:
            steps = int(group.attrs["num_steps"])
            activity = CoreActivity(
                num_steps=steps,
                **{
                    name: np.asarray(group["activity"][name][()], dtype=np.int64)
                    for name in ("core_idx", "chip_idx", *COUNTERS)
                },
            )
            node = group["energy"]
            energy = EnergyReport(
                source=str(node.attrs["source"]),
                num_steps=steps,
                step_time_s=np.asarray(node["step_time_s"][()], dtype=np.float64),
                dynamic_energy_per_core_j=np.asarray(
                    node["dynamic_energy_per_core_j"][()], dtype=np.float64
                ),
                power_rails_w={k: float(v) for k, v in node["power_rails_w"].attrs.items()},
                constants={k: float(v) for k, v in _attrs(node, "constants").items()},
                constant_sources={k: str(v) for k, v in _attrs(node, "constant_sources").items()},
                **{name: float(node.attrs[name]) for name in _ENERGY_SCALARS},
            )
            labels = tuple(group["cores"]["label"].asstr()[()])
            return cls(
                backend=str(group.attrs["backend"]),
                dt_s=float(group.attrs["dt_s"]),
                substeps=int(group.attrs.get("substeps", 1)),
                read_delay=int(group.attrs.get("read_delay", 0)),
                activity=activity,
                energy=energy,
                core_labels=labels,
                memory_utilization=np.asarray(
                    group["cores"]["memory_utilization"][()], dtype=np.float64
                ),
            )
        except (KeyError, ValueError, TypeError, OSError) as exc:
            raise ProbeFileError(f"{where}: damaged probe report ({exc})") from exc


def _attrs(group: h5py.Group, name: str) -> h5py.AttributeManager | dict:
    """Attributes of the optional subgroup ``name`` of ``group`` (empty if it is absent)."""
    return group[name].attrs if name in group else {}
