"""Zenodo 583331 `.mat` loader on tiny files written in the exact MATLAB v7.3 layout."""

import h5py
import numpy as np
import pytest

from rat_lava.data.zenodo import load_zenodo_mat
from rat_lava.errors import DataError
from tests.helpers.hdf5_edits import Dangle, Drop, NullRef, Replace
from tests.helpers.zenodo_layout import USERBLOCK, write_zenodo_mat

# Samples every 0.25 s from t = 10 s: with dt = 0.25 s the bin edges are exactly these times
# (binary fractions, so "on an edge" is exact) and there are 8 bins.
T = 10.0 + 0.25 * np.arange(9)
X = np.array([0.0, 1, 3, 6, 10, 15, 21, 28, 36])  # mm
Y = -2.0 * np.arange(9)  # mm
SPIKES = [
    # channel 1: 10.1 -> bin 0; 10.25 on the edge -> bin 1; 10.3 -> bin 1; 11.99 -> bin 7
    [np.array([10.1, 10.25, 10.3, 11.99]), None],
    # channel 2: 9.9 before the first bin and 12.0 (the last edge) / 12.5 after: dropped;
    # 10.5 on an edge -> bin 2
    [None, np.array([9.9, 10.5, 12.0, 12.5])],
    # channel 3: two units; 10.6, 10.7 -> bin 2 and 10.8 -> bin 3
    [np.array([10.6]), np.array([10.7, 10.8])],
]


@pytest.fixture
def mat(tmp_path):
    return write_zenodo_mat(tmp_path / "indy_20160622_01.mat", T, np.column_stack([X, Y]), SPIKES)


def test_helper_writes_the_matlab_v73_layout(mat):
    header = mat.read_bytes()[:USERBLOCK]
    assert header.startswith(b"MATLAB 7.3 MAT-file") and header[124:128] == b"\x00\x02IM"
    with h5py.File(mat, "r") as f:
        assert f["spikes"].shape == (2, 3)  # MATLAB channels x units, transposed
        assert f["spikes"].attrs["MATLAB_class"] == b"cell"
        assert f["cursor_pos"].shape == (2, 9) and f["t"].shape == (1, 9)
        assert f["chan_names"].shape == (1, 3)
        empty = f[f["spikes"][1, 0]]
        assert empty.attrs["MATLAB_empty"] == 1 and empty.dtype == np.uint64
        name = f[f["chan_names"][0, 0]]
        assert "".join(map(chr, name[()].ravel())) == "elec1"


def test_merged_counts_and_velocity_match_hand_computation(mat):
    s = load_zenodo_mat(mat, dt=0.25)
    expected = np.array(
        [
            [1, 2, 0, 0, 0, 0, 0, 1],
            [0, 0, 1, 0, 0, 0, 0, 0],
            [0, 0, 2, 1, 0, 0, 0, 0],
        ]
    ).T
    np.testing.assert_array_equal(s.spikes, expected)
    # (x[k+1] - x[k]) / 0.25 s: 1, 2, 3, ... mm per 0.25 s
    np.testing.assert_allclose(s.velocity[:, 0], [4, 8, 12, 16, 20, 24, 28, 32])
    np.testing.assert_allclose(s.velocity[:, 1], np.full(8, -8.0))
    assert (s.subject, s.session, s.task, s.dt) == ("indy", "20160622_01", "random-target", 0.25)
    assert s.source == str(mat)


def test_unmerged_units_are_channel_major_and_skip_empty_cells(mat):
    s = load_zenodo_mat(mat, dt=0.25, merge_units=False)
    expected = np.array(
        [
            [1, 2, 0, 0, 0, 0, 0, 1],  # channel 1, unit 1
            [0, 0, 1, 0, 0, 0, 0, 0],  # channel 2, unit 2
            [0, 0, 1, 0, 0, 0, 0, 0],  # channel 3, unit 1
            [0, 0, 1, 1, 0, 0, 0, 0],  # channel 3, unit 2
        ]
    ).T
    np.testing.assert_array_equal(s.spikes, expected)


def test_velocity_interpolates_position_between_samples(tmp_path):
    # Samples at 0, 0.25, 0.5 s; bins of 0.125 s: x at the edges is 0, 0.5, 1, 2, 3 mm.
    t = np.array([0.0, 0.25, 0.5])
    pos = np.array([[0.0, 0.0], [1.0, 0.0], [3.0, 2.0]])
    path = write_zenodo_mat(tmp_path / "loco_20170210_03.mat", t, pos, [[np.array([0.2])]])
    s = load_zenodo_mat(path, dt=0.125)
    np.testing.assert_allclose(s.velocity, [[4, 0], [4, 0], [8, 8], [8, 8]])
    np.testing.assert_array_equal(s.spikes[:, 0], [0, 1, 0, 0])
    assert (s.subject, s.session) == ("loco", "20170210_03")


def test_default_dt_bins_4ms_over_the_span_of_t(tmp_path):
    rng = np.random.default_rng(0)
    t = 0.004 * np.arange(2501)  # 10 s of 4 ms samples: 2500 bins
    times = np.sort(rng.uniform(0.0, 9.999, size=(2, 300)), axis=1)
    path = write_zenodo_mat(
        tmp_path / "indy_20170131_02.mat",
        t,
        np.column_stack([np.sin(t), np.cos(t)]) * 50,
        [[times[0], None], [None, times[1]]],
    )
    s = load_zenodo_mat(path)
    assert s.spikes.shape == (2500, 2) and s.dt == 0.004
    np.testing.assert_array_equal(s.spikes.sum(axis=0), [300, 300])
    # mean velocity over a bin of a 50 mm sine: close to the derivative at the bin centre
    np.testing.assert_allclose(s.velocity[:, 0], 50 * np.cos(t[:-1] + 0.002), atol=1e-3)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda p: p.unlink(), "file not found"),
        (lambda p: p.write_text("not a mat file"), "not a MATLAB v7.3 (HDF5) file"),
        (lambda p: p.write_bytes(b"MATLAB 5.0 MAT-file" + bytes(200)), "not a MATLAB v7.3"),
        (lambda p: p.write_bytes(p.read_bytes()[:-2000]), "file is truncated"),
        (Drop("cursor_pos").apply, "dataset 'cursor_pos' is missing"),
        (Drop("spikes").apply, "dataset 'spikes' is missing"),
        (Replace("cursor_pos", np.zeros((2, 8))).apply, "'cursor_pos' must have shape"),
        (Replace("t", np.zeros((2, 9))).apply, "'t' must be a vector"),
        (Replace("t", T[::-1][None]).apply, "increasing times"),
        (Replace("cursor_pos", np.full((2, 9), np.nan)).apply, "NaN"),
        (Replace("spikes", np.zeros((2, 3))).apply, "cell array of references"),
        (Replace("chan_names", np.zeros((1, 2))).apply, "'chan_names' has 2"),
        (Dangle(0, 10**9).apply, "(channel 1, unit 1) is a dangling reference"),
        (NullRef(0, 0).apply, "(channel 1, unit 1) is not a valid object reference"),
    ],
)
def test_bad_files_raise_data_error_naming_file_and_problem(mat, damage, message):
    damage(mat)
    with pytest.raises(DataError) as info:
        load_zenodo_mat(mat)
    assert str(info.value).startswith(str(mat)) and message in str(info.value)


def test_nan_spike_times_are_rejected(tmp_path):
    path = write_zenodo_mat(
        tmp_path / "indy_1.mat", T, np.zeros((9, 2)), [[np.array([10.1, np.nan])]]
    )
    with pytest.raises(DataError, match="NaN or infinite spike times"):
        load_zenodo_mat(path)


def test_recording_shorter_than_one_bin_is_rejected(tmp_path):
    path = write_zenodo_mat(tmp_path / "indy_1.mat", [0.0, 0.002], np.zeros((2, 2)), [[None]])
    with pytest.raises(DataError, match="shorter than one bin"):
        load_zenodo_mat(path)
