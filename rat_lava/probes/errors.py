"""Errors of the probes a user can cause (one-line messages, see rat_lava.cli)."""

from rat_lava.errors import RatLavaError


class ProbeError(RatLavaError):
    """Probes could not be taken or read."""


class LoihiExtensionMissing(ProbeError):
    """Intel's lava-loihi extension, needed for Loihi 2 profiling, is not installed."""


class ProfilerDataError(ProbeError):
    """A Loihi 2 profiler object lacks a field or holds data of the wrong shape."""


class ProbeFileError(ProbeError):
    """A probe report in an HDF5 file is missing, of another version, or damaged."""
