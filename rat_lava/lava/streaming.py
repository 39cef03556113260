"""Step-by-step decoding through a live Lava simulation: one counts vector in, one output out.

An ``Injector`` feeds the graph and an ``Extractor`` collects its output, one message per time
step. Two ways to advance the simulation (``mode``):

- ``"continuous"``: one free-running run (``RunContinuous``). The Injector's receive blocks while
  its pipe is empty, so the whole network waits at each time step until ``step`` sends the next
  counts: the simulation advances in lock step with the host, and ``step`` costs one time step
  of the network plus two pipe transfers;
- ``"stepwise"``: one ``RunSteps(1)`` per call, which adds a runtime round trip (runtime ->
  service -> every model and back) to every step.

The output of step t depends on the inputs up to step t - L for a chain of L synapses (each
synapse adds one step), exactly as in a whole-sequence run.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from lava.magma.core.process.ports.ports import InPort, OutPort
from lava.magma.core.run_configs import RunConfig
from lava.proc.io.extractor import Extractor

from rat_lava.lava.io import check_counts, stream_injector
from rat_lava.lava.runtime import GuardedRuntime, ModelOverrides, SelectTag

StreamMode = Literal["continuous", "stepwise"]

STEP_TIMEOUT_S = 10.0
"""Default wall-clock limit of one ``step`` call, in seconds."""


class StreamingRun:
    """Feed counts one time step at a time and get the network output of that step.

    Parameters
    ----------
    graph_input:
        InPort of the network (e.g. the first synapse's ``s_in``), (num_channels,), or a list of
        InPorts that all take the counts.
    graph_output:
        OutPort of the network (e.g. the readout's ``s_out``), (num_outputs,).
    mode:
        ``"continuous"`` (lock-stepped free run) or ``"stepwise"`` (one RunSteps(1) per step).
    select_tag:
        ``"fixed_pt"`` or ``"floating_pt"``.
    model_overrides, run_cfg:
        Passed to ``GuardedRuntime`` (ProcessModels per Process class; another run config).
    step_timeout_s:
        Wall-clock limit of one ``step``; a stuck or failed simulation raises a
        ``LavaRuntimeError`` subclass and is stopped.

    Use as a context manager (or call ``close``).
    """

    def __init__(
        self,
        graph_input: InPort | list[InPort],
        graph_output: OutPort,
        *,
        mode: StreamMode = "continuous",
        select_tag: SelectTag = "fixed_pt",
        model_overrides: ModelOverrides | None = None,
        run_cfg: RunConfig | None = None,
        step_timeout_s: float = STEP_TIMEOUT_S,
    ) -> None:
        if mode not in ("continuous", "stepwise"):
            raise ValueError(f"mode must be 'continuous' or 'stepwise', got {mode!r}")
        inputs = graph_input if isinstance(graph_input, list) else [graph_input]
        self._num_channels = int(np.prod(inputs[0].shape))
        self._injector = stream_injector(self._num_channels)
        self._injector.out_port.connect(inputs)
        self._extractor = Extractor(shape=graph_output.shape, buffer_size=2)
        graph_output.connect(self._extractor.in_port)
        self._mode = mode
        self._step_timeout_s = step_timeout_s
        self._runtime = GuardedRuntime(
            self._injector, select_tag=select_tag, model_overrides=model_overrides, run_cfg=run_cfg
        )
        self._started = False
        self._steps = 0

    def __enter__(self) -> StreamingRun:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def runtime(self) -> GuardedRuntime:
        """The guarded runtime underneath (for reading Vars in ``"stepwise"`` mode)."""
        return self._runtime

    def start(self) -> None:
        """Compile and start the simulation (once)."""
        if self._started:
            return
        self._runtime.start()
        if self._mode == "continuous":
            self._runtime.run_continuous()
        self._started = True

    def step(self, counts: np.ndarray) -> np.ndarray:
        """Advance one time step with ``counts`` (num_channels,) non-negative integers and return
        the network output of that step (num_outputs,) (int in fixed_pt)."""
        counts = check_counts(np.reshape(counts, (-1,)), self._num_channels)
        self.start()
        self._injector.send(counts)
        self._steps += 1
        if self._mode == "stepwise":
            self._runtime.run(1, timeout_s=self._step_timeout_s)
        else:
            self._runtime.wait_for(
                self._extractor.out_port.external_pipe_csp_recv_port,
                self._step_timeout_s,
                f"time step {self._steps}",
            )
        return self._extractor.receive()

    def close(self) -> None:
        """Stop the simulation and release it (idempotent; never hangs)."""
        self._runtime.stop(nudge=self._release_step if self._mode == "continuous" else None)

    def _release_step(self) -> None:
        """Let a lock-stepped run finish the step it waits in, so that it sees the STOP."""
        pipe = self._injector.in_port.external_pipe_csp_send_port
        if pipe.probe():
            pipe.send(np.zeros(self._num_channels, dtype=np.int32))
