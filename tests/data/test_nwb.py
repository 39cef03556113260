"""NWB input: DANDI 000128 / 000129 / 000140 layouts written with pynwb, and bad files."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from rat_lava.data.nwb import describe_nwb, load_nwb, read_nwb
from rat_lava.data.sources import load_data
from rat_lava.errors import DataError
from rat_lava.metrics import r2_score
from tests.helpers.nwb_layout import (
    write_mc_maze,
    write_mc_rtt,
    write_position_only,
    write_without,
)


def test_mc_maze_bins_units_and_hand_velocity(tmp_path):
    path = write_mc_maze(tmp_path / "sub-Jenkins_ses-full_desc-train_behavior+ecephys.nwb")
    contents = read_nwb(path)
    session = load_nwb(path, dt=0.02)
    assert (session.subject, session.session, session.dt) == ("Jenkins", "full", 0.02)
    assert contents.kinematics == "hand_vel" and contents.is_velocity
    assert session.n_channels == 12 and session.n_steps == int(np.floor(39.999 / 0.02))
    # counts: every spike inside the binned span, per unit
    edges = contents.times[0] + 0.02 * np.arange(session.n_steps + 1)
    for unit, times in enumerate(contents.spike_times):
        inside = (times >= edges[0]) & (times < edges[-1])
        assert session.spikes[:, unit].sum() == inside.sum()
    # velocity per bin: the mean of the 1 kHz velocity over the bin
    samples = contents.xy[: session.n_steps * 20].reshape(session.n_steps, 20, 2)
    inner = samples[1:-1].mean(axis=1)
    assert np.allclose(session.velocity[1:-1], inner, atol=2.0)
    assert len(contents.trials) == 19 and "hand_pos" in contents.others


def test_mc_maze_small_reads_like_mc_maze(tmp_path):
    path = write_mc_maze(tmp_path / "sub-Jenkins_ses-small.nwb", duration_s=12, session="small")
    (session,) = load_data(str(path))
    assert session.condition == "Jenkins/small" and session.dt == 0.004


def test_mc_rtt_finger_velocity_with_untracked_samples(tmp_path):
    path = write_mc_rtt(tmp_path / "sub-Indy_desc-train_behavior+ecephys.nwb")
    contents = read_nwb(path)
    assert contents.kinematics == "finger_vel" and contents.unit == "cm/s"
    assert contents.times[0] == pytest.approx(0.040)  # the 40 NaN samples are left out
    session = load_nwb(path, dt=0.05)
    assert np.all(np.isfinite(session.velocity)) and session.condition == "Indy/20160627_01"


def test_position_is_differentiated(tmp_path):
    path = write_position_only(tmp_path / "pos.nwb")
    contents = read_nwb(path)
    assert contents.kinematics == "hand_pos" and not contents.is_velocity
    session = load_nwb(path, dt=0.01)
    step = contents.xy[10] - contents.xy[0]
    assert np.allclose(session.velocity[0], step / 0.01)


def test_spikes_predict_velocity(tmp_path):
    """The tuned units carry the velocity: a least-squares fit on counts explains much of it."""
    session = load_nwb(write_mc_maze(tmp_path / "m.nwb", n_units=24), dt=0.05)
    counts = np.column_stack([session.spikes, np.ones(session.n_steps)])
    fit = np.linalg.lstsq(counts, session.velocity, rcond=None)[0]
    assert r2_score(session.velocity, counts @ fit).mean > 0.5


def test_describe(tmp_path):
    text = describe_nwb(write_mc_maze(tmp_path / "m.nwb"), dt=0.004)
    assert "units: 12" in text and "processing/behavior/hand_vel (velocity" in text
    assert "trials: 19" in text and "bins: 9999 of 4 ms" in text


@pytest.mark.parametrize(
    ("missing", "fragment"),
    [
        ("units", "has no units"),
        ("behavior", "no kinematics: processing/behavior holds nothing"),
        ("kinematics", "no kinematics: processing/behavior holds eye_pos"),
    ],
)
def test_file_without_units_or_kinematics(tmp_path, missing, fragment):
    path = write_without(tmp_path / f"no-{missing}.nwb", missing)
    with pytest.raises(DataError, match=fragment):
        load_nwb(path)


def test_not_nwb_files(tmp_path):
    text = tmp_path / "notes.nwb"
    text.write_text("not an NWB file")
    with pytest.raises(DataError, match="not an NWB file"):
        load_nwb(text)
    plain = tmp_path / "plain.nwb"
    with h5py.File(plain, "w") as handle:
        handle["x"] = np.arange(3)
    with pytest.raises(DataError, match="not a readable NWB file"):
        load_nwb(plain)
    good = write_mc_maze(tmp_path / "m.nwb", duration_s=10)
    cut = tmp_path / "cut.nwb"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(DataError, match=str(cut)):
        load_nwb(cut)
