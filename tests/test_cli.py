"""The `rat-lava` command line, driven as a user drives it: in a subprocess."""

import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from tests.helpers.cli import assert_user_error, run_cli


@pytest.mark.parametrize("command", [[], ["train"], ["evaluate"], ["download"], ["demo"]])
def test_help_everywhere(command):
    result = run_cli(*command, "--help")
    assert result.returncode == 0 and "usage: rat-lava" in result.stdout


def test_console_script_is_installed():
    script = Path(sys.executable).parent / "rat-lava"
    result = subprocess.run([script, "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.startswith("rat-lava ")


def write_npz(path, spikes, velocity, dt=0.004):
    np.savez(path, spikes=spikes, velocity=velocity, dt=dt)
    return path


GOOD_SPIKES = np.ones((600, 4), np.int64)
GOOD_VELOCITY = np.zeros((600, 2))


@pytest.mark.parametrize(
    ("name", "spikes", "velocity", "fragment"),
    [
        ("nan.npz", np.full((600, 4), np.nan), GOOD_VELOCITY, "NaN"),
        ("negative.npz", -GOOD_SPIKES, GOOD_VELOCITY, "non-negative"),
        ("length.npz", GOOD_SPIKES, np.zeros((599, 2)), "599 steps"),
        ("shape.npz", np.ones(600), GOOD_VELOCITY, "2-D"),
    ],
)
def test_bad_npz_data(tmp_path, name, spikes, velocity, fragment):
    path = write_npz(tmp_path / name, spikes, velocity)
    out = tmp_path / "out"
    result = run_cli("train", "--model", "ridge", "--data", path, "--out", out)
    assert_user_error(result, name, fragment)
    assert not out.exists() or not any(out.iterdir())


def test_truncated_npz(tmp_path):
    path = write_npz(tmp_path / "cut.npz", GOOD_SPIKES, GOOD_VELOCITY)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert_user_error(
        run_cli("train", "--model", "ridge", "--data", path, "--out", tmp_path), "cut.npz"
    )


def test_truncated_mat(tmp_path):
    path = tmp_path / "indy_20160622_01.mat"
    with h5py.File(path, "w") as f:
        f["t"] = np.arange(1000.0)[None]
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    assert_user_error(
        run_cli("train", "--model", "ridge", "--data", path, "--out", tmp_path),
        "indy_20160622_01.mat",
    )


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [("nonexistent.npz", "nonexistent.npz"), ("ftp://x", "ftp://x"), ("synthetic:abc", "abc")],
)
def test_bad_data_spec(tmp_path, spec, fragment):
    assert_user_error(
        run_cli("train", "--model", "ridge", "--data", spec, "--out", tmp_path), fragment
    )


def test_evaluate_missing_and_corrupt_checkpoint(tmp_path):
    assert_user_error(run_cli("evaluate", tmp_path / "none.pt"), "none.pt", "not found")
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"\x00" * 100)
    assert_user_error(run_cli("evaluate", bad), "bad.pt")


def test_unknown_download_session(tmp_path):
    assert_user_error(
        run_cli("download", "indy_19990101_01", "--dest", tmp_path), "indy_19990101_01"
    )


def test_train_then_evaluate_ridge(tmp_path):
    trained = run_cli("train", "--model", "ridge", "--data", "synthetic:1", "--out", tmp_path)
    assert trained.returncode == 0, trained.stderr
    r2_line = trained.stdout.strip().splitlines()[-1]
    assert "R2" in r2_line
    evaluated = run_cli("evaluate", tmp_path / "ridge.pt")
    assert evaluated.returncode == 0, evaluated.stderr
    assert r2_line.split("R2 = ")[1].split()[0] == evaluated.stdout.split("R2 = ")[1].split()[0]


def test_channel_mismatch_on_evaluate(tmp_path):
    assert (
        run_cli(
            "train",
            "--model",
            "ridge",
            "--data",
            "synthetic",
            "--out",
            tmp_path,
        ).returncode
        == 0
    )
    other = write_npz(tmp_path / "few.npz", GOOD_SPIKES, GOOD_VELOCITY)
    assert_user_error(
        run_cli("evaluate", tmp_path / "ridge.pt", "--data", other), "96 channels", "has 4"
    )
