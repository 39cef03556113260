"""The field's formats end to end, as a user runs them: an NWB file in a DANDI layout and a
Zenodo file under ``--protocol neurobench``; train ridge and the RAT, export, decode in Lava."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rat_lava.data.neurobench import load_neurobench_session
from rat_lava.data.nwb import load_nwb
from rat_lava.data.splits import chronological_split
from rat_lava.metrics import r2_score
from rat_lava.runs.runfile import read_run
from rat_lava.train.checkpoint import load_checkpoint
from tests.data.test_neurobench_protocol import reaching_file
from tests.helpers.cli import assert_user_error, run_cli
from tests.helpers.nwb_layout import write_mc_maze, write_without

TRAIN = ("--epochs", "1", "--no-progress")


def _ok(result):
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def _train_export_run(tmp_path, data, *options):
    """ridge and the RAT trained on ``data``, the RAT exported and decoded in Lava sim-fixed."""
    ridge = _ok(run_cli("train", "--model", "ridge", "--data", data, "--out", tmp_path, *options))
    _ok(run_cli("train", "--model", "rat", "--data", data, "--out", tmp_path, *options, *TRAIN))
    net, run = tmp_path / "rat.net", tmp_path / "run.h5"
    _ok(run_cli("export", tmp_path / "rat.pt", "--out", net))
    ran = _ok(run_cli("run", net, "--data", data, "--network-model", "fused", "--out", run))
    return ridge, ran, read_run(run)


@pytest.mark.slow
def test_nwb_trains_and_decodes_in_lava(tmp_path):
    data = write_mc_maze(tmp_path / "sub-Jenkins_ses-full_desc-train_behavior+ecephys.nwb")
    ridge, ran, run = _train_export_run(tmp_path, data, "--bin-ms", "20")
    test = chronological_split(load_nwb(data, dt=0.02)).test
    ridge_r2 = float(ridge.split("test R2 = ")[1].split()[0])
    assert ridge_r2 > 0.3  # the units are tuned to the hand velocity
    assert run.meta["dt"] == 0.02 and run.meta["protocol"] == "rat-lava"
    np.testing.assert_array_equal(run.ground_truth, test.velocity)
    assert f"R2 = {r2_score(test.velocity, run.velocity).mean:.4f}" in ran
    info = _ok(run_cli("info", data))
    assert "units: 12" in info and "hand_vel" in info


@pytest.mark.slow
def test_bad_nwb_files_end_in_one_message(tmp_path):
    for missing, fragment in [("units", "has no units"), ("kinematics", "no kinematics")]:
        path = write_without(tmp_path / f"no-{missing}.nwb", missing)
        result = run_cli("train", "--model", "ridge", "--data", path, "--out", tmp_path)
        assert_user_error(result, str(path), fragment)
    junk = tmp_path / "junk.nwb"
    junk.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(100))
    assert_user_error(run_cli("info", junk), str(junk))


@pytest.mark.slow
def test_neurobench_protocol_trains_runs_and_evaluates(tmp_path):
    data = reaching_file(tmp_path / "indy_20160622_01.mat", n=6000)
    protocol = ("--protocol", "neurobench")
    ridge, ran, run = _train_export_run(tmp_path, data, *protocol)
    test = chronological_split(load_neurobench_session(data)).test
    assert run.meta["protocol"] == "neurobench" and run.steps == test.n_steps
    np.testing.assert_array_equal(run.ground_truth, test.velocity)
    meta = load_checkpoint(tmp_path / "rat.pt")["meta"]
    assert meta["protocol"] == "neurobench" and meta["dt"] == 0.004
    scored = _ok(run_cli("evaluate", tmp_path / "run.h5"))
    assert "neurobench protocol" in scored
    assert "neurobench protocol" in _ok(run_cli("evaluate", tmp_path / "ridge.pt"))
    # the protocol travels with the network; another one is refused
    refused = run_cli(
        "run", tmp_path / "rat.net", "--data", data, "--protocol", "rat-lava", "--out", tmp_path
    )
    assert_user_error(refused, "trained under the 'neurobench' protocol")
    assert_user_error(
        run_cli("evaluate", tmp_path / "run.h5", "--protocol", "rat-lava"), "--protocol neurobench"
    )
    # the protocol reads the Zenodo files only
    assert_user_error(
        run_cli("train", "--model", "ridge", "--data", "synthetic", *protocol, "--out", tmp_path),
        "Zenodo 583331",
    )


def test_bin_width_only_for_files_of_spike_times(tmp_path):
    result = run_cli(
        "train", "--model", "ridge", "--data", "s1", "--bin-ms", "10", "--out", tmp_path
    )
    assert_user_error(result, "--bin-ms applies to files of spike times")
    shipped = Path(__file__).resolve().parents[2] / "netx_exports" / "rat_small_s1.net"
    assert_user_error(run_cli("info", shipped, "--bin-ms", "5"), ".nwb")
