"""Run files: what one ``rat-lava run`` decoded, as HDF5, written atomically.

Layout (``format`` = "rat-lava-run", ``version`` 1)::

    velocity        (T, 2) float64  decoded velocity in data units; row t is bin t
    ground_truth    (T, 2) float64  recorded velocity of the same bins
    spikes/<layer>  (T,) int64      spikes per bin of each spiking layer of the network (summed
                                    over the bin's network steps)
    attrs           format, version, and the run's metadata (backend, network file, data,
                    dt in seconds, ...), strings or numbers
    timing/         optional; attrs: wall-clock seconds of the run (see ``LavaDecoder.timing``)
    probes/         optional; per-core activity, energy and time (``rat_lava.probes.report``)

Files without the optional groups (written before they existed, or without probes) read with
``timing`` empty and ``probes`` None. Further groups come from objects with a
``to_hdf5(group)`` method (``extras`` of ``write_run``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import h5py
import numpy as np

from rat_lava.errors import RatLavaError
from rat_lava.io_utils import HDF5_READ_ERRORS, atomic_path, read_untrusted

if TYPE_CHECKING:
    from rat_lava.probes.report import ProbeReport

RUN_FORMAT = "rat-lava-run"
"""Value of the ``format`` attribute of a run file."""

RUN_VERSION = 1
"""Layout version written by ``write_run``."""

MAX_RUN_BYTES = 1 << 32
"""Largest total size, in bytes, that the datasets of a run file may declare (4 GiB; one hour
of 4 ms bins takes about 30 MB without probes). Checked before any data is read, so that a
hostile file cannot exhaust memory."""


class RunFileError(RatLavaError):
    """A run file is missing, unreadable, or not a rat-lava run file of a known version."""


class HDF5Writable(Protocol):
    """Anything that stores itself into an HDF5 group (e.g. ``rat_lava.probes.ProbeReport``)."""

    def to_hdf5(self, group: h5py.Group) -> None: ...


@dataclass
class RunFile:
    """Contents of a run file (see the module docstring); ``meta`` holds its attributes,
    ``timing`` seconds by name, ``probes`` the probe report (None without probes)."""

    velocity: np.ndarray
    ground_truth: np.ndarray
    spikes: dict[str, np.ndarray] = field(default_factory=dict)
    meta: dict[str, str | int | float] = field(default_factory=dict)
    timing: dict[str, float] = field(default_factory=dict)
    probes: ProbeReport | None = None

    def __post_init__(self) -> None:
        self.velocity = np.asarray(self.velocity, dtype=np.float64)
        self.ground_truth = np.asarray(self.ground_truth, dtype=np.float64)
        if self.velocity.ndim != 2 or self.velocity.shape[1] != 2:
            raise ValueError(f"velocity must be (T, 2), got {self.velocity.shape}")
        if self.ground_truth.shape != self.velocity.shape:
            raise ValueError(
                f"ground truth {self.ground_truth.shape} and velocity {self.velocity.shape} differ"
            )
        for layer, counts in self.spikes.items():
            if np.shape(counts) != (len(self.velocity),):
                raise ValueError(f"spikes of {layer} must be ({len(self.velocity)},)")
        if self.probes is not None and self.probes.bins != len(self.velocity):
            raise ValueError(
                f"the probes cover {self.probes.activity.num_steps} network steps = "
                f"{self.probes.bins} bins, not {len(self.velocity)}"
            )

    @property
    def steps(self) -> int:
        """Number of decoded bins T."""
        return len(self.velocity)


def write_run(
    path: str | os.PathLike, run: RunFile, extras: Mapping[str, HDF5Writable] | None = None
) -> None:
    """Write ``run`` (and each of ``extras`` into its own group) to ``path``; the file appears
    complete or not at all."""
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as handle:
        handle.attrs["format"] = RUN_FORMAT
        handle.attrs["version"] = RUN_VERSION
        for key, value in run.meta.items():
            handle.attrs[key] = value
        handle.create_dataset("velocity", data=run.velocity)
        handle.create_dataset("ground_truth", data=run.ground_truth)
        spikes = handle.create_group("spikes")
        for layer, counts in run.spikes.items():
            spikes.create_dataset(layer, data=np.asarray(counts, dtype=np.int64))
        if run.timing:
            handle.create_group("timing").attrs.update(run.timing)
        if run.probes is not None:
            run.probes.to_hdf5(handle.create_group("probes"))
        for name, item in (extras or {}).items():
            item.to_hdf5(handle.create_group(name))


def is_run_file(path: str | os.PathLike) -> bool:
    """True if ``path`` is an HDF5 file whose ``format`` attribute says it is a run file
    (read in a child process under a time limit, like ``read_run``)."""
    path = Path(path)
    return path.is_file() and read_untrusted(_has_run_format, path, what=str(path))


def _has_run_format(path: Path) -> bool:
    if not h5py.is_hdf5(path):
        return False
    try:
        with h5py.File(path, "r") as handle:
            fmt = handle.attrs.get("format")
    except HDF5_READ_ERRORS:
        return False
    return isinstance(fmt, str) and fmt == RUN_FORMAT


def read_run(path: str | os.PathLike) -> RunFile:
    """Read a run file; ``RunFileError`` names the file and what is wrong with it."""
    path = Path(path)
    if not path.is_file():
        raise RunFileError(f"{path}: file not found")
    return read_untrusted(_read_run, path, what=str(path), error=RunFileError)


def _read_run(path: Path) -> RunFile:
    if not _has_run_format(path):
        raise RunFileError(f"{path}: not a rat-lava run file (written by `rat-lava run`)")
    try:
        with h5py.File(path, "r") as handle:
            version = handle.attrs.get("version")
            if not isinstance(version, (int, np.integer)) or version != RUN_VERSION:
                raise RunFileError(
                    f"{path}: run file version {version}, this rat-lava reads {RUN_VERSION}"
                )
            _check_layout(handle, path)
            meta = {
                key: value.item() if isinstance(value, np.generic) else value
                for key, value in handle.attrs.items()
                if key not in ("format", "version")
            }
            velocity = _finite(handle["velocity"][()], "velocity", path)
            ground_truth = _finite(handle["ground_truth"][()], "ground_truth", path)
            spikes = {name: data[()] for name, data in handle["spikes"].items()}
            if any(counts.min(initial=0) < 0 for counts in spikes.values()):
                raise RunFileError(f"{path}: negative spike counts in 'spikes'")
            timing = (
                {
                    k: _finite(v, f"timing/{k}", path).item()
                    for k, v in handle["timing"].attrs.items()
                }
                if "timing" in handle
                else {}
            )
            probes = None
            if "probes" in handle:
                from rat_lava.probes.report import ProbeReport

                probes = ProbeReport.from_hdf5(handle["probes"])
            return RunFile(velocity, ground_truth, spikes, meta, timing, probes)
    except HDF5_READ_ERRORS as exc:
        detail = str(exc).splitlines()[0] if str(exc) else "no detail"
        raise RunFileError(f"{path}: damaged run file ({type(exc).__name__}: {detail})") from None


def _check_layout(handle: h5py.File, path: Path) -> None:
    """Check from metadata alone (nothing read yet) the declared sizes against
    ``MAX_RUN_BYTES``, and the kinds, dtypes and shapes of the run's datasets."""
    declared = 0

    def add(name: str, obj: h5py.HLObject) -> None:
        nonlocal declared
        if isinstance(obj, h5py.Dataset):
            declared += int(np.prod(obj.shape, dtype=np.float64)) * obj.dtype.itemsize

    handle.visititems(add)
    if declared > MAX_RUN_BYTES:
        raise RunFileError(
            f"{path}: datasets declare {declared} bytes, more than the limit {MAX_RUN_BYTES}"
        )
    arrays = {name: handle.get(name) for name in ("velocity", "ground_truth")}
    for name, ds in arrays.items():
        if not isinstance(ds, h5py.Dataset) or ds.dtype.kind not in "iuf":
            raise RunFileError(f"{path}: '{name}' is missing or not a numeric dataset")
        if ds.ndim != 2 or ds.shape[1] != 2 or ds.shape[0] < 1:
            raise RunFileError(f"{path}: '{name}' has shape {ds.shape}, expected (T, 2), T >= 1")
    steps = arrays["velocity"].shape[0]
    if arrays["ground_truth"].shape != (steps, 2):
        raise RunFileError(f"{path}: 'velocity' and 'ground_truth' cover different steps")
    spikes = handle.get("spikes")
    if not isinstance(spikes, h5py.Group):
        raise RunFileError(f"{path}: group 'spikes' is missing")
    for name, ds in spikes.items():
        if not isinstance(ds, h5py.Dataset) or ds.dtype.kind not in "iu" or ds.shape != (steps,):
            raise RunFileError(f"{path}: 'spikes/{name}' must hold {steps} integer counts")
    timing = handle.get("timing")
    if timing is not None and not isinstance(timing, h5py.Group):
        raise RunFileError(f"{path}: 'timing' must be a group")


def _finite(values: object, name: str, path: Path) -> np.ndarray:
    """``values`` as a float64 array; RunFileError unless every entry is a finite real number."""
    array = np.asarray(values)
    if array.dtype.kind not in "iuf" or not np.all(np.isfinite(array)):
        raise RunFileError(f"{path}: '{name}' must hold finite real numbers")
    return array.astype(np.float64)
