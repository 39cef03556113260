"""Assignment of neuron groups and their input synapses to Loihi 2 neuro cores.

The allocator follows what Lava's Loihi compiler is described to do (an unconstrained core per
process, divided until every per-core constraint holds; OzU-CAST/LoihiScalingEfficiency
README), deterministically: groups in execution order (``rat_lava.probes.groups``), cores
numbered consecutively, no core shared by two groups. A group is cut into the smallest number
k of contiguous, near-equal slices (``numpy.array_split``) such that every slice respects the
per-core limits on neurons, synaptic memory (nonzero input synapses of its neurons, recurrent
ones included) and distinct neuron profiles. Core c sits on chip c // cores_per_chip.

Where no k works because one neuron's fan-in alone exceeds a core's synaptic memory, the group
is split under the other limits only and a warning names it; a warning also says when the
network needs more than one chip.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rat_lava.deploy.network import FoldedNetwork
from rat_lava.probes.groups import NeuronGroup, network_groups


@dataclass(frozen=True)
class CoreLimits:
    """Per-core and per-chip capacity of Loihi 2 used by the allocator (all configurable).

    Attributes:
        neurons: neurons per neuro core. Default 8192: Loihi 2 has up to 8192 neurons per core
            (Intel's Loihi 2 brief, 2021; 128 cores x 8192 = the ~1M neurons per chip).
        synapses: synaptic memory per core, in synapses (nonzero weights). Default 937,500 =
            the ~120M synapses per chip of Intel's Loihi 2 brief spread over 128 cores. That
            figure is the chip's maximum with its densest synapse encoding; 8-bit dense
            weights fit fewer (Lava's compiler logs in lava-dl's PilotNet tutorials report a
            per-core 'SynMem' budget of 12000 memory words), so lower it for a stricter check.
        profiles: distinct neuron profiles (here: distinct (current_decay, voltage_decay)
            pairs) per core. Default 32 is an ASSUMPTION: Loihi 1 allows 32 compartment
            profiles per core (nengo-loihi, ``hardware/nxsdk_objects.py``,
            MAX_COMPARTMENT_CFGS); Intel publishes no such figure for Loihi 2.
        cores_per_chip: neuro cores per Loihi 2 chip, 128 (Intel's Loihi 2 brief).
    """

    neurons: int = 8192
    synapses: int = 120_000_000 // 128
    profiles: int = 32
    cores_per_chip: int = 128

    def __post_init__(self) -> None:
        for name in ("neurons", "synapses", "profiles", "cores_per_chip"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"CoreLimits.{name} must be a positive integer")


@dataclass(frozen=True)
class Core:
    """One neuro core: a contiguous slice [start, stop) of one group's neurons.

    Attributes:
        index: core number (0 .. cores - 1), in allocation order.
        chip: chip number, index // cores_per_chip.
        group: name of the neuron group.
        start, stop: neuron indices of the slice within the group.
        synapses: nonzero input synapses of the slice's neurons (recurrent ones included).
        profiles: distinct neuron profiles in the slice.
    """

    index: int
    chip: int
    group: str
    start: int
    stop: int
    synapses: int
    profiles: int

    @property
    def neurons(self) -> int:
        """Neurons on the core."""
        return self.stop - self.start

    @property
    def label(self) -> str:
        """``group[start:stop]``."""
        return f"{self.group}[{self.start}:{self.stop}]"


@dataclass(frozen=True)
class CoreMap:
    """Result of ``map_to_cores``: the cores in order, the limits used, and warnings."""

    cores: tuple[Core, ...]
    limits: CoreLimits
    warnings: tuple[str, ...]

    @property
    def chips(self) -> int:
        """Chips needed (at least 1)."""
        return max(1, -(-len(self.cores) // self.limits.cores_per_chip))

    def cores_of(self, group: str) -> list[Core]:
        """The cores holding ``group``, in neuron order."""
        return [core for core in self.cores if core.group == group]


def _slices(group: NeuronGroup, k: int) -> list[np.ndarray]:
    """Neuron indices of the k contiguous near-equal slices of ``group``."""
    return np.array_split(np.arange(group.size), k)


def _split(group: NeuronGroup, limits: CoreLimits, check_synapses: bool) -> list[np.ndarray]:
    """Smallest split of ``group`` into contiguous near-equal slices that respects the limits."""
    fan_in = group.fan_in()
    k = max(
        1,
        -(-group.size // limits.neurons),
        -(-int(fan_in.sum()) // limits.synapses) if check_synapses else 1,
        -(-np.unique(group.profiles).size // limits.profiles),
    )
    while True:
        parts = _slices(group, k)
        fits = all(
            part.size <= limits.neurons
            and np.unique(group.profiles[part]).size <= limits.profiles
            and (not check_synapses or int(fan_in[part].sum()) <= limits.synapses)
            for part in parts
        )
        if fits or k == group.size:
            return parts
        k += 1


def map_to_cores(network: FoldedNetwork, limits: CoreLimits | None = None) -> CoreMap:
    """Assign every neuron group of ``network`` to neuro cores (see the module docstring)."""
    limits = limits or CoreLimits()
    cores: list[Core] = []
    warnings: list[str] = []
    for group in network_groups(network):
        fan_in = group.fan_in()
        widest = int(fan_in.max(initial=0))
        fits = widest <= limits.synapses
        if not fits:
            warnings.append(
                f"neuron group {group.name} cannot fit: a neuron has {widest} input synapses, more "
                f"than the {limits.synapses} of a core's synaptic memory"
            )
        for part in _split(group, limits, check_synapses=fits):
            index = len(cores)
            cores.append(
                Core(
                    index=index,
                    chip=index // limits.cores_per_chip,
                    group=group.name,
                    start=int(part[0]),
                    stop=int(part[-1]) + 1,
                    synapses=int(fan_in[part].sum()),
                    profiles=int(np.unique(group.profiles[part]).size),
                )
            )
    if len(cores) > limits.cores_per_chip:
        chips = -(-len(cores) // limits.cores_per_chip)
        warnings.append(
            f"the network needs {len(cores)} cores, more than the {limits.cores_per_chip} of "
            f"one chip: it spans {chips} chips"
        )
    return CoreMap(cores=tuple(cores), limits=limits, warnings=tuple(warnings))


def format_core_table(core_map: CoreMap) -> str:
    """Cores used and per-core neurons, synapses and profiles as text (``info --cores``).

    Cores over a limit are marked with ``!``; warnings follow the totals.
    """
    limits = core_map.limits
    lines = [f"{'core':>5} {'chip':>4}  {'slice':<28} {'neurons':>8} {'synapses':>10} {'prof':>5}"]
    for core in core_map.cores:
        over = (
            core.neurons > limits.neurons
            or core.synapses > limits.synapses
            or core.profiles > limits.profiles
        )
        lines.append(
            f"{core.index:>5} {core.chip:>4}  {core.label:<28} {core.neurons:>8} "
            f"{core.synapses:>10} {core.profiles:>5}{' !' if over else ''}"
        )
    neurons = sum(core.neurons for core in core_map.cores)
    synapses = sum(core.synapses for core in core_map.cores)
    lines.append(
        f"cores used: {len(core_map.cores)} on {core_map.chips} chip(s); "
        f"{neurons} neurons, {synapses} synapses"
    )
    lines.append(
        f"limits per core: {limits.neurons} neurons, {limits.synapses} synapses, "
        f"{limits.profiles} profiles; {limits.cores_per_chip} cores per chip"
    )
    lines.extend(f"warning: {text}" for text in core_map.warnings)
    return "\n".join(lines)
