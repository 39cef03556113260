"""Per-core activity counters (the fields of lava-loihi's ``Loihi2Activity``) and how the
simulation produces them from the outputs of every node of a run.

Counting rules for a core map (``rat_lava.probes.cores``), per step:

* ``spikes_in``: spike messages arriving at the core: one per active source neuron (nonzero
  output: a binary spike or a nonzero graded payload) with at least one synapse into the
  core. The host's spike counts (``"input"``) arrive as messages like any other.
* ``syn_ops``: synaptic operations: for every active source neuron, its number of synapses
  into the core's neurons (NeuroBench's effective operations, per core).
* ``dendrite_updates``: neuron updates: every neuron of the core, every step (Loihi updates
  all compartments each time step; an assumption for Loihi 2's microcoded neurons).
* ``axon_out``: spike messages sent by the core: for every active neuron of the core, the
  number of cores its synapses reach. Outputs read by the host (the readout) are not counted,
  so summed over cores, ``axon_out`` equals ``spikes_in`` minus the host's input messages.

Every count is attributed to the step in which the source neuron emits (a synapse delivers it
one step later in Lava; run totals are the same). Coincidence neurons of an attention product
are not a node of ``FoldedNetwork.run``; their spikes are recomputed from the q, k, v spikes
(AND of the three inputs) and placed ``product.delay - 1`` steps later (the decomposition's
timing, ``DECOMPOSED_DELAY`` = 2); those of the last such steps fall beyond the run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rat_lava.deploy.network import INPUT, AttentionProduct, FoldedNetwork
from rat_lava.probes.cores import CoreMap
from rat_lava.probes.groups import COINCIDENCE_SUFFIX, network_groups

COUNTERS = ("syn_ops", "dendrite_updates", "axon_out", "spikes_in")
"""The counter fields of ``CoreActivity`` (names of lava-loihi's ``Loihi2Activity``)."""

_CHUNK_ELEMENTS = 1 << 22
"""Bound on (steps x neurons) of one chunk of recomputed coincidence spikes."""


@dataclass(frozen=True)
class CoreActivity:
    """Activity counters per neuro core over a run of ``num_steps`` steps.

    Each counter is int64, either per step, shape (num_steps, cores), or the run's total per
    core, shape (cores,) (what the hardware profiler returns). Counts are events (messages,
    operations, neuron updates), not rates.

    Attributes:
        core_idx: int64 (cores,), core number on its chip.
        chip_idx: int64 (cores,), chip number.
        syn_ops, dendrite_updates, axon_out, spikes_in: see ``rat_lava.probes.activity``.
        num_steps: time steps of the run.
    """

    core_idx: np.ndarray
    chip_idx: np.ndarray
    syn_ops: np.ndarray
    dendrite_updates: np.ndarray
    axon_out: np.ndarray
    spikes_in: np.ndarray
    num_steps: int

    def __post_init__(self) -> None:
        cores = self.core_idx.shape
        if self.core_idx.ndim != 1 or self.chip_idx.shape != cores:
            raise ValueError("core_idx and chip_idx must be 1-D arrays of the same length")
        if self.num_steps < 1:
            raise ValueError(f"num_steps must be >= 1, got {self.num_steps}")
        shapes = {getattr(self, name).shape for name in COUNTERS}
        if len(shapes) != 1 or shapes.pop() not in (cores, (self.num_steps, *cores)):
            raise ValueError(
                f"counters must all be ({cores[0]},) totals or ({self.num_steps}, {cores[0]}) "
                "per step"
            )

    @property
    def cores(self) -> int:
        """Number of cores."""
        return int(self.core_idx.size)

    @property
    def per_step(self) -> bool:
        """True when the counters are per step (num_steps, cores)."""
        return self.syn_ops.ndim == 2

    def totals(self) -> CoreActivity:
        """The same activity with every counter summed over the run, shape (cores,)."""
        if not self.per_step:
            return self
        summed = {name: getattr(self, name).sum(axis=0) for name in COUNTERS}
        return CoreActivity(self.core_idx, self.chip_idx, num_steps=self.num_steps, **summed)


def coincidence_spikes(
    q: np.ndarray, k: np.ndarray, v: np.ndarray, product: AttentionProduct
) -> np.ndarray:
    """Spikes (T, coincidence neurons), bool, of ``product``'s coincidence group for its q, k, v
    spikes (T, size): neuron (h, n, m, i, j), in that C order as in
    ``decomposition_wiring``, fires when q[n, h, i], k[m, h, i] and v[m, h, j] all spiked."""
    shape = (q.shape[0], product.tokens, product.heads, product.head_features)
    q, k, v = ((x.reshape(shape) != 0).transpose(0, 2, 1, 3) for x in (q, k, v))  # (T, H, N, d)
    fired = q[:, :, :, None, :, None] & k[:, :, None, :, :, None] & v[:, :, None, :, None, :]
    return fired.reshape(shape[0], -1)


def _active_chunks(network: FoldedNetwork, outputs: dict[str, np.ndarray], source: str):
    """Chunks (first step, active (steps, size) bool) of the outputs of node ``source``."""
    if not source.endswith(COINCIDENCE_SUFFIX):
        yield 0, outputs[source] != 0
        return
    product = next(p for p in network.products if p.name + COINCIDENCE_SUFFIX == source)
    shift = max(product.delay - 1, 0)
    steps = outputs[INPUT].shape[0] - shift
    chunk = max(1, _CHUNK_ELEMENTS // (product.size * product.tokens * product.head_features))
    for s0 in range(0, steps, chunk):
        qkv = (outputs[name][s0 : min(s0 + chunk, steps)] for name in product.inputs)
        yield s0 + shift, coincidence_spikes(*qkv, product)


def activity_from_outputs(
    network: FoldedNetwork, core_map: CoreMap, outputs: dict[str, np.ndarray]
) -> CoreActivity:
    """Per-step activity (num_steps, cores) of ``network`` placed as in ``core_map``.

    Args:
        network: the network that was run.
        core_map: ``map_to_cores(network, ...)``.
        outputs: (T, size) output of every node, ``"input"`` included, as returned by
            ``FoldedNetwork.run(spikes).outputs`` (or recorded from an equivalent Lava run).
    """
    groups = network_groups(network)
    steps = outputs[INPUT].shape[0]
    n_cores = len(core_map.cores)
    core_of = {g.name: core_map.cores_of(g.name) for g in groups}
    counters = {name: np.zeros((steps, n_cores), dtype=np.int64) for name in COUNTERS}
    # fan[src] = list of (core index, synapses per source neuron into that core)
    fan: dict[str, list[tuple[int, np.ndarray]]] = {}
    for group in groups:
        for core in core_of[group.name]:
            counters["dendrite_updates"][:, core.index] = core.neurons
            for item in group.inputs:
                per_source = np.asarray(item.synapses[core.start : core.stop].sum(axis=0))
                fan.setdefault(item.src, []).append((core.index, per_source.reshape(-1)))
    for src, targets in fan.items():
        # one matrix product per chunk: columns = synapses into each target core, whether a
        # source neuron reaches it, and per core of the source the cores its neurons reach
        reached = sum((synapses > 0).astype(np.int64) for _, synapses in targets)
        own = [] if src == INPUT else core_of[src]
        columns = [synapses for _, synapses in targets]
        columns += [synapses > 0 for _, synapses in targets]
        for core in own:
            mask = np.zeros_like(reached)
            mask[core.start : core.stop] = 1
            columns.append(reached * mask)
        per_neuron = np.stack(columns, axis=1).astype(np.float64)  # exact: integers < 2**53
        where = [("syn_ops", index) for index, _ in targets]
        where += [("spikes_in", index) for index, _ in targets]
        where += [("axon_out", core.index) for core in own]
        for t0, active in _active_chunks(network, outputs, src):
            rows = slice(t0, t0 + active.shape[0])
            counts = np.rint(active.astype(np.float64) @ per_neuron).astype(np.int64)
            for column, (name, index) in enumerate(where):
                counters[name][rows, index] += counts[:, column]
    return CoreActivity(
        core_idx=np.array(
            [c.index % core_map.limits.cores_per_chip for c in core_map.cores], dtype=np.int64
        ),
        chip_idx=np.array([c.chip for c in core_map.cores], dtype=np.int64),
        num_steps=steps,
        **counters,
    )
