"""Loaders on damaged and hostile files: a clear error naming the file, or a correct result.

Valid files (a Zenodo-layout ``.mat``, an ``.npz``, a checkpoint) are mutated at the byte level
and structurally (see ``mutations``). Every load must end, within a time limit, in either a
RatLavaError subclass whose message starts with the file's path, or a valid Session /
checkpoint; never another exception type, a hang, or a crash of the interpreter.
"""

from __future__ import annotations

import math
import os
import random
import subprocess
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from rat_lava.data import zenodo
from rat_lava.data.session import Session
from rat_lava.data.sources import load_data
from rat_lava.data.zenodo import load_zenodo_mat
from rat_lava.errors import CheckpointError, DataError
from rat_lava.train.checkpoint import load_checkpoint, save_checkpoint
from tests.helpers.cli import CLI
from tests.helpers.hdf5_edits import DeclareHuge, Drop, Replace
from tests.helpers.mutations import (
    FUZZ,
    FlipBit,
    HugeHeader,
    Overwrite,
    Raw,
    Truncate,
    apply_bytes,
    base_npz_members,
    byte_edits,
    mat_edits,
    npz_members,
    time_limit,
    write_base_mat,
    write_npz_members,
)

MAT_NAME = "indy_20160622_01.mat"


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    """A directory for this module's files; each test overwrites its own file per example."""
    return tmp_path_factory.mktemp("mutated")


@pytest.fixture(scope="module")
def base_mat(work) -> bytes:
    return write_base_mat(work / "base.mat").read_bytes()


@pytest.fixture(scope="module")
def base_npz(work) -> bytes:
    return write_npz_members(work / "base.npz", base_npz_members(), compress=True).read_bytes()


def _checkpoint_parts() -> tuple:
    """Arguments of save_checkpoint for a small valid checkpoint."""
    state = {"w": torch.arange(12.0).reshape(3, 4), "b": torch.ones(4, dtype=torch.int64)}
    return "ridge", {"lags": 3, "alpha": 1.0}, state, {"n_channels": 4, "dt": 0.004}


@pytest.fixture(scope="module")
def base_checkpoint(work) -> bytes:
    return save_checkpoint(work / "base.pt", *_checkpoint_parts()).read_bytes()


def load_outcome(load, path: Path, error: type[Exception]):
    """``load(path)`` under a time limit: its result, or None after ``error`` naming the file."""
    with time_limit():
        try:
            return load(path)
        except error as exc:
            assert str(exc).startswith(str(path)), f"message does not name the file: {exc}"
            return None


def assert_valid_session(session: Session, path: Path) -> None:
    """The invariants every loaded Session keeps, whatever the file held."""
    assert isinstance(session, Session) and session.source == str(path)
    n_steps, n_channels = session.spikes.shape
    assert n_steps >= 1 and n_channels >= 1
    assert session.spikes.dtype == np.int32 and session.spikes.min() >= 0
    assert session.velocity.shape == (n_steps, 2) and session.velocity.dtype == np.float32
    assert np.all(np.isfinite(session.velocity))
    assert isinstance(session.dt, float) and math.isfinite(session.dt) and session.dt > 0


def assert_valid_checkpoint(payload: dict) -> None:
    """The fields and types load_checkpoint promises."""
    assert payload["format"] == "rat-lava-checkpoint" and payload["version"] == 1
    assert isinstance(payload["model"], str)
    assert isinstance(payload["config"], dict) and isinstance(payload["meta"], dict)
    for name, tensor in payload["state"].items():
        assert isinstance(name, str) and isinstance(tensor, torch.Tensor)


def _load_one(path: Path) -> Session:
    """The one Session of a data file, through the ``--data`` resolver."""
    sessions = load_data(str(path))
    assert len(sessions) == 1
    return sessions[0]


# ---------------------------------------------------------------- Zenodo .mat


@FUZZ
@given(data=st.data())
def test_mat_byte_edits(work, base_mat, data):
    path = work / MAT_NAME
    path.write_bytes(apply_bytes(base_mat, data.draw(byte_edits(len(base_mat)))))
    session = load_outcome(_load_one, path, DataError)
    if session is not None:
        assert_valid_session(session, path)


@FUZZ
@given(edits=mat_edits())
def test_mat_structural_edits(work, base_mat, edits):
    path = work / MAT_NAME
    path.write_bytes(base_mat)
    for edit in edits:
        edit.apply(path)
    session = load_outcome(_load_one, path, DataError)
    if session is not None:
        assert_valid_session(session, path)


@FUZZ
@given(
    dt=st.one_of(
        st.floats(),
        st.floats(min_value=1e-300, max_value=1e-9),
        st.integers(-5, 5),
        st.sampled_from(["0.004", None, True, np.array([0.004, 0.008]), np.float32(0.004)]),
    ),
    merge_units=st.booleans(),
)
def test_mat_any_bin_width(work, base_mat, dt, merge_units):
    path = work / MAT_NAME
    path.write_bytes(base_mat)
    session = load_outcome(lambda p: load_zenodo_mat(p, dt, merge_units), path, DataError)
    if session is not None:
        assert_valid_session(session, path)
        assert session.dt == dt and session.n_steps == math.floor(1.0 / float(dt) + 1e-9)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (DeclareHuge("t", (1, 2**36)), "more than the limit"),
        (DeclareHuge("#refs#/c0u0", (1, 2**31)), "more than the limit"),
        (DeclareHuge("spikes", (2**10, 2**10), ref=True), "more than the limit"),
        (Replace("t", (np.linspace(0, 1, 21) + 0.5j)[None]), "arrays of real numbers"),
        (Replace("#refs#/c0u0", np.array([[True, False]])), "does not hold numeric spike times"),
    ],
)
def test_mat_hostile_declarations_are_refused_before_reading(work, base_mat, edit, message):
    path = work / MAT_NAME
    path.write_bytes(base_mat)
    edit.apply(path)
    with time_limit(), pytest.raises(DataError) as info:
        load_zenodo_mat(path)
    assert str(info.value).startswith(str(path)) and message in str(info.value)


def test_mat_recording_too_long_for_its_bins_is_refused(work, base_mat):
    path = work / MAT_NAME
    path.write_bytes(base_mat)
    with h5py.File(path, "r+") as handle:
        handle["t"][0, -1] = 1e12  # 2.5e14 bins of 4 ms
    with time_limit(), pytest.raises(DataError, match="more than the limit"):
        load_zenodo_mat(path)


def test_mat_cell_array_larger_than_max_cells_is_refused(work, base_mat):
    path = work / MAT_NAME
    path.write_bytes(base_mat)
    Drop("chan_names").apply(path)
    with h5py.File(path, "r+") as handle:
        empty = handle["#refs#/a"].ref
        del handle["spikes"]
        cells = np.full((2, zenodo.MAX_CELLS // 2 + 1), empty, dtype=h5py.ref_dtype)
        handle.create_dataset("spikes", data=cells)
    limit = f"more than the limit of {zenodo.MAX_CELLS}"
    with time_limit(2), pytest.raises(DataError, match=limit):
        load_zenodo_mat(path)


# ---------------------------------------------------------------- .npz


@FUZZ
@given(data=st.data())
def test_npz_byte_edits(work, base_npz, data):
    path = work / "session.npz"
    path.write_bytes(apply_bytes(base_npz, data.draw(byte_edits(len(base_npz)))))
    session = load_outcome(_load_one, path, DataError)
    if session is not None:
        assert_valid_session(session, path)


@FUZZ
@given(members=npz_members(), compress=st.booleans())
def test_npz_member_edits(work, members, compress):
    path = write_npz_members(work / "session.npz", members, compress)
    session = load_outcome(_load_one, path, DataError)
    if session is not None:
        assert_valid_session(session, path)
        np.testing.assert_array_equal(session.spikes, members["spikes"])
        np.testing.assert_array_equal(session.velocity, members["velocity"].astype(np.float32))
        assert session.dt == float(members["dt"])


@pytest.mark.parametrize(
    ("member", "message"),
    [
        (HugeHeader((2**40,)), "its arrays would take 8.19e+03 GiB"),
        (Raw(b"0.004"), "not a readable .npz archive"),
        (np.array([[1, None]], dtype=object), "'spikes' is an object array"),
    ],
)
def test_npz_hostile_members_are_refused_before_reading(work, member, message):
    path = write_npz_members(work / "session.npz", {**base_npz_members(), "spikes": member}, True)
    with pytest.raises(DataError) as info:
        load_data(str(path))
    assert str(info.value).startswith(str(path)) and message in str(info.value)


def test_npz_with_corrupt_compressed_data_is_a_data_error(work, base_npz):
    # the deflate stream of the first member starts after its 30-byte header and name
    with zipfile.ZipFile(work / "base.npz") as archive:
        first = archive.infolist()[0]
        start = first.header_offset + 30 + len(first.filename)
    path = work / "session.npz"
    path.write_bytes(Overwrite(start, b"\xff" * 8).apply(base_npz))
    with pytest.raises(DataError, match="not a readable .npz archive"):
        load_data(str(path))


def test_corrupt_npz_leaves_no_file_open(work, base_npz):
    path = work / "session.npz"
    path.write_bytes(base_npz[:-30])  # zip magic, but no central directory
    before = len(os.listdir("/proc/self/fd"))
    with pytest.raises(DataError, match="not a readable .npz archive") as info:
        load_data(str(path))
    assert len(os.listdir("/proc/self/fd")) == before, info.value  # the error is still alive


# ---------------------------------------------------------------- checkpoints


@FUZZ
@given(data=st.data())
def test_checkpoint_byte_edits(work, base_checkpoint, data):
    path = work / "model.pt"
    path.write_bytes(apply_bytes(base_checkpoint, data.draw(byte_edits(len(base_checkpoint)))))
    payload = load_outcome(load_checkpoint, path, CheckpointError)
    if payload is not None:
        assert_valid_checkpoint(payload)


_TENSORS = st.one_of(
    st.sampled_from([torch.float32, torch.int64, torch.bool, torch.complex64, torch.float16]).map(
        lambda dtype: torch.zeros(2, 3, dtype=dtype)
    ),
    st.just(torch.tensor(1.0)),
    st.just(torch.ones(1).expand(2**40)),  # one stored value, 2**40 declared
)
_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=4), _TENSORS),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=4,
)


@FUZZ
@given(
    edits=st.lists(
        st.tuples(
            st.sampled_from(["format", "version", "model", "config", "state", "meta", "w"]),
            st.one_of(st.just("drop"), _VALUES),
        ),
        min_size=1,
        max_size=3,
    )
)
def test_checkpoint_payload_edits(work, edits):
    model, config, state, meta = _checkpoint_parts()
    payload = {"format": "rat-lava-checkpoint", "version": 1, "model": model, "config": config}
    payload.update(state=state, meta=meta)
    for key, value in edits:
        fields = (
            payload["state"] if key == "w" and isinstance(payload.get("state"), dict) else payload
        )
        if isinstance(value, str) and value == "drop":
            fields.pop(key, None)
        else:
            fields[key] = value
    path = work / "model.pt"
    torch.save(payload, path)
    loaded = load_outcome(load_checkpoint, path, CheckpointError)
    if loaded is not None:
        assert_valid_checkpoint(loaded)


def _rewrite_member(path: Path, suffix: str, change) -> None:
    """Rewrite the torch archive with member ``*suffix`` replaced by ``change(its bytes)``.

    Python's zipfile writes fresh CRCs, so the damage is not what the CRC check catches.
    """
    with zipfile.ZipFile(path) as archive:
        members = [(info, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w") as archive:
        for info, data in members:
            archive.writestr(info, change(data) if info.filename.endswith(suffix) else data)


@FUZZ
@given(data=st.data())
def test_checkpoint_pickle_edits(work, base_checkpoint, data):
    path = work / "model.pt"
    path.write_bytes(base_checkpoint)
    with zipfile.ZipFile(path) as archive:
        size = next(i.file_size for i in archive.infolist() if i.filename.endswith("/data.pkl"))
    edits = data.draw(byte_edits(size))
    _rewrite_member(path, "/data.pkl", lambda pickled: apply_bytes(pickled, edits))
    payload = load_outcome(load_checkpoint, path, CheckpointError)
    if payload is not None:
        assert_valid_checkpoint(payload)


@pytest.mark.parametrize(
    "pickled",
    [
        b"\x80\x02G\x00\x00",  # BINFLOAT cut short: struct.error
        b"\x80\x02K\x01Q.",  # persistent id that is not a tuple: AssertionError
        b"\x80\x02h\x07.",  # memo entry never stored: KeyError
        b"\x80\x02t.",  # TUPLE without a MARK: IndexError
    ],
)
def test_malformed_pickles_are_checkpoint_errors(work, base_checkpoint, pickled):
    path = work / "model.pt"
    path.write_bytes(base_checkpoint)
    _rewrite_member(path, "/data.pkl", lambda _: pickled)
    with pytest.raises(CheckpointError, match="not a readable rat-lava checkpoint"):
        load_checkpoint(path)


@FUZZ
@given(keep=st.integers(0, 48))
def test_checkpoint_storage_shorter_than_declared(work, base_checkpoint, keep):
    path = work / "model.pt"
    path.write_bytes(base_checkpoint)
    _rewrite_member(path, "/data/0", lambda stored: stored[:keep])  # 'w': 12 float32, 48 bytes
    payload = load_outcome(load_checkpoint, path, CheckpointError)
    if payload is not None:
        assert_valid_checkpoint(payload)
    if keep == 48:  # intact, only rewritten by Python's zipfile
        assert payload is not None
        torch.testing.assert_close(payload["state"]["w"], torch.arange(12.0).reshape(3, 4))


def test_checkpoint_storage_far_larger_than_its_record_is_refused(work):
    # torch 2.3 without mmap builds a 64 MiB tensor over a 16-byte buffer
    path = save_checkpoint(work / "model.pt", "ridge", {}, {"w": torch.zeros(2**24)}, {})
    _rewrite_member(path, "/data/0", lambda stored: stored[:16])
    with time_limit(), pytest.raises(CheckpointError, match="not a readable"):
        load_checkpoint(path)


def test_torchscript_archive_is_refused_without_being_loaded(work, monkeypatch):
    path = work / "scripted.pt"
    torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), path)
    jit_loads = []
    monkeypatch.setattr(torch.jit, "load", lambda *args, **kwargs: jit_loads.append(args))
    with pytest.raises(CheckpointError, match="TorchScript archive"):
        load_checkpoint(path)
    assert jit_loads == []


def test_loaded_weights_do_not_follow_later_writes_to_the_file(work):
    path = save_checkpoint(work / "model.pt", *_checkpoint_parts())
    payload = load_checkpoint(path)
    size = path.stat().st_size
    with open(path, "r+b") as raw:  # rewrite in place, same inode: a mapping would see it
        raw.write(bytes(size))
    torch.testing.assert_close(payload["state"]["w"], torch.arange(12.0).reshape(3, 4))


def test_checkpoint_with_a_tensor_as_version_is_refused(work):
    path = work / "model.pt"
    torch.save({"format": "rat-lava-checkpoint", "version": torch.ones(3)}, path)
    with pytest.raises(CheckpointError, match="version tensor"):
        load_checkpoint(path)


# ---------------------------------------------------------------- the command line

CLI_SEED = 20240601


def _cli_inputs(directory: Path) -> list[Path]:
    """Five damaged copies (fixed seed) of a trainable .npz and .mat."""
    rng = np.random.default_rng(0)
    npz = write_npz_members(
        directory / "base.npz",
        {
            "spikes": rng.poisson(2.0, (600, 4)),
            "velocity": rng.normal(0.0, 50.0, (600, 2)),
            "dt": np.float64(0.004),
        },
        compress=True,
    )
    mat = write_base_mat(directory / "base.mat", seconds=3.0, n_samples=751)
    pick = random.Random(CLI_SEED)
    damaged = []
    for base, edits in [
        (npz, [Truncate(pick.randrange(npz.stat().st_size))]),
        (mat, [Truncate(pick.randrange(mat.stat().st_size))]),
        (mat, [Overwrite(pick.randrange(mat.stat().st_size), pick.randbytes(8))]),
        (mat, [FlipBit(7, 0)]),  # in the MATLAB text header: still a valid file
    ]:
        path = directory / f"indy_2016062{len(damaged)}_01{base.suffix}"
        path.write_bytes(apply_bytes(base.read_bytes(), edits))
        damaged.append(path)
    huge = directory / "indy_20160629_01.mat"
    huge.write_bytes(mat.read_bytes())
    DeclareHuge("t", (1, 2**36)).apply(huge)
    return [*damaged, huge]


def _train_ridge(data: Path) -> tuple[Path, Path, subprocess.CompletedProcess]:
    """Run ``rat-lava train --model ridge`` on ``data`` in a subprocess; (data, out, result)."""
    out = data.parent / f"out_{data.name}"
    command = [*CLI, "train", "--model", "ridge", "--no-progress"]
    command += ["--data", str(data), "--out", str(out)]
    return data, out, subprocess.run(command, capture_output=True, text=True, timeout=300)


def test_cli_train_on_damaged_files(tmp_path):
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = list(pool.map(_train_ridge, _cli_inputs(tmp_path)))
    for data, out, result in runs:
        assert result.returncode in (0, 2), (data.name, result.stderr)
        assert "Traceback" not in result.stdout + result.stderr
        written = sorted(p.name for p in out.iterdir()) if out.exists() else []
        if result.returncode == 2:
            lines = result.stderr.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("rat-lava: error: "), lines
            assert str(data) in lines[0] and written == []
        else:
            assert written == ["ridge.pt"] and "R2" in result.stdout.strip().splitlines()[-1]
            assert_valid_checkpoint(load_checkpoint(out / "ridge.pt"))
