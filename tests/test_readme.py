"""The README's quick-start examples run as written."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
RAT_LAVA = Path(sys.executable).with_name("rat-lava")


def blocks(language: str) -> list[str]:
    """The fenced code blocks of the README in ``language``, in order."""
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.DOTALL)


def test_the_readme_has_its_quick_starts():
    assert len(blocks("sh")) == 1 and len(blocks("python")) == 2
    assert "make demo" in README and "make test" in README


@pytest.mark.slow
def test_python_quick_start_runs(tmp_path):
    script = tmp_path / "quick_start.py"
    script.write_text("\n".join(blocks("python")), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    r2 = [float(m) for m in re.findall(r"^R2 (\S+)$", done.stdout, flags=re.MULTILINE)]
    assert r2 and r2[0] > 0.5, done.stdout


@pytest.mark.slow
def test_command_line_quick_start_runs(tmp_path):
    env = {**os.environ, "MPLBACKEND": "Agg"}
    for line in blocks("sh")[0].strip().splitlines():
        argv = line.split()
        assert argv[0] == "rat-lava", line
        done = subprocess.run(
            [str(RAT_LAVA), *argv[1:], *(["--no-progress"] if argv[1] == "train" else [])],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=900,
            env=env,
        )
        assert done.returncode == 0, f"{line}\n{done.stderr[-3000:]}"
    report = (tmp_path / "runs/quick/compare/report.md").read_text(encoding="utf-8")
    assert "max abs difference" in report.lower()
    assert (tmp_path / "runs/quick/compare/velocity.png").stat().st_size > 0


@pytest.mark.slow
def test_nwb_example_runs(tmp_path):
    """The DANDI example's rat-lava lines on an MC_Maze-layout file written at its path."""
    from tests.helpers.nwb_layout import write_mc_maze

    (block,) = blocks("shell")
    lines = [line for line in block.strip().splitlines() if line.startswith("rat-lava ")]
    assert block.startswith("dandi download") and len(lines) == 6
    nwb = tmp_path / "sub-Jenkins/sub-Jenkins_ses-full_desc-train_behavior+ecephys.nwb"
    nwb.parent.mkdir()
    write_mc_maze(nwb)
    outputs = []
    for line in lines:
        argv = line.split()[1:]
        if argv[0] == "train":
            argv += ["--no-progress", *(["--epochs", "1"] if "rat" in argv else [])]
        done = subprocess.run(
            [str(RAT_LAVA), *argv], cwd=tmp_path, capture_output=True, text=True, timeout=900
        )
        assert done.returncode == 0, f"{line}\n{done.stderr[-3000:]}"
        outputs.append(done.stdout)
    assert "kinematics: processing/behavior/hand_vel" in outputs[0]
    assert "R2 =" in outputs[-1] and "rat-lava protocol" in outputs[-1]
