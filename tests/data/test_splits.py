"""Chronological splits and training windows, including the no-leakage guarantee."""

import numpy as np
import pytest

from rat_lava.constants import WINDOW_STEPS, WINDOW_STRIDE
from rat_lava.data.session import Session
from rat_lava.data.splits import Split, chronological_split, training_windows
from rat_lava.errors import DataError


def _clock_session(n_steps):
    """Channel 0 holds the step index, so every window tells where it came from."""
    spikes = np.zeros((n_steps, 2), np.int32)
    spikes[:, 0] = np.arange(n_steps)
    velocity = np.stack([np.arange(n_steps), -np.arange(n_steps)], axis=1).astype(np.float32)
    return Session(spikes, velocity, 0.004, "A", "1", "center-out", source="clock.npz")


def test_split_is_contiguous_in_time_order_and_keeps_ids():
    s = _clock_session(1000)
    split = chronological_split(s)
    assert isinstance(split, Split)
    assert [p.n_steps for p in (split.train, split.val, split.test)] == [700, 100, 200]
    joined = np.concatenate([split.train.spikes, split.val.spikes, split.test.spikes])
    np.testing.assert_array_equal(joined, s.spikes)
    assert {p.condition for p in (split.train, split.val, split.test)} == {"A/1"}


def test_split_rounds_boundaries_to_whole_steps():
    split = chronological_split(_clock_session(101), (0.5, 0.25, 0.25))
    assert [p.n_steps for p in (split.train, split.val, split.test)] == [50, 26, 25]


@pytest.mark.parametrize(
    ("fractions", "message"),
    [
        ((0.7, 0.2, 0.2), "sum to 1"),
        ((0.8, 0.2), "three positive numbers"),
        ((1.2, -0.1, -0.1), "three positive numbers"),
        ((0.7, 0.3, 0.0), "three positive numbers"),
    ],
)
def test_bad_fractions_raise(fractions, message):
    with pytest.raises(DataError, match=message):
        chronological_split(_clock_session(100), fractions)


def test_too_short_session_cannot_be_split():
    with pytest.raises(DataError, match="clock.npz: 3 steps are too few"):
        chronological_split(_clock_session(3))


def test_windows_overlap_by_stride_and_have_contract_dtypes():
    spikes, velocity = training_windows(_clock_session(1100))
    assert (WINDOW_STEPS, WINDOW_STRIDE) == (500, 250)
    assert spikes.shape == (3, 500, 2) and velocity.shape == (3, 500, 2)
    assert spikes.dtype == np.int32 and velocity.dtype == np.float32
    np.testing.assert_array_equal(spikes[:, 0, 0], [0, 250, 500])
    np.testing.assert_array_equal(spikes[1, :, 0], np.arange(250, 750))
    np.testing.assert_array_equal(velocity[2, -1], [999, -999])


def test_windows_come_only_from_the_train_part():
    split = chronological_split(_clock_session(5000))
    spikes, velocity = training_windows(split.train, 400, 100)
    seen = np.unique(spikes[:, :, 0])
    held_out = np.concatenate([split.val.spikes[:, 0], split.test.spikes[:, 0]])
    assert seen.max() < split.train.n_steps == 3500
    assert not np.isin(held_out, seen).any()
    assert np.isin(np.abs(velocity[..., 1]), held_out).sum() == 0


def test_session_shorter_than_a_window_raises():
    with pytest.raises(DataError, match="clock.npz: A/1 has 499 steps, fewer than one training"):
        training_windows(_clock_session(499))
    with pytest.raises(DataError, match="length and stride"):
        training_windows(_clock_session(600), 500, 0)
