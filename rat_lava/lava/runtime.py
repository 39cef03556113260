"""Run Lava process graphs in the CPU simulator so that no failure becomes a hang.

Lava 0.10.0 runs every leaf ProcessModel in its own forked OS process and steps them in lock
step through one runtime service per sync domain (``lava/magma/runtime/runtime.py``,
``runtime_services/runtime_service.py``). Its failure handling, measured here (see
``docs/lava_notes.md``):

- a model that raises in ``run_spk`` sends ERROR to its runtime service and exits; the service
  then waits (blocking ``recv``, no timeout) for the response of *every* model of that phase.
  If any model is itself waiting for a message from the failed one (anything downstream of it),
  ``Process.run`` blocks forever;
- if the service does collect all responses, ``Process.run`` raises a bare
  ``RuntimeError("1 Exception(s) occurred. See output above for details.")`` (the child's
  message is only logged at INFO level), and a later ``Process.stop`` blocks forever, because
  the service has already exited;
- ``Runtime.__del__`` calls ``stop()``, so a broken runtime can also hang the interpreter exit.

``GuardedRuntime`` therefore never blocks on a Lava channel that might stay empty: it waits on
the runtime's response ports with an event and a deadline, watches the child processes while it
waits, and on any failure kills the children, releases the runtime's shared memory and raises
one ``LavaRuntimeError`` subclass that names the failed process and its exception.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Literal

import numpy as np
from lava.magma.compiler.channels.pypychannel import CspRecvPort
from lava.magma.core.model.model import AbstractProcessModel
from lava.magma.core.process.message_interface_enum import ActorType
from lava.magma.core.process.process import AbstractProcess
from lava.magma.core.process.variable import Var
from lava.magma.core.run_conditions import AbstractRunCondition, RunContinuous, RunSteps
from lava.magma.core.run_configs import Loihi2SimCfg, RunConfig
from lava.magma.runtime.mgmt_token_enums import MGMT_COMMAND, MGMT_RESPONSE, enum_equal
from lava.magma.runtime.runtime import Runtime

from rat_lava.lava.errors import LavaProcessError, LavaRuntimeError, LavaTimeoutError
from rat_lava.lava.processes.io.models import IO_MODELS

SelectTag = Literal["fixed_pt", "floating_pt"]
ModelOverrides = Mapping[type[AbstractProcess], type[AbstractProcessModel]]

MIN_RUN_TIMEOUT_S = 30.0
"""Smallest default wall-clock limit of one ``run`` call, in seconds."""

STEP_TIMEOUT_S = 0.25
"""Default wall-clock allowance per simulated time step, in seconds (a 7-layer chain needs about
3 ms per step on 2 shared cores; the margin covers heavily loaded machines)."""

START_TIMEOUT_S = 120.0
"""Default limit for starting the simulator's child processes, in seconds."""

STOP_TIMEOUT_S = 10.0
"""Default limit for a clean stop before the child processes are killed, in seconds."""

POLL_S = 0.05
"""How often a waiting call checks the child processes, in seconds."""


def sim_run_config(
    select_tag: SelectTag = "fixed_pt", model_overrides: ModelOverrides | None = None
) -> Loihi2SimCfg:
    """Run configuration of the CPU simulator for ``select_tag``.

    Adds tagged models for Lava's Injector and Extractor (see ``processes/io/models.py``), which
    the stock selector cannot choose once a tag is set, and ``model_overrides`` (Process class ->
    ProcessModel class, e.g. ``attention_run_config_overrides("decomposed")``).
    """
    if select_tag not in IO_MODELS:
        raise ValueError(f"select_tag must be one of {sorted(IO_MODELS)}, got {select_tag!r}")
    models = {**IO_MODELS[select_tag], **(model_overrides or {})}
    return Loihi2SimCfg(select_tag=select_tag, exception_proc_model_map=models)


HOST_WATCH_S = 0.5
"""How often a forked Lava child checks that the host process is still alive, in seconds."""

_watched_host_pid: int | None = None
"""Process id of the host while it forks Lava's children (else None)."""


def _exit_when_host_dies(host_pid: int) -> None:
    """Kill this (child) process once ``host_pid`` is no longer its parent."""
    while os.getppid() == host_pid:
        time.sleep(HOST_WATCH_S)
    os.kill(os.getpid(), signal.SIGKILL)


def _watch_host_after_fork() -> None:
    """Fork hook: a child forked while Lava starts ends itself when the host process dies.

    A host killed by SIGKILL cannot stop its children; without this they stay blocked on their
    channels forever, holding the runtime's shared memory (measured: 20 orphans after
    ``kill -9`` of ``rat-lava run``). Their death also lets multiprocessing's resource tracker
    unlink the shared memory. Lava forks from a worker thread that ends after start-up, so
    ``PR_SET_PDEATHSIG`` (tied to the forking thread) cannot be used.
    """
    global _watched_host_pid
    host_pid, _watched_host_pid = _watched_host_pid, None
    if host_pid is not None:
        threading.Thread(
            target=_exit_when_host_dies, args=(host_pid,), name="host-watch", daemon=True
        ).start()


os.register_at_fork(after_in_child=_watch_host_after_fork)


@contextlib.contextmanager
def _lava_children_context() -> Iterator[None]:
    """Fork Lava's children so that they ignore SIGINT and end when the host process dies.

    Ctrl-C then reaches only the host process, which stops the children cleanly, instead of
    killing each child with its own traceback and leaving the runtime half dead. SIGINT can be
    ignored only on the main thread; elsewhere the children keep the default handler.
    """
    global _watched_host_pid
    _watched_host_pid = os.getpid()
    on_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if on_main else None
    try:
        yield
    finally:
        _watched_host_pid = None
        if on_main:
            signal.signal(signal.SIGINT, previous)


class GuardedRuntime:
    """Compile, start, run and stop one Lava process graph with bounded waits.

    Parameters
    ----------
    process:
        Any process of the graph; every process connected to it is compiled with it.
    select_tag:
        ``"fixed_pt"`` (bit-accurate integer models) or ``"floating_pt"``.
    model_overrides:
        ProcessModel to use per Process class (see ``sim_run_config``).
    run_cfg:
        A run configuration to compile with instead of the CPU simulator's (e.g. Lava's
        ``Loihi2HwCfg``); ``select_tag`` and ``model_overrides`` are then not used.
    start_timeout_s, stop_timeout_s:
        Limits for starting the child processes and for a clean stop, in seconds.

    Use as a context manager, or call ``stop()`` in ``finally``: ``stop`` never blocks longer
    than ``stop_timeout_s`` (then it kills the children) and may be called any number of times.
    """

    def __init__(
        self,
        process: AbstractProcess,
        *,
        select_tag: SelectTag = "fixed_pt",
        model_overrides: ModelOverrides | None = None,
        run_cfg: RunConfig | None = None,
        start_timeout_s: float = START_TIMEOUT_S,
        stop_timeout_s: float = STOP_TIMEOUT_S,
    ) -> None:
        self._process = process
        self._run_cfg = run_cfg or sim_run_config(select_tag, model_overrides)
        self._start_timeout_s = start_timeout_s
        self._stop_timeout_s = stop_timeout_s
        self._runtime: Runtime | None = None
        self._labels: list[str] = []
        self._shm_names: tuple[str, ...] = ()
        self._pids: tuple[int, ...] = ()
        self._time_step = 0
        self._running = False
        self._closed = False
        self._torn_down = False

    def __enter__(self) -> GuardedRuntime:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def time_step(self) -> int:
        """Number of time steps completed by ``run`` calls so far."""
        return self._time_step

    @property
    def child_pids(self) -> tuple[int, ...]:
        """OS process ids of the simulator's children (models and runtime services)."""
        return self._pids

    @property
    def shared_memory_names(self) -> tuple[str, ...]:
        """Names of the shared-memory segments (under /dev/shm) this runtime allocated."""
        return self._shm_names

    def start(self) -> None:
        """Compile the graph and start its child processes (once; later calls do nothing).

        Raises
        ------
        LavaRuntimeError
            The graph does not compile, or a model's constructor raised.
        LavaTimeoutError
            The children did not all start within ``start_timeout_s``.
        """
        if self._closed:
            raise LavaRuntimeError("this Lava runtime was stopped; build the network again")
        if self._runtime is not None:
            return
        try:
            executable = self._process.compile(self._run_cfg)
        except Exception as exc:
            raise LavaRuntimeError(
                f"Lava could not compile the network: {type(exc).__name__}: {exc}"
            ) from exc
        runtime = Runtime(executable, ActorType.MultiProcessing)
        executable.assign_runtime_to_all_processes(runtime)
        self._runtime = runtime
        self._labels = [
            f"{proc.name} ({type(proc).__name__}, model {builder.proc_model.__name__})"
            for proc, builder in executable.proc_builders.items()
        ]
        self._initialize(runtime)
        self._pids = tuple(actor.pid for actor in self._actors())
        self._shm_names = tuple(
            h.name for h in runtime._messaging_infrastructure.smm._shared_memory_handles
        )

    def run(self, num_steps: int, timeout_s: float | None = None) -> None:
        """Advance the simulation by ``num_steps`` time steps and wait until they are done.

        Parameters
        ----------
        num_steps:
            Time steps to run (>= 1).
        timeout_s:
            Wall-clock limit in seconds; default ``max(MIN_RUN_TIMEOUT_S,
            STEP_TIMEOUT_S * num_steps)``.

        Raises
        ------
        LavaProcessError
            A model raised or a child process died; the runtime is stopped.
        LavaTimeoutError
            The steps did not finish in time (a stuck model); the runtime is stopped.
        """
        if num_steps < 1:
            raise ValueError(f"num_steps must be >= 1, got {num_steps}")
        if timeout_s is None:
            timeout_s = max(MIN_RUN_TIMEOUT_S, STEP_TIMEOUT_S * num_steps)
        self._launch(RunSteps(num_steps=num_steps, blocking=False))
        deadline = time.monotonic() + timeout_s
        responses = self._await_responses(deadline, f"running {num_steps} time steps")
        if not all(enum_equal(r, MGMT_RESPONSE.DONE) for r in responses):
            self._fail_from_children("the simulation reported an error")
        self._runtime.wait()  # consumes the DONE responses that are already there
        self._running = False
        self._time_step += num_steps

    def run_continuous(self) -> None:
        """Start a free-running simulation and return at once.

        Meant for lock-stepped streaming: an Injector with a blocking receive holds every time
        step until the host sends the next input (see ``rat_lava.lava.streaming``). Watch it with
        ``wait_for`` and end it with ``stop(nudge=...)``.
        """
        self._launch(RunContinuous())

    def wait_for(self, port: CspRecvPort, timeout_s: float, what: str) -> None:
        """Wait until ``port`` (a host-side receive port, e.g. an Extractor's) has a message.

        Raises ``LavaProcessError`` if a child dies meanwhile and ``LavaTimeoutError`` after
        ``timeout_s`` seconds; in both cases the runtime is stopped first.
        """
        self._wait_or_fail([port], time.monotonic() + timeout_s, what)

    def read(self, var: Var) -> np.ndarray:
        """Value of ``var`` after the last completed ``run`` (float64 array, Lava's get_var).

        Only valid between runs: during a run or after ``stop`` Lava cannot serve Vars.
        """
        if self._runtime is None or self._running or self._closed:
            raise LavaRuntimeError("Vars can only be read between runs of a started runtime")
        self._check_children("reading a Var")
        return np.asarray(var.get())

    def stop(self, nudge: Callable[[], None] | None = None) -> None:
        """Stop the simulation and release its processes and shared memory; never hangs.

        Children that do not stop within ``stop_timeout_s`` (a stuck model, a runtime service
        that already ended) are killed; either way nothing is left running.

        Parameters
        ----------
        nudge:
            Called once after the STOP command was sent, for runs whose current time step waits
            on the host (feed the Injector one more message so that the step can end).
        """
        if self._closed:
            return
        self._closed = True
        runtime = self._runtime
        if (
            runtime is None
            or not runtime._is_started
            or any(not actor.is_alive() for actor in self._actors())
        ):  # nothing to stop gracefully (a dead child, e.g. after Ctrl-C, answers nothing)
            self._teardown()
            return
        deadline = time.monotonic() + self._stop_timeout_s
        graceful = False
        try:
            for port in runtime.runtime_to_service:
                port.send(MGMT_COMMAND.STOP)
            if nudge is not None:
                nudge()
            graceful = self._drain_until_terminated(deadline)
        finally:
            self._teardown(graceful=graceful)

    def _initialize(self, runtime: Runtime) -> None:
        """Start the children; Lava's ``initialize`` prints child errors on stdout: capture."""
        outcome: dict[str, BaseException] = {}
        printed = io.StringIO()

        def target() -> None:
            try:
                runtime.initialize()
            except BaseException as exc:  # noqa: BLE001 - re-raised on the caller's thread
                outcome["error"] = exc

        with contextlib.redirect_stdout(printed), _lava_children_context():
            worker = threading.Thread(target=target, name="lava-initialize", daemon=True)
            worker.start()
            worker.join(self._start_timeout_s)
        if worker.is_alive():
            for queue in runtime.exception_q:  # unblocks Lava's q.get() in the worker
                queue.put(None)
            self._teardown()
            raise LavaTimeoutError(
                f"Lava processes did not start within {self._start_timeout_s:.0f} s"
            )
        if "error" in outcome:
            exc = outcome["error"]
            self._teardown()
            raise LavaProcessError(
                f"a Lava process model failed to start: {type(exc).__name__}: {exc}",
                details=printed.getvalue(),
            ) from exc

    def _launch(self, condition: AbstractRunCondition) -> None:
        self.start()
        if self._running:
            raise LavaRuntimeError("a Lava run is already in progress")
        self._check_children("starting a run")
        self._running = True
        self._runtime.start(condition)

    def _actors(self) -> list:
        return list(self._runtime._messaging_infrastructure.actors)

    def _await_responses(self, deadline: float, what: str) -> list[np.ndarray]:
        """Wait for one message from every runtime service; return them without consuming."""
        ports = list(self._runtime.service_to_runtime)
        self._wait_or_fail(ports, deadline, what)
        return [port.peek() for port in ports]

    def _wait_or_fail(self, ports: Sequence[CspRecvPort], deadline: float, what: str) -> None:
        """Wait for a message on every port while a run is in progress; on timeout kill the
        children and raise ``LavaTimeoutError`` (a dead child raises ``LavaProcessError``)."""
        if not self._wait_ports(ports, deadline, what, watch=True):
            self._teardown()
            raise LavaTimeoutError(
                f"Lava simulation stuck: {what} did not finish in time "
                f"(run started after time step {self._time_step})"
            )

    def _wait_ports(
        self, ports: Sequence[CspRecvPort], deadline: float, what: str, watch: bool
    ) -> bool:
        """Block until every port holds a message (True) or the deadline passes (False).

        ``watch``: check the children meanwhile; none may end while a run is in progress.
        """
        ready = threading.Event()
        for port in ports:
            port.observer = ready.set
        try:
            while True:
                ready.clear()
                if all(port.probe() for port in ports):
                    return True
                if watch:
                    self._check_children(what)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                ready.wait(min(POLL_S, remaining))
        finally:
            for port in ports:
                port.observer = None

    def _check_children(self, what: str) -> None:
        if any(not actor.is_alive() for actor in self._actors()):
            self._fail_from_children(f"a Lava process ended while {what}")

    def _fail_from_children(self, fallback: str) -> None:
        """Collect the children's exceptions, tear everything down and raise one error."""
        grace = time.monotonic() + 2.0  # the failed child may still be sending its exception
        failures: list[tuple[str, BaseException | None, str, int | None]] = []
        while True:
            failures = []
            for index, actor in enumerate(self._actors()):
                report = actor.exception
                if report is not None or not actor.is_alive():
                    label = self._labels[index] if index < len(self._labels) else "runtime service"
                    exc, trace = report if report is not None else (None, "")
                    failures.append((label, exc, trace, actor.exitcode))
            if any(exc is not None for _, exc, _, _ in failures) or time.monotonic() > grace:
                break
            time.sleep(POLL_S)
        self._teardown()
        raised = [f for f in failures if f[1] is not None]
        if raised:
            label, exc, _, _ = raised[0]
            message = f"Lava process {label} raised {type(exc).__name__}: {exc}"
            details = "\n".join(trace for _, _, trace, _ in raised)
        elif failures:
            label, _, _, code = failures[0]
            message = f"Lava process {label} exited unexpectedly (exit code {code})"
            details = ""
        else:
            message, details = fallback, ""
        raise LavaProcessError(
            f"{message} (run started after time step {self._time_step})", details=details
        )

    def _drain_until_terminated(self, deadline: float) -> bool:
        """Consume service responses (a pending DONE first) until each sent TERMINATED.

        Returns False if that did not happen before ``deadline``.
        """
        for port in self._runtime.service_to_runtime:
            while True:
                if not self._wait_ports([port], deadline, "stopping", watch=False):
                    return False
                if enum_equal(port.recv(), MGMT_RESPONSE.TERMINATED):
                    break
        return True

    def _teardown(self, graceful: bool = False) -> None:
        """Kill what still runs, join host-side ports and release shared memory. Idempotent.

        ``graceful``: the children were told to stop; give them until the stop deadline to exit
        before killing them.
        """
        self._closed = True
        self._running = False
        runtime = self._runtime
        if runtime is None or self._torn_down:
            return
        self._torn_down = True
        infrastructure = runtime._messaging_infrastructure
        if infrastructure is not None:
            deadline = time.monotonic() + (self._stop_timeout_s if graceful else 0.0)
            for actor in infrastructure.actors:
                while actor.is_alive() and time.monotonic() < deadline:
                    time.sleep(0.01)
                if actor.is_alive():
                    actor.kill()
        runtime.join()
        for proc in runtime._executable.process_list:
            for port in (*proc.in_ports.members, *proc.out_ports.members):
                for name in ("external_pipe_csp_send_port", "external_pipe_csp_recv_port"):
                    pipe = getattr(port, name, None)
                    if pipe is not None:
                        pipe.join()
        if infrastructure is not None:
            infrastructure.stop()  # joins the children, unlinks the shared memory
        if runtime._watchdog_manager is not None:
            runtime._watchdog_manager.stop()
        runtime._is_running = False
        runtime._is_started = False  # Runtime.__del__ would otherwise call the blocking stop()
