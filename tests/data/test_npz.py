"""The `.npz` interchange format: round trip, foreign files, bad inputs, atomic writes."""

import numpy as np
import pytest

from rat_lava.data import npz
from rat_lava.data.npz import load_npz, save_npz
from rat_lava.data.session import Session
from rat_lava.errors import DataError


def _session():
    rng = np.random.default_rng(1)
    return Session(
        rng.poisson(0.3, (50, 4)),
        rng.normal(0, 100, (50, 2)),
        0.004,
        "indy",
        "20160622_01",
        "random-target",
    )


def _arrays(**changes):
    arrays = {
        "spikes": np.ones((10, 3), np.int64),
        "velocity": np.zeros((10, 2)),
        "dt": 0.004,
    }
    arrays.update(changes)
    return {k: v for k, v in arrays.items() if v is not None}


def test_round_trip_keeps_arrays_and_ids(tmp_path):
    original = _session()
    path = save_npz(original, tmp_path / "s.npz")
    loaded = load_npz(path)
    np.testing.assert_array_equal(loaded.spikes, original.spikes)
    np.testing.assert_array_equal(loaded.velocity, original.velocity)
    assert (loaded.dt, loaded.condition, loaded.task) == (
        0.004,
        "indy/20160622_01",
        "random-target",
    )
    assert loaded.source == str(path)


def test_save_writes_exactly_the_given_name_and_nothing_else(tmp_path):
    path = save_npz(_session(), tmp_path / "session.data")
    assert path == tmp_path / "session.data"
    assert [p.name for p in tmp_path.iterdir()] == ["session.data"]
    assert load_npz(path).n_steps == 50


def test_foreign_npz_without_ids_loads(tmp_path):
    path = tmp_path / "plain.npz"
    np.savez(path, spikes=np.arange(20).reshape(10, 2), velocity=np.ones((10, 2)), dt=0.05)
    s = load_npz(path)
    assert s.spikes.dtype == np.int32 and s.spikes[9, 1] == 19 and s.dt == 0.05
    assert (s.subject, s.session, s.task) == ("unknown", "unknown", "unknown")


def _write(tmp_path, **arrays):
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    return path


def _npy_named_npz(tmp_path):
    path = tmp_path / "bad.npz"
    with open(path, "wb") as handle:
        np.save(handle, np.zeros((10, 3)))
    return path


def _truncated(tmp_path):
    path = save_npz(_session(), tmp_path / "bad.npz")
    path.write_bytes(path.read_bytes()[:300])
    return path


def _text(tmp_path):
    path = tmp_path / "bad.npz"
    path.write_text("spikes,velocity\n1,2\n")
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.npz", "file not found"),
        (_truncated, "not a readable .npz archive"),
        (_text, "not a readable .npz archive"),
        (_npy_named_npz, "not an .npz archive"),
        (lambda d: _write(d, **_arrays(spikes=np.array([[1, None]]))), "'spikes' is an object"),
        (lambda d: _write(d, **_arrays(velocity=None)), "missing array(s) velocity"),
        (lambda d: _write(d, **_arrays(spikes=np.ones(10))), "2-D"),
        (lambda d: _write(d, **_arrays(spikes=np.full((10, 3), -1))), "non-negative"),
        (lambda d: _write(d, **_arrays(spikes=np.full((10, 3), np.nan))), "NaN"),
        (lambda d: _write(d, **_arrays(velocity=np.zeros((9, 2)))), "9 steps but spikes have 10"),
        (lambda d: _write(d, **_arrays(velocity=np.zeros((10, 3)))), "T x 2"),
        (lambda d: _write(d, **_arrays(dt=np.array([0.004, 0.004]))), "dt must be one number"),
        (lambda d: _write(d, **_arrays(dt=-1.0)), "dt must be a positive"),
        (lambda d: _write(d, **_arrays(subject=np.arange(3))), "'subject' must be a single"),
    ],
)
def test_bad_files_raise_data_error_naming_file_and_problem(tmp_path, make, message):
    path = make(tmp_path)
    with pytest.raises(DataError) as info:
        load_npz(path)
    assert str(info.value).startswith(str(path)) and message in str(info.value)


def test_failed_write_leaves_no_file_and_keeps_the_old_one(tmp_path, monkeypatch):
    target = tmp_path / "out.npz"
    target.write_bytes(b"previous contents")

    def disk_full(handle, **arrays):
        handle.write(b"PK\x03\x04 half an archive")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(npz.np, "savez_compressed", disk_full)
    with pytest.raises(DataError, match="out.npz: cannot write \\(No space left on device\\)"):
        save_npz(_session(), target)
    assert target.read_bytes() == b"previous contents"
    assert [p.name for p in tmp_path.iterdir()] == ["out.npz"]


def test_unwritable_destination_raises_data_error(tmp_path):
    blocker = tmp_path / "not_a_dir"
    blocker.write_text("")
    with pytest.raises(DataError, match="cannot write"):
        save_npz(_session(), blocker / "out.npz")
    assert [p.name for p in tmp_path.iterdir()] == ["not_a_dir"]
