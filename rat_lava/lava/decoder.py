"""``LavaDecoder``: spike counts in, velocity out, through a Lava run of the deployed network.

One interface for every backend, with the same outputs and shapes:

- ``"sim-fixed"``: Lava's CPU simulator with the bit-accurate ``fixed_pt`` models; equals the
  quantized model, ``FoldedNetwork.run`` and ``rat_lava.reference.deployed`` bit for bit;
- ``"sim-float"``: the simulator's ``floating_pt`` models with the network's float parameters
  (no 1/4096 grid, no 24-bit limits);
- ``"loihi2"``: Loihi 2 through Lava's ``Loihi2HwCfg``; needs Intel's lava-loihi extension.

Timing: the network steps ``substeps`` times per data bin (``rat_lava.deploy.timing``): a bin's
counts are spread over its sub-steps and the velocity of row t of ``decode`` is what the readout
sends ``read_delay`` steps after bin t's last sub-step, the network's estimate for bin t. An
input reaches the readout ``latency_steps`` steps later (one step per synapse on the longest path
plus the attention delay; 8 steps = 40 ms for the small preset with its default 5 ms step at
50 ms bins, 32 ms at 4 ms bins); trained networks read one latency after the bin, so every spike
of the bin counts and none of a later one. The model was trained with exactly that alignment,
so nothing is shifted in time beyond Lava's own one-step offset: the source sends step s at Lava
step s + 1 and what the readout sends at that step is returned as step s. Streaming, ``step``
returns the velocity read during the bin it was given, that of the bin ``lag_bins`` calls back
(for a network read one latency after the bin: one bin back at 50 ms bins, 8 at 4 ms). ``decode``
and ``step`` give the same rows (``step``'s shifted by ``lag_bins``), and both equal the model's
outputs. Velocities are in data units (model output times ``velocity_scale``).

Outputs leave the run through one ``Recorder`` process (``rat_lava.lava.processes.recorder``)
that collects every recorded port, so recording more ports adds no Lava process. Probes
(``probes=True``, whole-sequence runs): in simulation it records what every leaf sent at every
step (the source's counts, every population's spikes, the readout, every attention product) and
``rat_lava.probes.probes_from_outputs`` counts per-core activity on those recorded outputs and
models energy and time; on ``loihi2``, lava-loihi's profilers are attached to the run and give
measured numbers (``rat_lava.probes.loihi2``). Either way ``.probes`` holds the ``ProbeReport``
of the last run.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rat_lava.deploy.graph import MAX_INPUT_COUNT, LavaGraph
from rat_lava.deploy.network import INPUT, FoldedNetwork
from rat_lava.deploy.timing import BinTiming
from rat_lava.errors import DataError
from rat_lava.lava.builder import build, check_network_model, model_overrides
from rat_lava.lava.choices import BACKENDS, Backend, NetworkModel
from rat_lava.lava.errors import BackendUnavailableError
from rat_lava.lava.io import check_counts, counts_source, receive_all
from rat_lava.lava.processes.attention.models import attention_run_config_overrides
from rat_lava.lava.processes.recorder.models import recorder_overrides
from rat_lava.lava.processes.recorder.process import Recorder
from rat_lava.lava.runtime import GuardedRuntime, ModelOverrides
from rat_lava.lava.streaming import StreamingRun
from rat_lava.probes.cores import CoreLimits
from rat_lava.probes.energy import EnergyModel
from rat_lava.probes.loihi2 import Loihi2Profilers, loihi2_callbacks, report_from_profilers
from rat_lava.probes.report import ProbeReport
from rat_lava.probes.simulated import probes_from_outputs

NODES = "fused:nodes_out"
"""Key of a FusedNetwork's ``nodes_out`` among the recorded ports (not a node name: node names
are layer, population and product names, and a population is a layer or ``core``)."""

CHUNK_STEPS = 1000
"""A whole-sequence decode runs in chunks of about this many network steps and empties its
output buffers after each, so memory does not grow with the sequence length."""

FUSED_BLOCK_STEPS = 100
"""Network steps the FusedNetwork advances per Lava time step in a whole-sequence decode
(streaming: one bin's sub-steps); Lava's per-step handshake is then paid once per block."""

LAVA_LOIHI_MISSING = (
    "backend 'loihi2' needs Intel's lava-loihi extension, which is not installed in this Python "
    "environment; it is available only to members of the Intel Neuromorphic Research Community "
    "(INRC), who download it from the INRC and install it next to lava-nc"
)


@dataclass
class Decoded:
    """Result of ``LavaDecoder.record``.

    velocity: (T, 2) in data units, row t = bin t. spikes: spikes per bin (T,) of every spiking
    layer (summed over the bin's sub-steps), by the layer names of the FoldedNetwork. outputs:
    with simulation probes, the (T * substeps + read_delay, size) output of every network node
    (``"input"``, layers, products) at every network step, as recorded from the run, else empty.
    probes: the run's ``ProbeReport`` when probes are on. timing: wall-clock seconds of the run,
    ``start_s`` (build, compile, start), ``run_s`` (stepping), ``probe_s`` (counting probes),
    ``total_s`` (all, stop included), ``steps_per_s`` (network steps / run_s) and
    ``bins_per_s`` (bins / run_s).
    """

    velocity: np.ndarray
    spikes: dict[str, np.ndarray]
    outputs: dict[str, np.ndarray] = field(default_factory=dict)
    probes: ProbeReport | None = None
    timing: dict[str, float] = field(default_factory=dict)


class LavaDecoder:
    """Decode velocity from spike counts with a deployed RAT network run in Lava.

    Parameters
    ----------
    network:
        A ``.net`` file written by ``rat-lava export`` or a ``FoldedNetwork``.
    backend:
        ``"sim-fixed"`` (default), ``"sim-float"`` or ``"loihi2"``.
    attention_model:
        ProcessModel of the attention product: ``"fused"`` (default in simulation) or
        ``"decomposed"`` (Loihi-native leaves; default on ``loihi2``).
    network_model:
        ``"leaves"`` (default): the network as standard Lava leaves, what maps onto Loihi 2;
        ``"fused"`` (``sim-fixed`` only): the whole network as one ``FusedNetwork`` CPU process,
        bit-exact with the leaves and several times faster (``attention_model`` then does not
        apply).
    block_steps:
        Network steps per Lava time step when the fused network decodes a whole sequence
        (default ``FUSED_BLOCK_STEPS``; 1 pays Lava's per-step handshake every step); streaming
        always advances one bin's sub-steps per Lava step.
    velocity_scale:
        (2,) data units per model unit; default: the file's ``velocity_scale``, else 1.
    timeout_s:
        Wall-clock limit of one chunk of ``decode`` and of one ``step``, in seconds (default:
        ``GuardedRuntime`` and ``StreamingRun`` limits). A Lava error or a stuck run ends with a
        ``LavaRuntimeError`` and all Lava processes stopped.
    overrides:
        Further ProcessModel choices (Process class -> ProcessModel class) for the simulator.
    probes:
        Record per-core activity, energy and time of every ``decode`` / ``record`` run into
        ``.probes`` (see the module docstring); ``step`` is not probed.
    core_limits, energy_model:
        Per-core limits of the core map and per-operation constants of the energy model used
        by simulation probes (defaults ``CoreLimits()``, ``EnergyModel()``).

    ``step`` keeps one simulation running between calls; ``reset`` or ``close`` ends it (use the
    decoder as a context manager).
    """

    def __init__(
        self,
        network: str | os.PathLike | FoldedNetwork,
        backend: Backend = "sim-fixed",
        *,
        attention_model: str | None = None,
        network_model: NetworkModel = "leaves",
        block_steps: int = FUSED_BLOCK_STEPS,
        velocity_scale: np.ndarray | None = None,
        timeout_s: float | None = None,
        overrides: ModelOverrides | None = None,
        probes: bool = False,
        core_limits: CoreLimits | None = None,
        energy_model: EnergyModel | None = None,
    ) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
        check_network_model(network_model)
        if network_model == "fused" and backend != "sim-fixed":
            raise DataError(
                f"the fused network model runs in the backend 'sim-fixed' only, not {backend!r}"
            )
        if isinstance(block_steps, bool) or not isinstance(block_steps, int) or block_steps < 1:
            raise DataError(f"block_steps must be a positive integer, got {block_steps!r}")
        if block_steps != FUSED_BLOCK_STEPS and network_model != "fused":
            raise DataError("block_steps applies to network_model='fused' only")
        if backend == "loihi2" and not _lava_loihi_installed():
            raise BackendUnavailableError(LAVA_LOIHI_MISSING)
        card: dict = {}
        if not isinstance(network, FoldedNetwork):
            from rat_lava.export.netfile import read_net

            net_file = read_net(Path(network))
            network, card = net_file.network, net_file.card
        self.card = card
        """The model card of the .net file (empty for a network given in memory)."""
        self.backend = backend
        self.network_model = network_model
        self.block_steps = block_steps
        self.attention_model = attention_model or ("decomposed" if backend == "loihi2" else "fused")
        precision = "float" if backend == "sim-float" else "fixed"
        self.graph = LavaGraph.from_network(network, precision)
        scale = velocity_scale if velocity_scale is not None else card.get("velocity_scale", 1.0)
        self.velocity_scale = np.broadcast_to(np.asarray(scale, dtype=np.float64), (2,)).copy()
        if backend == "loihi2":  # the CPU speed-ups of model_overrides do not apply on the chip
            chosen = attention_run_config_overrides(self.attention_model)
        else:
            chosen = model_overrides(self.graph, self.attention_model)
        self._models = {**chosen, **(overrides or {})}
        self._timeout_s = timeout_s
        self._stream: StreamingRun | None = None
        self._probing = probes
        self._core_limits = core_limits
        self._energy_model = energy_model
        self.probes: ProbeReport | None = None
        """Probe report of the last ``decode`` / ``record`` run (with ``probes=True``)."""
        self.timing: dict[str, float] = {}
        """Wall-clock timing of the last ``decode`` / ``record`` run (see ``Decoded``)."""

    @property
    def network(self) -> FoldedNetwork:
        """The deployed network."""
        return self.graph.network

    @property
    def n_channels(self) -> int:
        """Input channels the network expects."""
        return self.graph.n_inputs

    @property
    def latency_steps(self) -> int:
        """Steps from an input bin to the first velocity it affects (see the module docstring)."""
        return self.network.latency_steps

    @property
    def timing_of_bins(self) -> BinTiming:
        """How a data bin maps onto network steps (``substeps`` Lava steps per bin)."""
        return self.network.timing

    def decode(self, spikes: np.ndarray) -> np.ndarray:
        """Velocity (T, 2) for spike counts (T, C) per bin, one whole-sequence Lava run of
        T * substeps + read_delay steps (each bin's counts spread over its sub-steps, its
        velocity read ``read_delay`` steps after its last; ``rat_lava.deploy.timing``)."""
        return self._run_sequence(spikes, record=False).velocity

    def record(self, spikes: np.ndarray) -> Decoded:
        """Like ``decode``, and also the spikes per step of every spiking layer."""
        return self._run_sequence(spikes, record=True)

    def step(self, counts: np.ndarray) -> np.ndarray:
        """Streaming (the run keeps its state): the next bin's counts (C,) in, one velocity (2,)
        out, read during this bin's ``substeps`` Lava steps: the velocity of the bin
        ``lag_bins`` calls back (``rat_lava.deploy.timing``; 0 for a network read within the
        bin). The first ``lag_bins`` calls return what the network sends before it has read a
        bin. So ``step`` over bins 0..T-1 returns ``decode``'s rows shifted by ``lag_bins``."""
        timing = self.timing_of_bins
        counts = timing.spread(self._check(np.reshape(counts, (1, -1))))
        fused = self.network_model == "fused"  # one Lava step per bin, else one per sub-step
        if self._stream is None:
            built = build(self.graph, self.network_model, timing.substeps if fused else 1)
            limit = {} if self._timeout_s is None else {"step_timeout_s": self._timeout_s}
            self._stream = StreamingRun(built.inputs, built.output, **self._runtime_args(), **limit)
        if fused:
            readout = self._stream.step(counts.reshape(-1)).reshape(timing.substeps, -1)
        else:
            readout = np.stack([self._stream.step(row) for row in counts])
        return self._velocity(readout[timing.stream_substep][None])[0]

    @property
    def lag_bins(self) -> int:
        """Bins by which ``step``'s velocities trail its input (``BinTiming.lag_bins``)."""
        return self.timing_of_bins.lag_bins

    def reset(self) -> None:
        """End the streaming run; the next ``step`` starts from the initial state."""
        if self._stream is not None:
            stream, self._stream = self._stream, None
            stream.close()

    def close(self) -> None:
        """Stop every Lava process this decoder started (idempotent)."""
        self.reset()

    def __enter__(self) -> LavaDecoder:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _check(self, spikes: np.ndarray) -> np.ndarray:
        """Counts (T, C) as int32, or a DataError naming the problem."""
        array = np.asarray(spikes)
        if array.ndim != 2:
            raise DataError(f"spike counts must be a (T, C) array, got shape {array.shape}")
        if array.shape[1] != self.n_channels:
            raise DataError(
                f"the network expects {self.n_channels} channels, the counts have {array.shape[1]}"
            )
        counts = check_counts(array)
        if counts.size and counts.max() > MAX_INPUT_COUNT:
            raise DataError(
                f"a bin holds {counts.max()} spikes; the network's graded input carries at most "
                f"{MAX_INPUT_COUNT} per channel and bin"
            )
        return counts

    def _run_sequence(self, spikes: np.ndarray, record: bool) -> Decoded:
        timing = self.timing_of_bins
        bins = self._check(spikes)
        if len(bins) == 0:
            return Decoded(np.zeros((0, 2)), {})
        counts = timing.to_steps(bins)
        steps = counts.shape[0]
        began = time.perf_counter()
        built = build(self.graph, self.network_model, self._sequence_block(steps))
        block = built.block
        lava_steps = -(-steps // block)
        padded = np.zeros((lava_steps * block, counts.shape[1]), counts.dtype)
        padded[:steps] = counts  # zeros after the end change nothing before it
        source = counts_source(padded.reshape(lava_steps, -1))
        source.s_out.connect(built.inputs)
        profilers = None
        if self._probing and self.backend == "loihi2":
            profilers = loihi2_callbacks(steps)
        probe_outputs = self._probing and profilers is None
        # the profilers measure one run: no chunks then (buffers of T messages)
        chunk = lava_steps if profilers else min(lava_steps, max(1, CHUNK_STEPS // block))
        ports = {self.graph.readout: built.output}
        if (record or probe_outputs) and built.fused is not None:
            ports[NODES] = built.fused.nodes_out
        elif record or probe_outputs:
            ports.update(built.spikes)
            if probe_outputs:
                ports.update(built.products)
        if probe_outputs:
            ports[INPUT] = source.s_out
        recorder = Recorder(sizes=[port.shape[0] for port in ports.values()], buffer_size=chunk)
        for port, recorded in zip(ports.values(), recorder.inputs, strict=True):
            port.connect(recorded)
        pieces: list[np.ndarray] = []
        run_s = 0.0
        models = recorder_overrides(recorder, self._select_tag)
        with GuardedRuntime(source, **self._runtime_args(profilers, models)) as runtime:
            start_s = time.perf_counter() - began
            for start in range(0, lava_steps, chunk):
                n = min(chunk, lava_steps - start)
                stepping = time.perf_counter()
                runtime.run(n, timeout_s=self._timeout_s)
                run_s += time.perf_counter() - stepping
                pieces.append(receive_all(recorder, n))
        messages = recorder.split(np.concatenate(pieces))  # (Lava steps, block * size) each
        unblocked = (m.reshape(lava_steps * block, -1)[:steps] for m in messages)
        sent = dict(zip(ports, unblocked, strict=True))
        if NODES in sent:
            sent.update(built.split_nodes(sent.pop(NODES)))
        probing = time.perf_counter()
        outputs = self.graph.node_outputs(sent) if probe_outputs else {}
        if profilers is not None:
            self.probes = report_from_profilers(
                *profilers,
                num_steps=steps,
                dt_s=self.network.step_s,
                substeps=self.network.substeps,
                read_delay=self.network.read_delay,
            )
        elif probe_outputs:
            self.probes = probes_from_outputs(
                self.network, outputs, self.backend, self._core_limits, self._energy_model
            )
        done = time.perf_counter()
        self.timing = {
            "start_s": start_s,
            "run_s": run_s,
            "probe_s": done - probing,
            "total_s": done - began,
            "steps_per_s": steps / run_s,
            "bins_per_s": len(bins) / run_s,
        }
        layer_spikes = self.graph.layer_spikes(sent) if record else {}
        return Decoded(
            velocity=self._velocity(timing.to_bins(sent[self.graph.readout])),
            spikes={name: timing.bin_sums(counts) for name, counts in layer_spikes.items()},
            outputs=outputs,
            probes=self.probes if self._probing else None,
            timing=self.timing,
        )

    def _sequence_block(self, steps: int) -> int:
        """Network steps per Lava step of a whole-sequence run: ``block_steps`` (at most
        ``steps``) for the fused network, 1 for leaves."""
        return min(self.block_steps, steps) if self.network_model == "fused" else 1

    def _velocity(self, readout: np.ndarray) -> np.ndarray:
        return self.graph.velocity(readout) * self.velocity_scale

    @property
    def _select_tag(self) -> str:
        """Lava tag of the models: floating_pt for sim-float, else fixed_pt."""
        return "floating_pt" if self.backend == "sim-float" else "fixed_pt"

    def _runtime_args(
        self, profilers: Loihi2Profilers | None = None, models: ModelOverrides | None = None
    ) -> dict:
        """How GuardedRuntime (and StreamingRun) compile: the simulator or Loihi 2 (with
        lava-loihi's ``profilers`` attached, if given), with further ProcessModel ``models``."""
        models = {**self._models, **(models or {})}
        if self.backend == "loihi2":
            from lava.magma.core.run_configs import Loihi2HwCfg

            callbacks = profilers.callback_fxs if profilers is not None else None
            return {"run_cfg": Loihi2HwCfg(exception_proc_model_map=models, callback_fxs=callbacks)}
        return {"select_tag": self._select_tag, "model_overrides": models}


def _lava_loihi_installed() -> bool:
    """True when Intel's lava-loihi extension can be imported (Lava's own check)."""
    from lava.utils.loihi import is_installed

    return is_installed()
