"""Read an NWB file (DANDI, Neural Latents Benchmark) as a Session; needs ``rat-lava[nwb]``.

What is read (with pynwb, in a child process under a time limit, as every untrusted file):

- ``units``: the spike times (s) of every unit; each unit is one input column.
- Kinematics from the ``behavior`` processing module, the first of ``VELOCITY_SERIES`` (hand,
  finger or cursor velocity), else of ``POSITION_SERIES`` (cursor, hand or finger position),
  as a TimeSeries of its own or inside a container (``Position``, ``BehavioralTimeSeries``);
  columns 0 and 1 are x and y. Samples with NaN in x or y are left out.
- ``intervals/trials`` (start and stop times), when present, for the summary.

Binning: bins of ``dt`` seconds from the first kinematic sample, as many as fit before the last
one; spikes outside are dropped. Velocity per bin is the mean over the bin: positions are
interpolated at the bin edges (a velocity series is first integrated by the trapezoid rule), and
``velocity[k] = (p(edge[k+1]) - p(edge[k])) / dt``, in the series' unit per second for positions,
in its own unit for velocities. Layouts tested: DANDI 000128 (MC_Maze), 000129 (MC_RTT) and
000140 (MC_Maze small).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rat_lava import io_utils
from rat_lava.constants import DEFAULT_DT
from rat_lava.data.session import Session, check_array_size, is_bin_width
from rat_lava.errors import DataError

VELOCITY_SERIES = ("hand_vel", "finger_vel", "cursor_vel")
"""Names of velocity series in ``processing/behavior``, in order of preference."""

POSITION_SERIES = ("cursor_pos", "hand_pos", "finger_pos")
"""Names of position series, used (differentiated) when no velocity series exists."""

INSTALL_HINT = "NWB files need pynwb: pip install 'rat-lava[nwb]'"


@dataclass(frozen=True)
class NwbContents:
    """What ``load_nwb`` uses from a file, as plain arrays.

    Attributes:
        spike_times: one (n_i,) array of spike times (s) per unit.
        kinematics: name of the series used, and whether it is a velocity.
        unit: the series' unit (as the file states it).
        times: (N,) sample times (s) of the series, increasing, NaN samples left out.
        xy: (N, 2) its x and y.
        others: names of the other series in ``processing/behavior``.
        trials: (n_trials, 2) start and stop times (s); (0, 2) without ``intervals/trials``.
        subject, session: identifiers from the file (subject id, session id or identifier).
    """

    spike_times: list[np.ndarray]
    kinematics: str
    is_velocity: bool
    unit: str
    times: np.ndarray
    xy: np.ndarray
    others: tuple[str, ...]
    trials: np.ndarray
    subject: str
    session: str


def read_nwb(path: str | os.PathLike) -> NwbContents:
    """The units, kinematics and trials of the NWB file ``path``.

    Raises:
        DataError: pynwb missing, or a file that is not NWB, has no units, or no kinematics.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    try:
        import pynwb  # noqa: F401
    except ImportError:
        raise DataError(f"{path}: {INSTALL_HINT}") from None
    limit = io_utils.READ_SECONDS + path.stat().st_size / 2**20
    return io_utils.read_untrusted(_read, path, what=str(path), error=DataError, timeout_s=limit)


def load_nwb(path: str | os.PathLike, dt: float = DEFAULT_DT) -> Session:
    """Read the NWB file ``path`` into a Session of ``dt``-second bins (one column per unit)."""
    path = Path(path)
    if not is_bin_width(dt):
        raise DataError(f"{path}: bin width dt must be a positive number of seconds, got {dt}")
    contents = read_nwb(path)
    edges = bin_edges(contents, dt, path)
    position = _position(contents)
    at_edges = np.stack([np.interp(edges, contents.times, position[:, k]) for k in (0, 1)], axis=1)
    with np.errstate(over="ignore", invalid="ignore"):
        velocity = np.diff(at_edges, axis=0) / dt
    counts = [np.histogram(times, bins=edges)[0] for times in contents.spike_times]
    return Session(
        np.stack(counts, axis=1).astype(np.int32),
        velocity,
        dt,
        contents.subject,
        contents.session,
        "nwb",
        source=str(path),
    )


def bin_edges(contents: NwbContents, dt: float, path: Path) -> np.ndarray:
    """Edges (T + 1,) s of the bins of ``dt`` over the kinematics' span."""
    span = float(contents.times[-1] - contents.times[0])
    bins = span / dt + 1e-9
    if bins < 1:
        raise DataError(
            f"{path}: the kinematics ({contents.kinematics}) span {span:.3f} s, less than one "
            f"bin of {dt * 1e3:g} ms"
        )
    check_array_size(
        str(path),
        f"{bins:.0f} bins of {len(contents.spike_times)} units",
        bins * (len(contents.spike_times) + 2) * 8,
    )
    return contents.times[0] + dt * np.arange(math.floor(bins) + 1)


def _position(contents: NwbContents) -> np.ndarray:
    """(N, 2) positions at ``contents.times``; a velocity is integrated (trapezoid rule)."""
    if not contents.is_velocity:
        return contents.xy
    steps = np.diff(contents.times)[:, None] * (contents.xy[1:] + contents.xy[:-1]) / 2
    return np.vstack([np.zeros((1, 2)), np.cumsum(steps, axis=0)])


def _read(path: Path) -> NwbContents:
    """Read in the child process of ``read_untrusted``: every value as a numpy array."""
    import h5py
    from pynwb import NWBHDF5IO

    if not h5py.is_hdf5(path):
        raise DataError(f"{path}: not an NWB file (NWB files are HDF5)")
    try:
        with NWBHDF5IO(str(path), "r", load_namespaces=True) as io:
            nwbfile = io.read()
            return _contents(nwbfile, path)
    except DataError:
        raise
    except Exception as exc:  # pynwb/hdmf raise many types for files that are not NWB
        raise DataError(f"{path}: not a readable NWB file ({type(exc).__name__}: {exc})") from None


def _contents(nwbfile: object, path: Path) -> NwbContents:
    units = nwbfile.units
    if units is None or len(units) == 0:
        raise DataError(f"{path}: the NWB file has no units (no spike times to decode from)")
    declared = units["spike_times"].data
    check_array_size(str(path), "the spike times", len(declared) * 8)
    spike_times = [np.asarray(units["spike_times"][i], dtype=np.float64) for i in range(len(units))]
    if not all(np.all(np.isfinite(times)) for times in spike_times):
        raise DataError(f"{path}: units hold NaN or infinite spike times")
    series = _behavior_series(nwbfile)
    wanted = [n for n in VELOCITY_SERIES + POSITION_SERIES if n in series]
    if not wanted:
        found = ", ".join(sorted(series)) or "nothing"
        raise DataError(
            f"{path}: no kinematics: processing/behavior holds {found}; rat-lava needs one of "
            f"{', '.join(VELOCITY_SERIES + POSITION_SERIES)}"
        )
    name = wanted[0]
    times, xy, unit = _samples(series[name], name, path)
    trials = np.empty((0, 2))
    if nwbfile.trials is not None and len(nwbfile.trials) > 0:
        trials = np.column_stack(
            [
                np.asarray(nwbfile.trials["start_time"][:]),
                np.asarray(nwbfile.trials["stop_time"][:]),
            ]
        )
    subject = getattr(nwbfile.subject, "subject_id", None) or path.stem.partition("_")[0]
    session = nwbfile.session_id or nwbfile.identifier or path.stem
    return NwbContents(
        spike_times=spike_times,
        kinematics=name,
        is_velocity=name in VELOCITY_SERIES,
        unit=unit,
        times=times,
        xy=xy,
        others=tuple(sorted(n for n in series if n != name)),
        trials=trials,
        subject=str(subject),
        session=str(session),
    )


def _behavior_series(nwbfile: object) -> dict[str, object]:
    """TimeSeries of ``processing/behavior`` by name, also those inside containers."""
    from pynwb import TimeSeries

    module = nwbfile.processing.get("behavior")
    if module is None:
        return {}
    found: dict[str, object] = {}
    for name, interface in module.data_interfaces.items():
        if isinstance(interface, TimeSeries):
            found[name] = interface
            continue
        for attr in ("spatial_series", "time_series"):
            inner = getattr(interface, attr, None)
            if isinstance(inner, dict):
                found.update({k: v for k, v in inner.items() if isinstance(v, TimeSeries)})
    return found


def _samples(series: object, name: str, path: Path) -> tuple[np.ndarray, np.ndarray, str]:
    """Sample times (N,) and x, y (N, 2) of ``series`` without NaN samples, and its unit."""
    shape = series.data.shape
    if len(shape) != 2 or shape[1] < 2:
        raise DataError(f"{path}: behavior series {name!r} must have x and y columns, got {shape}")
    check_array_size(str(path), f"series {name!r}", shape[0] * 3 * 8)
    xy = np.asarray(series.data[:, :2], dtype=np.float64)
    if series.timestamps is not None:
        times = np.asarray(series.timestamps[:], dtype=np.float64)
    else:
        times = series.starting_time + np.arange(shape[0]) / series.rate
    if times.shape != (shape[0],):
        raise DataError(f"{path}: series {name!r} has {times.size} times for {shape[0]} samples")
    keep = np.all(np.isfinite(xy), axis=1) & np.isfinite(times)
    times, xy = times[keep], xy[keep]
    if times.size < 2 or not np.all(np.diff(times) > 0):
        raise DataError(
            f"{path}: series {name!r} needs at least 2 samples at increasing times "
            f"({times.size} finite samples)"
        )
    return times, xy, str(series.unit)


def describe_nwb(path: str | os.PathLike, dt: float = DEFAULT_DT) -> str:
    """What ``load_nwb`` finds in ``path``, in a few lines (``rat-lava info FILE.nwb``)."""
    path = Path(path)
    contents = read_nwb(path)
    edges = bin_edges(contents, dt, path)
    span = edges[-1] - edges[0]
    n_spikes = sum(int(((t >= edges[0]) & (t <= edges[-1])).sum()) for t in contents.spike_times)
    kind = "velocity" if contents.is_velocity else "position, differentiated per bin"
    rate = (contents.times.size - 1) / float(contents.times[-1] - contents.times[0])
    lines = [
        f"{path}: NWB recording of subject {contents.subject}, session {contents.session}",
        f"units: {len(contents.spike_times)}, {n_spikes} spikes in the decoded span "
        f"({n_spikes / len(contents.spike_times) / span:.1f} Hz per unit on average)",
        f"kinematics: processing/behavior/{contents.kinematics} ({kind}; unit {contents.unit}; "
        f"{contents.times.size} samples at {rate:.0f} Hz)",
        "other behavior series: " + (", ".join(contents.others) or "none"),
    ]
    if len(contents.trials):
        lines.append(
            f"trials: {len(contents.trials)} (intervals/trials, {contents.trials[0, 0]:.2f} to "
            f"{contents.trials[-1, 1]:.2f} s)"
        )
    else:
        lines.append("trials: none (no intervals/trials)")
    lines.append(
        f"bins: {edges.size - 1} of {dt * 1e3:g} ms from {edges[0]:.3f} s ({span:.1f} s); "
        "train/validation/test: the chronological 70/10/20 split"
    )
    return "\n".join(lines)
