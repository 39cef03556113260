"""Test helper: write small NWB files with pynwb in the layouts of three DANDI sets.

- 000128 (MC_Maze) and 000140 (MC_Maze small), Neural Latents Benchmark ``desc-train`` files:
  subject Jenkins; ``processing/behavior`` holds the TimeSeries ``cursor_pos``, ``eye_pos``,
  ``hand_pos`` and ``hand_vel`` (x, y; 1 kHz timestamps); ``units`` with ``spike_times``,
  ``obs_intervals`` and ``heldout``; ``intervals/trials`` with the maze task's columns.
- 000129 (MC_RTT): subject Indy; ``behavior`` holds ``cursor_pos``, ``finger_pos`` (x, y, z),
  ``finger_vel`` (NaN where the finger was not tracked) and ``target_pos``; trials with
  ``split``.

Spikes are Poisson, tuned to the hand velocity so that a decoder has something to find.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from pynwb import NWBHDF5IO, NWBFile, TimeSeries
from pynwb.behavior import Position, SpatialSeries
from pynwb.file import Subject

KINEMATICS_HZ = 1000.0


def _kinematics(rng: np.random.Generator, duration_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Times (N,) s at 1 kHz and a smooth 2-D velocity (N, 2) in mm/s."""
    times = np.arange(0.0, duration_s, 1 / KINEMATICS_HZ)
    phase = 2 * np.pi * times
    velocity = np.column_stack(
        [
            120 * np.sin(0.7 * phase) + 40 * np.sin(2.3 * phase + 1),
            100 * np.cos(0.5 * phase) + 30 * np.sin(1.9 * phase),
        ]
    )
    return times, velocity


def _spikes(rng: np.random.Generator, times: np.ndarray, velocity: np.ndarray, n_units: int):
    """Spike times (s) of ``n_units`` Poisson units cosine-tuned to ``velocity``."""
    angles = rng.uniform(0, 2 * np.pi, n_units)
    units = []
    for angle in angles:
        rate = 15 + 0.15 * (velocity @ np.array([np.cos(angle), np.sin(angle)]))
        rate = np.clip(rate, 0.5, None)
        hits = rng.random(times.size) < rate / KINEMATICS_HZ
        units.append(times[hits] + rng.uniform(0, 1 / KINEMATICS_HZ, hits.sum()))
    return units


def _nwbfile(subject: str, session: str) -> NWBFile:
    return NWBFile(
        session_description="reaching (test file in a DANDI layout)",
        identifier=f"{subject}-{session}",
        session_start_time=datetime(2021, 1, 1, tzinfo=timezone.utc),
        session_id=session,
        subject=Subject(subject_id=subject, species="Macaca mulatta"),
    )


def _add_units(nwbfile: NWBFile, spikes, duration_s: float) -> None:
    nwbfile.add_unit_column("heldout", "held-out neuron (NLB)")
    for k, times in enumerate(spikes):
        nwbfile.add_unit(
            spike_times=times, obs_intervals=[[0.0, float(duration_s)]], heldout=bool(k % 5 == 4)
        )


def write_mc_maze(
    path: Path, duration_s: float = 40.0, n_units: int = 12, seed: int = 0, session="full"
) -> Path:
    """A file in the layout of DANDI 000128 (``session="full"``) or 000140 (``"small"``)."""
    rng = np.random.default_rng(seed)
    times, velocity = _kinematics(rng, duration_s)
    position = np.cumsum(velocity, axis=0) / KINEMATICS_HZ
    nwbfile = _nwbfile("Jenkins", session)
    behavior = nwbfile.create_processing_module("behavior", "processed behavioral data")
    for name, data, unit in [
        ("cursor_pos", position + 0.5, "mm"),
        ("eye_pos", rng.normal(size=position.shape), "mm"),
        ("hand_pos", position, "mm"),
        ("hand_vel", velocity, "mm/s"),
    ]:
        behavior.add(TimeSeries(name=name, data=data, timestamps=times, unit=unit))
    _add_units(nwbfile, _spikes(rng, times, velocity, n_units), duration_s)
    for column in ("trial_type", "maze_id", "target_on_time", "go_cue_time", "move_onset_time"):
        nwbfile.add_trial_column(column, f"{column} (MC_Maze)")
    for k, start in enumerate(np.arange(0.0, duration_s - 2.0, 2.0)):
        nwbfile.add_trial(
            start_time=start,
            stop_time=start + 1.9,
            trial_type=k % 3,
            maze_id=k % 7,
            target_on_time=start + 0.2,
            go_cue_time=start + 0.8,
            move_onset_time=start + 1.0,
        )
    return _write(nwbfile, path)


def write_mc_rtt(path: Path, duration_s: float = 40.0, n_units: int = 12, seed: int = 1) -> Path:
    """A file in the layout of DANDI 000129 (MC_RTT)."""
    rng = np.random.default_rng(seed)
    times, velocity = _kinematics(rng, duration_s)
    position = np.cumsum(velocity, axis=0) / KINEMATICS_HZ
    finger_vel = velocity.copy()
    finger_vel[:40] = np.nan  # not tracked at the start
    nwbfile = _nwbfile("Indy", "20160627_01")
    behavior = nwbfile.create_processing_module("behavior", "processed behavioral data")
    finger_pos = np.column_stack([position, np.zeros(len(times))])
    for name, data, unit in [
        ("cursor_pos", position, "mm"),
        ("finger_pos", finger_pos, "cm"),
        ("finger_vel", finger_vel, "cm/s"),
        ("target_pos", np.round(position / 30) * 30, "mm"),
    ]:
        behavior.add(TimeSeries(name=name, data=data, timestamps=times, unit=unit))
    _add_units(nwbfile, _spikes(rng, times, velocity, n_units), duration_s)
    nwbfile.add_trial_column("split", "train / val / test (NLB)")
    for k, start in enumerate(np.arange(0.0, duration_s - 0.6, 0.6)):
        nwbfile.add_trial(
            start_time=start, stop_time=start + 0.6, split="val" if k % 5 else "train"
        )
    return _write(nwbfile, path)


def write_position_only(path: Path, duration_s: float = 20.0, seed: int = 2) -> Path:
    """Hand position only, as a SpatialSeries inside a Position container, at a fixed rate."""
    rng = np.random.default_rng(seed)
    times, velocity = _kinematics(rng, duration_s)
    position = np.cumsum(velocity, axis=0) / KINEMATICS_HZ
    nwbfile = _nwbfile("Monkey", "pos")
    behavior = nwbfile.create_processing_module("behavior", "processed behavioral data")
    series = SpatialSeries(
        name="hand_pos", data=position, reference_frame="screen", rate=KINEMATICS_HZ, unit="mm"
    )
    behavior.add(Position(spatial_series=series))
    _add_units(nwbfile, _spikes(rng, times, velocity, 6), duration_s)
    return _write(nwbfile, path)


def write_without(path: Path, missing: str, duration_s: float = 10.0) -> Path:
    """An MC_Maze-like file without its ``units``, its ``processing/behavior`` module, or
    any kinematics in it (eye position only)."""
    rng = np.random.default_rng(3)
    times, velocity = _kinematics(rng, duration_s)
    nwbfile = _nwbfile("Jenkins", "test")
    if missing != "behavior":
        behavior = nwbfile.create_processing_module("behavior", "processed behavioral data")
        name = "eye_pos" if missing == "kinematics" else "hand_vel"
        behavior.add(TimeSeries(name=name, data=velocity, timestamps=times, unit="mm"))
    if missing != "units":
        _add_units(nwbfile, _spikes(rng, times, velocity, 4), duration_s)
    return _write(nwbfile, path)


def _write(nwbfile: NWBFile, path: Path) -> Path:
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwbfile)
    return path
