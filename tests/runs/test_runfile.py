"""Run files: round trip, atomic writing, clear errors, and `rat-lava evaluate RUN.h5`."""

import h5py
import numpy as np
import pytest

from rat_lava.metrics import r2_score
from rat_lava.runs.runfile import RunFile, RunFileError, is_run_file, read_run, write_run
from tests.helpers.cli import run_cli


def example_run(steps: int = 50) -> RunFile:
    rng = np.random.default_rng(0)
    truth = rng.normal(size=(steps, 2))
    return RunFile(
        velocity=truth + 0.5 * rng.normal(size=(steps, 2)),
        ground_truth=truth,
        spikes={"x": rng.integers(0, 9, steps), "mlp": rng.integers(0, 9, steps)},
        meta={"backend": "sim-fixed", "network": "model.net", "dt": 0.004, "latency_steps": 8},
    )


class Extra:
    """An object that stores itself in a group, like a probe report."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail

    def to_hdf5(self, group: h5py.Group) -> None:
        if self.fail:
            raise RuntimeError("interrupted while writing")
        group.attrs["schema"] = "extra"


def test_round_trip(tmp_path):
    run = example_run()
    path = tmp_path / "run.h5"
    write_run(path, run, extras={"notes": Extra()})
    assert is_run_file(path)
    back = read_run(path)
    assert np.array_equal(back.velocity, run.velocity)
    assert np.array_equal(back.ground_truth, run.ground_truth)
    assert back.spikes.keys() == run.spikes.keys()
    assert all(np.array_equal(back.spikes[k], run.spikes[k]) for k in run.spikes)
    assert back.meta == run.meta
    with h5py.File(path) as handle:
        assert handle["notes"].attrs["schema"] == "extra"


def test_a_failed_write_leaves_no_file(tmp_path):
    path = tmp_path / "run.h5"
    with pytest.raises(RuntimeError):
        write_run(path, example_run(), extras={"notes": Extra(fail=True)})
    assert list(tmp_path.iterdir()) == []


def test_shapes_are_checked():
    with pytest.raises(ValueError, match=r"\(T, 2\)"):
        RunFile(np.zeros((5, 3)), np.zeros((5, 3)))
    with pytest.raises(ValueError, match="differ"):
        RunFile(np.zeros((5, 2)), np.zeros((4, 2)))
    with pytest.raises(ValueError, match="spikes of x"):
        RunFile(np.zeros((5, 2)), np.zeros((5, 2)), {"x": np.zeros(4)})


def test_unreadable_files_are_named(tmp_path):
    text = tmp_path / "notes.h5"
    text.write_text("not HDF5")
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as handle:
        handle["x"] = 1
    newer = tmp_path / "newer.h5"
    write_run(newer, example_run())
    with h5py.File(newer, "a") as handle:
        handle.attrs["version"] = 99
    broken = tmp_path / "broken.h5"
    write_run(broken, example_run())
    with h5py.File(broken, "a") as handle:
        del handle["ground_truth"]
    for path, message in [
        (tmp_path / "missing.h5", "file not found"),
        (text, "not a rat-lava run file"),
        (other, "not a rat-lava run file"),
        (newer, "version 99"),
        (broken, "'ground_truth' is missing"),
    ]:
        with pytest.raises(RunFileError, match=message) as info:
            read_run(path)
        assert str(path) in str(info.value)


def test_evaluate_prints_the_r2_of_a_run_file(tmp_path):
    run = example_run()
    path = tmp_path / "run.h5"
    write_run(path, run)
    result = run_cli("evaluate", path, timeout=300)
    assert result.returncode == 0, result.stderr
    expected = r2_score(run.ground_truth, run.velocity)
    assert f"R2 = {expected.mean:.4f}" in result.stdout
    assert "sim-fixed" in result.stdout and "50 steps" in result.stdout
    mixed = run_cli("evaluate", path, "--data", "synthetic", timeout=300)
    assert mixed.returncode == 2 and "Traceback" not in mixed.stderr
    assert mixed.stderr.startswith("rat-lava: error:") and "--data" in mixed.stderr
