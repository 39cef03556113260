"""Errors of the Lava runtime. The CLI prints their message on one line (see rat_lava.cli)."""

from rat_lava.errors import RatLavaError


class LavaRuntimeError(RatLavaError):
    """A Lava simulation could not be compiled, started, run or stopped cleanly.

    Attributes
    ----------
    details:
        Longer diagnostic text (for example the traceback of a failed Lava child process);
        not part of the one-line message.
    """

    def __init__(self, message: str, details: str = "") -> None:
        super().__init__(message)
        self.details = details


class LavaProcessError(LavaRuntimeError):
    """A Lava process model raised (or its OS process died) during a run."""


class LavaTimeoutError(LavaRuntimeError):
    """A Lava run, start or stop did not finish within its time limit (a stuck process)."""


class BackendUnavailableError(RatLavaError):
    """A decoding backend cannot run here (e.g. ``loihi2`` without Intel's lava-loihi)."""
