"""Errors a user can cause. The CLI prints their message on one line and exits non-zero."""


class RatLavaError(Exception):
    """Base class of every error caused by user input (files, arguments, environment)."""


class DataError(RatLavaError):
    """A data file or data specification is missing, unreadable or inconsistent."""


class CheckpointError(RatLavaError):
    """A checkpoint is missing, corrupt, or not a rat-lava checkpoint of a known version."""


class ExportError(RatLavaError):
    """A model cannot be exported (not a RAT checkpoint, outside Loihi 2's ranges, ...)."""


class NetFileError(RatLavaError):
    """A .net file is missing, corrupt, inconsistent or written by a newer rat-lava."""
