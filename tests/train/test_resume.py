"""A training run killed with SIGKILL resumes to exactly the result of an uninterrupted run."""

import signal
import subprocess
import time

import pytest
import torch

from rat_lava.train.checkpoint import load_checkpoint
from tests.helpers.cli import CLI

ARGS = ["--model", "gru", "--data", "synthetic:3", "--epochs", "3", "--seed", "5", "--no-progress"]


def train_cmd(out):
    return [*CLI, "train", *ARGS, "--out", str(out)]


@pytest.mark.slow
def test_sigkill_then_resume_matches_uninterrupted(tmp_path):
    whole = subprocess.run(
        train_cmd(tmp_path / "whole"), capture_output=True, text=True, timeout=900
    )
    assert whole.returncode == 0, whole.stderr

    killed_dir = tmp_path / "killed"
    proc = subprocess.Popen(
        train_cmd(killed_dir), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    resume = killed_dir / "gru.resume"
    deadline = time.monotonic() + 600
    while not resume.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert resume.exists(), "no resume file appeared before the run ended"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert not (killed_dir / "gru.pt").exists()
    assert not list(killed_dir.glob("*.part"))

    resumed = subprocess.run(train_cmd(killed_dir), capture_output=True, text=True, timeout=900)
    assert resumed.returncode == 0, resumed.stderr
    assert not resume.exists()
    a = load_checkpoint(tmp_path / "whole" / "gru.pt")
    b = load_checkpoint(killed_dir / "gru.pt")
    assert a["state"].keys() == b["state"].keys()
    for key in a["state"]:
        assert torch.equal(a["state"][key], b["state"][key]), key
    assert a["meta"]["test_r2"] == b["meta"]["test_r2"]
    assert whole.stdout.strip().splitlines()[-1] == resumed.stdout.strip().splitlines()[-1]
