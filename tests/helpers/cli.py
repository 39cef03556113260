"""The `rat-lava` command line driven as a user drives it: in a subprocess."""

import subprocess
import sys
from pathlib import Path

CLI = [sys.executable, "-m", "rat_lava"]


def run_cli(*args, timeout=600):
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, timeout=timeout)


def assert_user_error(result, *fragments):
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rat-lava: error:"), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def run_benchmark(script, *args, timeout=900):
    """``python benchmarks/SCRIPT ARGS`` from anywhere; asserts exit status 0."""
    path = Path(__file__).resolve().parents[2] / "benchmarks" / script
    done = subprocess.run(
        [sys.executable, str(path), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done
