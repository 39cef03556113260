"""Probes: core mapping, per-core activity counters, energy model, Loihi 2 profiler adapter.

``map_to_cores`` places a deployed network on Loihi 2 neuro cores; ``simulated_probes`` counts
per-core activity of a run and models its energy; ``loihi2_callbacks`` and
``report_from_profilers`` measure the same on hardware (lava-loihi). Both give a
``ProbeReport`` that a run file stores with ``to_hdf5``; ``probe_summary`` prints it.
``LavaDecoder(..., probes=True)`` counts activity on the outputs recorded from its Lava run.
"""

from rat_lava.probes.activity import CoreActivity, activity_from_outputs
from rat_lava.probes.cores import CoreLimits, CoreMap, format_core_table, map_to_cores
from rat_lava.probes.energy import EnergyModel, EnergyReport, modelled_energy
from rat_lava.probes.loihi2 import loihi2_callbacks, report_from_profilers
from rat_lava.probes.report import ProbeReport
from rat_lava.probes.simulated import probes_from_outputs, simulated_probes
from rat_lava.probes.summary import probe_summary

__all__ = [
    "CoreActivity",
    "CoreLimits",
    "CoreMap",
    "EnergyModel",
    "EnergyReport",
    "ProbeReport",
    "activity_from_outputs",
    "format_core_table",
    "loihi2_callbacks",
    "map_to_cores",
    "modelled_energy",
    "probe_summary",
    "probes_from_outputs",
    "report_from_profilers",
    "simulated_probes",
]
