"""Synthetic generator: conditions, determinism, realistic rates, kinematics, decodability."""

import numpy as np
import pytest

from rat_lava.data.splits import chronological_split
from rat_lava.data.synthetic import (
    MIN_RATE_HZ,
    REACH_RADIUS_MM,
    SessionSpec,
    SyntheticConfig,
    generate_synthetic,
)
from rat_lava.errors import DataError


@pytest.fixture(scope="module")
def sessions():
    return generate_synthetic(0)


def _history(spikes, rows, chunks=5, chunk_steps=5):
    """Counts in ``chunks`` consecutive 20 ms chunks ending at each row (100 ms), plus 1."""
    cum = np.concatenate([np.zeros((1, spikes.shape[1])), np.cumsum(spikes, axis=0)])
    hi = rows[:, None] + 1 - chunk_steps * np.arange(chunks)[None, :]
    lo = np.clip(hi - chunk_steps, 0, None)
    feats = cum[np.clip(hi, 0, None)] - cum[lo]  # (rows, chunks, C)
    return np.hstack([feats.reshape(len(rows), -1), np.ones((len(rows), 1))])


def _r2(truth, prediction):
    residual = ((truth - prediction) ** 2).sum(axis=0)
    return 1 - residual / ((truth - truth.mean(axis=0)) ** 2).sum(axis=0)


def test_default_conditions(sessions):
    summary = [(s.condition, s.task, s.n_channels, s.n_steps) for s in sessions]
    assert summary == [
        ("A/1", "center-out", 96, 60000),
        ("A/2", "center-out", 96, 30000),
        ("A/3", "center-out", 96, 30000),
        ("B/1", "random-target", 80, 30000),
        ("B/2", "maze", 80, 30000),
    ]
    assert all(s.dt == 0.004 and s.source == "synthetic:0" for s in sessions)


def test_same_seed_same_data_other_seed_other_data(sessions):
    config = SyntheticConfig(sessions=(SessionSpec("A", "1", "center-out", 240.0),))
    again = generate_synthetic(0, config)[0]
    np.testing.assert_array_equal(again.spikes, sessions[0].spikes)
    np.testing.assert_array_equal(again.velocity, sessions[0].velocity)
    other = generate_synthetic(1, config)[0]
    assert not np.array_equal(other.spikes, sessions[0].spikes)


def test_firing_rates_and_speeds_are_realistic(sessions):
    for s in sessions:
        rates = s.spikes.mean(axis=0) / s.dt  # Hz per channel
        assert rates.min() > 0.3 and rates.max() < 40, s.condition
        assert 5 < rates.mean() < 15, s.condition
        speed = np.linalg.norm(s.velocity, axis=1)  # mm/s
        assert 150 < speed.max() < 400 and 40 < speed.mean() < 150, s.condition


def test_task_kinematics(sessions):
    def positions(s):
        return np.cumsum(s.velocity * s.dt, axis=0)

    center_out, random_target, maze = sessions[0], sessions[3], sessions[4]
    radius = np.linalg.norm(positions(center_out), axis=1)
    assert abs(radius.max() - REACH_RADIUS_MM) < 2  # reaches to the ring, returns to 0
    assert (radius < 1).mean() > 0.2
    assert np.abs(positions(random_target)).max() < 101  # inside the +-100 mm workspace
    assert (np.linalg.norm(positions(random_target), axis=1) < 1).mean() < 0.05
    # maze reaches bulge sideways: the path is longer than the straight 2 x 80 mm per trial
    path = np.linalg.norm(maze.velocity, axis=1).sum() * maze.dt
    n_reaches = np.count_nonzero(np.diff((np.linalg.norm(positions(maze), axis=1) > 40) * 1) > 0)
    assert path / n_reaches > 1.05 * 2 * REACH_RADIUS_MM


def test_units_are_lost_and_gained_between_sessions(sessions):
    def silent(s):
        return set(np.flatnonzero(s.spikes.mean(axis=0) / s.dt < 2 * MIN_RATE_HZ))

    first, second = silent(sessions[0]), silent(sessions[1])
    assert first and second and first - second and second - first


def test_linear_decoder_with_100ms_history_decodes_target_and_suffers_drift(sessions):
    target = sessions[0]
    split = chronological_split(target)
    a, b = split.train.n_steps, split.train.n_steps + split.val.n_steps
    train_rows = np.arange(20, a, 2)
    weights = np.linalg.lstsq(
        _history(target.spikes, train_rows), target.velocity[train_rows], rcond=None
    )[0]
    test_rows = np.arange(b, target.n_steps)
    within = _r2(target.velocity[test_rows], _history(target.spikes, test_rows) @ weights)
    assert 0.5 < within.mean() < 0.9, within  # measured 0.75 (seed 0)
    later = sessions[1]
    rows = np.arange(20, later.n_steps, 2)
    across = _r2(later.velocity[rows], _history(later.spikes, rows) @ weights)
    assert across.mean() < within.mean() - 0.1, (within, across)  # measured 0.60 on A/2


def test_50ms_bins_keep_rates_and_decodability():
    config = SyntheticConfig(dt=0.05, sessions=(SessionSpec("A", "1", "center-out", 240.0),))
    s = generate_synthetic(0, config)[0]
    assert (s.n_steps, s.n_channels, s.dt) == (4800, 96, 0.05)
    assert 5 < s.spikes.mean() / s.dt < 15
    split = chronological_split(s)
    a, b = split.train.n_steps, split.train.n_steps + split.val.n_steps
    rows = np.arange(s.n_steps)
    features = _history(s.spikes, rows, chunks=2, chunk_steps=1)  # 100 ms
    weights = np.linalg.lstsq(features[:a], s.velocity[:a], rcond=None)[0]
    assert _r2(s.velocity[b:], features[b:] @ weights).mean() > 0.5


@pytest.mark.parametrize(
    ("seed", "config", "message"),
    [
        (-1, None, "non-negative integer"),
        (0, SyntheticConfig(dt=0.0), "dt must be a positive"),
        (0, SyntheticConfig(sessions=(SessionSpec("A", "1", "juggling", 10.0),)), "unknown"),
        (0, SyntheticConfig(sessions=(SessionSpec("C", "1", "maze", 10.0),)), "'C' has no"),
        (0, SyntheticConfig(sessions=(SessionSpec("A", "1", "maze", 0.001),)), "shorter than"),
    ],
)
def test_bad_configs_raise(seed, config, message):
    with pytest.raises(DataError, match=message):
        generate_synthetic(seed, config)
