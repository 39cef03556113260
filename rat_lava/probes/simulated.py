"""Simulation probes: per-core activity and modelled energy of a network decoding spike counts.

The activity is counted on the outputs of every node of a run (``FoldedNetwork.run``, which
matches Lava's fixed-point simulation bit for bit for a quantized network, or outputs recorded
from a Lava run), placed on cores by ``map_to_cores``; energy and time come from
``modelled_energy``, with the NeuroBench operation counts of ``rat_lava.deploy.counters``.
"""

from __future__ import annotations

import numpy as np

from rat_lava.deploy.counters import efficiency_of_outputs
from rat_lava.deploy.network import FoldedNetwork
from rat_lava.probes.activity import activity_from_outputs
from rat_lava.probes.cores import CoreLimits, map_to_cores
from rat_lava.probes.energy import EnergyModel, modelled_energy
from rat_lava.probes.report import ProbeReport


def probes_from_outputs(
    network: FoldedNetwork,
    outputs: dict[str, np.ndarray],
    backend: str,
    limits: CoreLimits | None = None,
    model: EnergyModel | None = None,
    step_time_s: float | None = None,
) -> ProbeReport:
    """Modelled probe report of a run of ``network`` from the outputs of its nodes.

    Args:
        outputs: (T, size) output of every node, ``"input"`` (the spike counts) included.
        backend: what produced the outputs ("folded", "sim-fixed", "sim-float").
        limits: per-core limits of the core map (default ``CoreLimits()``).
        model: per-operation energies and times (default ``EnergyModel()``).
        step_time_s: seconds per step to charge static power over (``network.step_s`` for a
            decoder throttled to real time); default: the modelled compute time per step.

    The NeuroBench ACs / MACs are counted on the same outputs.
    """
    core_map = map_to_cores(network, limits)
    activity = activity_from_outputs(network, core_map, outputs)
    ops = efficiency_of_outputs(network, outputs).total
    return ProbeReport(
        backend=backend,
        dt_s=network.step_s,
        substeps=network.substeps,
        read_delay=network.read_delay,
        activity=activity,
        energy=modelled_energy(activity, model, step_time_s, ops=ops),
        core_labels=tuple(core.label for core in core_map.cores),
        memory_utilization=np.full(len(core_map.cores), np.nan),
    )


def simulated_probes(
    network: FoldedNetwork,
    spikes: np.ndarray,
    limits: CoreLimits | None = None,
    model: EnergyModel | None = None,
    step_time_s: float | None = None,
) -> ProbeReport:
    """Modelled probe report of ``network`` decoding ``spikes`` (T bins, n_inputs) with its numpy
    forward pass (backend "folded"; every bin over its sub-steps); arguments as for
    ``probes_from_outputs``."""
    outputs = network.run(network.timing.to_steps(spikes)).outputs
    return probes_from_outputs(network, outputs, "folded", limits, model, step_time_s)
