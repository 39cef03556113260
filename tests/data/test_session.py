import numpy as np
import pytest

from rat_lava.data.session import Session
from rat_lava.errors import DataError


def make(spikes=None, velocity=None, dt=0.004):
    spikes = np.zeros((10, 3), np.int64) if spikes is None else spikes
    velocity = np.zeros((10, 2)) if velocity is None else velocity
    return Session(spikes, velocity, dt, "s", "x", "t", source="f.npz")


def test_valid_session_is_normalised_to_int32_and_float32():
    s = make(spikes=np.ones((10, 3), np.float64) * 2)
    assert s.spikes.dtype == np.int32 and s.velocity.dtype == np.float32
    assert (s.n_steps, s.n_channels, s.condition) == (10, 3, "s/x")
    part = s.slice(2, 5)
    assert part.n_steps == 3 and part.condition == s.condition


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"spikes": np.zeros(10)}, "2-D"),
        ({"velocity": np.zeros((10, 3))}, "T x 2"),
        ({"velocity": np.zeros((9, 2))}, "9 steps but spikes have 10"),
        ({"spikes": np.full((10, 3), -1)}, "non-negative"),
        ({"spikes": np.full((10, 3), np.nan)}, "NaN"),
        ({"spikes": np.full((10, 3), 0.5)}, "whole numbers"),
        ({"velocity": np.full((10, 2), np.inf)}, "finite"),
        ({"dt": 0.0}, "dt"),
        ({"spikes": np.zeros((0, 3)), "velocity": np.zeros((0, 2))}, "empty"),
    ],
)
def test_bad_values_raise_data_error_naming_the_source(kwargs, message):
    with pytest.raises(DataError, match=message) as info:
        make(**kwargs)
    assert str(info.value).startswith("f.npz:")
