"""Seeded synthetic multi-condition reaching data: Poisson units tuned to hand velocity.

Each recording channel of a subject carries at most one unit whose rate (Hz) is
``max(MIN_RATE_HZ, b + m * (v . u) / V_REF + s * |v| / V_REF)`` with ``v`` the velocity
(mm/s) ``lag_s`` seconds later (neurons lead movement, so a causal decoder can use it),
``u`` the unit's preferred direction, ``b`` a baseline, ``m`` a cosine depth and ``s`` a speed
gain, all multiplied by a slow gain shared by the population. Channels without a unit fire
untuned noise at ``MIN_RATE_HZ``; counts are Poisson. Between consecutive
sessions of a subject the population drifts: preferred directions rotate (a common angle
plus per-unit jitter), gains change, some units are lost and new ones appear.

Kinematics are sequences of minimum-jerk movements (``s(x) = 10x^3 - 15x^4 + 6x^5``) and
holds: "center-out" reaches to 8 targets on a circle and back, "random-target" reaches
between random points of a square workspace, "maze" curved reaches (a sideways bump
``h sin(pi s)`` on the straight path). Session velocity is the analytic velocity at bin
centres, in mm/s.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from rat_lava.constants import DEFAULT_DT
from rat_lava.data.session import Session
from rat_lava.errors import DataError

TASKS = ("center-out", "random-target", "maze")
V_REF = 200.0
"""Reference speed (mm/s) at which tuning depths are expressed; about a peak reach speed."""
MIN_RATE_HZ = 0.5
"""Floor of every firing rate and rate of channels without a unit (Hz)."""
GAIN_KNOT_S = 0.5
"""Spacing (s) of the random knots of the shared gain, linearly interpolated between."""
REACH_RADIUS_MM = 80.0
"""Distance (mm) of the 8 center-out and maze targets from the centre."""
WORKSPACE_HALF_MM = 100.0
"""Random targets lie in the square [-WORKSPACE_HALF_MM, WORKSPACE_HALF_MM]^2 (mm)."""


@dataclass(frozen=True)
class SessionSpec:
    """One synthetic recording: ids, task (one of TASKS) and duration in seconds."""

    subject: str
    session: str
    task: str
    duration_s: float


DEFAULT_SESSIONS = (
    SessionSpec("A", "1", "center-out", 240.0),
    SessionSpec("A", "2", "center-out", 120.0),
    SessionSpec("A", "3", "center-out", 120.0),
    SessionSpec("B", "1", "random-target", 120.0),
    SessionSpec("B", "2", "maze", 120.0),
)


@dataclass(frozen=True)
class SyntheticConfig:
    """What to generate. The first session is the target of single-session training.

    Attributes:
        sessions: recordings in output order; sessions of one subject drift in this order.
        channels: number of recording channels per subject.
        dt: bin width in seconds.
        lag_s: how long neural activity leads the velocity it encodes, in seconds.
        rotation_deg: s.d. of the common rotation of preferred directions per session (deg).
        unit_rotation_deg: s.d. of each unit's own extra rotation per session (deg).
        gain_sd: s.d. of the log change of each unit's rates per session.
        turnover: fraction of channels per session that lose their unit, and (as far as
            channels without a unit allow) that gain a new one.
        empty_fraction: fraction of channels without a unit in a subject's first session.
        shared_gain_sd: s.d. of a slow (GAIN_KNOT_S) log gain shared by all units, the
            population-wide rate fluctuation that velocity does not explain.
    """

    sessions: tuple[SessionSpec, ...] = DEFAULT_SESSIONS
    channels: Mapping[str, int] = field(default_factory=lambda: {"A": 96, "B": 80})
    dt: float = DEFAULT_DT
    lag_s: float = 0.08
    rotation_deg: float = 20.0
    unit_rotation_deg: float = 20.0
    gain_sd: float = 0.25
    turnover: float = 0.15
    empty_fraction: float = 0.1
    shared_gain_sd: float = 0.3


@dataclass
class _Population:
    """Tuning of one unit per channel (C,): alive flag, rates in Hz, preferred direction (rad)."""

    alive: np.ndarray
    baseline: np.ndarray
    depth: np.ndarray
    speed_gain: np.ndarray
    direction: np.ndarray


def generate_synthetic(seed: int = 0, config: SyntheticConfig | None = None) -> list[Session]:
    """Generate the sessions of ``config`` (default: SyntheticConfig()) from ``seed``.

    The output is a deterministic function of (seed, config). Each Session holds spikes
    (T, C) counts per bin with T = floor(duration_s / dt) and velocity (T, 2) in mm/s.
    """
    cfg = config or SyntheticConfig()
    _validate(seed, cfg)
    rngs: dict[str, np.random.Generator] = {}
    populations: dict[str, _Population] = {}
    sessions = []
    for spec in cfg.sessions:
        if spec.subject not in rngs:
            rngs[spec.subject] = np.random.default_rng([seed, len(rngs)])
            populations[spec.subject] = _new_population(
                rngs[spec.subject], cfg.channels[spec.subject], cfg.empty_fraction
            )
        else:
            _drift(populations[spec.subject], rngs[spec.subject], cfg)
        sessions.append(_record(spec, populations[spec.subject], rngs[spec.subject], cfg, seed))
    return sessions


def _validate(seed: int, cfg: SyntheticConfig) -> None:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise DataError(f"synthetic seed must be a non-negative integer, got {seed!r}")
    if not (np.isfinite(cfg.dt) and cfg.dt > 0):
        raise DataError(f"synthetic dt must be a positive number of seconds, got {cfg.dt}")
    if not cfg.sessions:
        raise DataError("synthetic config lists no sessions")
    if not (0 <= cfg.turnover <= 1 and 0 <= cfg.empty_fraction < 1 and cfg.lag_s >= 0):
        raise DataError("synthetic turnover, empty_fraction and lag_s are out of range")
    for spec in cfg.sessions:
        if spec.task not in TASKS:
            raise DataError(f"unknown synthetic task {spec.task!r}; choose one of {TASKS}")
        if cfg.channels.get(spec.subject, 0) < 1:
            raise DataError(f"synthetic subject {spec.subject!r} has no channel count")
        if not spec.duration_s >= cfg.dt:
            raise DataError(f"synthetic session {spec} is shorter than one bin")


def _new_units(rng: np.random.Generator, n: int) -> tuple[np.ndarray, ...]:
    """Baseline (Hz), cosine depth (Hz at V_REF), speed gain (Hz at V_REF), direction (rad)."""
    return (
        rng.uniform(3.0, 15.0, n),
        rng.uniform(3.0, 12.0, n),
        rng.uniform(0.0, 6.0, n),
        rng.uniform(0.0, 2 * np.pi, n),
    )


def _new_population(rng: np.random.Generator, n: int, empty_fraction: float) -> _Population:
    return _Population(rng.random(n) >= empty_fraction, *_new_units(rng, n))


def _drift(pop: _Population, rng: np.random.Generator, cfg: SyntheticConfig) -> None:
    """Move ``pop`` on to the next session: rotate, rescale, lose and gain units."""
    n = pop.alive.size
    rotation = np.deg2rad(rng.normal(0.0, cfg.rotation_deg))
    pop.direction += rotation + np.deg2rad(rng.normal(0.0, cfg.unit_rotation_deg, n))
    for rates in (pop.baseline, pop.depth, pop.speed_gain):
        rates *= np.exp(rng.normal(0.0, cfg.gain_sd, n))
    n_change = round(cfg.turnover * n)
    lost = rng.permutation(np.flatnonzero(pop.alive))[:n_change]
    new = rng.permutation(np.flatnonzero(~pop.alive))[:n_change]
    pop.alive[lost] = False
    pop.alive[new] = True
    for rates, fresh in zip(
        (pop.baseline, pop.depth, pop.speed_gain, pop.direction),
        _new_units(rng, new.size),
        strict=True,
    ):
        rates[new] = fresh


def _record(
    spec: SessionSpec, pop: _Population, rng: np.random.Generator, cfg: SyntheticConfig, seed: int
) -> Session:
    """Kinematics and Poisson spike counts of one session."""
    n_steps = int(np.floor(spec.duration_s / cfg.dt + 1e-9))
    centres = (np.arange(n_steps) + 0.5) * cfg.dt
    movement = _movements(spec.task, spec.duration_s + cfg.lag_s + 1.0, rng)
    velocity = _velocity(movement, centres)
    future = _velocity(movement, centres + cfg.lag_s) / V_REF
    preferred = np.stack([np.cos(pop.direction), np.sin(pop.direction)])
    rate = (
        pop.baseline
        + (future @ preferred) * pop.depth
        + np.linalg.norm(future, axis=1, keepdims=True) * pop.speed_gain
    )
    knots = np.arange(0.0, spec.duration_s + 2 * GAIN_KNOT_S, GAIN_KNOT_S)
    gain = np.exp(cfg.shared_gain_sd * np.interp(centres, knots, rng.normal(size=knots.size)))
    rate = np.where(pop.alive, np.maximum(rate * gain[:, None], MIN_RATE_HZ), MIN_RATE_HZ)
    spikes = rng.poisson(rate * cfg.dt).astype(np.int32)
    return Session(
        spikes, velocity, cfg.dt, spec.subject, spec.session, spec.task, f"synthetic:{seed}"
    )


class _Path:
    """Builds movement segments: rows (t_start s, length s, dx mm, dy mm, bump_x mm, bump_y mm).

    A segment moves by (dx, dy) along a minimum-jerk profile over ``length`` seconds, plus a
    sideways bump vector; holds have zero displacement.
    """

    def __init__(self) -> None:
        self.rows: list[tuple[float, ...]] = []
        self.here = np.zeros(2)
        self.clock = 0.0

    def move(self, goal: np.ndarray, length_s: float, bump_mm: float = 0.0) -> None:
        delta = goal - self.here
        normal = np.array([-delta[1], delta[0]]) / max(float(np.linalg.norm(delta)), 1e-9)
        self.rows.append((self.clock, length_s, *delta, *(bump_mm * normal)))
        self.here, self.clock = goal, self.clock + length_s

    def hold(self, length_s: float) -> None:
        self.move(self.here, length_s)


def _movements(task: str, duration_s: float, rng: np.random.Generator) -> np.ndarray:
    """Movement segments (see _Path) of ``task`` covering at least ``duration_s`` seconds."""
    path = _Path()
    curved = task == "maze"
    reach_s = (0.8, 1.1) if curved else (0.5, 0.8)
    angles = np.arange(8) * np.pi / 4
    while path.clock < duration_s:
        if task == "random-target":
            goal = rng.uniform(-WORKSPACE_HALF_MM, WORKSPACE_HALF_MM, 2)
            path.move(goal, 0.35 + float(np.linalg.norm(goal - path.here)) / 250.0)
            path.hold(rng.uniform(0.05, 0.3))
            continue
        angle = rng.choice(angles)
        target = REACH_RADIUS_MM * np.array([np.cos(angle), np.sin(angle)])
        for goal, pause in ((target, (0.3, 0.6)), (np.zeros(2), (0.2, 0.4))):
            path.hold(rng.uniform(*pause))
            bump = rng.choice([-1.0, 1.0]) * rng.uniform(20.0, 40.0) if curved else 0.0
            path.move(goal, rng.uniform(*reach_s), bump)
    return np.array(path.rows)


def _velocity(segments: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Velocity (len(times), 2) in mm/s of the segment path at ``times`` (seconds)."""
    index = np.searchsorted(segments[:, 0], times, side="right") - 1
    seg = segments[index]
    x = np.clip((times - seg[:, 0]) / seg[:, 1], 0.0, 1.0)
    progress = x**3 * (10 - 15 * x + 6 * x**2)
    rate = 30 * x**2 * (1 - x) ** 2 / seg[:, 1]
    along = seg[:, 2:4] + np.pi * np.cos(np.pi * progress)[:, None] * seg[:, 4:6]
    return along * rate[:, None]
