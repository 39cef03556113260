"""Mutation strategies for robustness tests: damage valid input files in the ways files break.

Three families, drawn by strategies as small frozen dataclasses (so that Hypothesis prints a
failing example as readable code):

- byte edits of any file: truncate, flip a bit, overwrite a run of bytes;
- HDF5 edits (``tests.helpers.hdf5_edits``) of a Zenodo-layout ``.mat``: replace, drop or
  hugely declare a dataset, turn it into a group, null, dangle or retarget a cell's object
  reference, delete a cell's target, set its ``MATLAB_empty`` attribute; and the values that
  edits of any HDF5 file write;
- hostile values for ``.npz`` members and checkpoint fields (wrong shapes, dtypes, NaN/inf,
  object and string arrays, raw non-.npy members, ``.npy`` headers declaring huge shapes).

Loads run under ``time_limit``: a Python-level hang becomes a ``Hang`` (a BaseException, so
no ``except Exception`` in a loader can swallow it).
"""

from __future__ import annotations

import contextlib
import io
import signal
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import h5py
import hypothesis.extra.numpy as hnp
import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tests.helpers.hdf5_edits import (
    Dangle,
    DeclareHuge,
    Drop,
    Inventory,
    MakeGroup,
    NullRef,
    Replace,
    Retarget,
    SetAttr,
)
from tests.helpers.zenodo_layout import write_zenodo_mat

FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
"""Reproducible profile: the same examples on every run, no example database written."""

LOAD_SECONDS = 30
"""Wall-clock bound of one load of a tiny file (they take milliseconds; the bound leaves room
for a loaded CI machine)."""


class Hang(BaseException):
    """A load ran past its time limit."""


@contextlib.contextmanager
def time_limit(seconds: float = LOAD_SECONDS) -> Iterator[None]:
    """Raise Hang in the block if it runs longer than ``seconds`` (main thread, POSIX)."""

    def expire(signum, frame):
        raise Hang(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# ---------------------------------------------------------------- byte edits


@dataclass(frozen=True)
class Truncate:
    """Keep the first ``at`` bytes."""

    at: int

    def apply(self, data: bytes) -> bytes:
        return data[: self.at]


@dataclass(frozen=True)
class FlipBit:
    """Invert bit ``bit`` of byte ``at``."""

    at: int
    bit: int

    def apply(self, data: bytes) -> bytes:
        if self.at >= len(data):
            return data
        return data[: self.at] + bytes([data[self.at] ^ (1 << self.bit)]) + data[self.at + 1 :]


@dataclass(frozen=True)
class Overwrite:
    """Write ``chunk`` over the bytes from ``at`` on (the length stays the same)."""

    at: int
    chunk: bytes

    def apply(self, data: bytes) -> bytes:
        end = min(len(data), self.at + len(self.chunk))
        return data[: self.at] + self.chunk[: max(0, end - self.at)] + data[end:]


def byte_edits(size: int) -> st.SearchStrategy[list]:
    """One to three byte edits of a file of ``size`` bytes."""
    at = st.integers(0, size - 1)
    edit = st.one_of(
        st.builds(Truncate, at),
        st.builds(FlipBit, at, st.integers(0, 7)),
        st.builds(Overwrite, at, st.binary(min_size=1, max_size=16)),
    )
    return st.lists(edit, min_size=1, max_size=3)


def apply_bytes(data: bytes, edits: list) -> bytes:
    """``data`` after each byte edit in turn."""
    for edit in edits:
        data = edit.apply(data)
    return data


# ---------------------------------------------------------------- HDF5 (.mat) edits

MAT_DATASETS = ("t", "cursor_pos", "spikes", "chan_names", "finger_pos")
CELL_TARGETS = ("#refs#/c0u0", "#refs#/c1u1", "#refs#/a", "#refs#/n0")
"""Datasets the cells of ``spikes`` and ``chan_names`` reference; ``#refs#/a`` is the empty."""


def write_base_mat(path: Path, seconds: float = 1.0, n_samples: int = 21) -> Path:
    """A valid Zenodo-layout ``.mat`` to mutate: 2 channels x 2 units, ``seconds`` long.

    Cells (channel, unit) (1, 1) and (2, 2) hold 40 spike times per second, the other two
    are MATLAB empty cells; the cursor moves on a circle of 10 mm radius.
    """
    t = np.linspace(0.0, seconds, n_samples)
    rng = np.random.default_rng(0)
    times = [np.sort(rng.uniform(0.0, seconds, int(40 * seconds))) for _ in range(2)]
    cursor = np.column_stack([np.sin(t), np.cos(t)]) * 10.0
    return write_zenodo_mat(path, t, cursor, [[times[0], None], [None, times[1]]])


def h5_values() -> st.SearchStrategy:
    """Values h5py can store that a loader must refuse or read correctly."""
    numeric = hnp.arrays(
        st.sampled_from([np.int8, np.uint64, np.int64, np.float32, np.float64, np.bool_]),
        hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
    )
    return st.one_of(
        numeric,
        # the base shapes of t (1, 21), cursor_pos (2, 21) and a cell (1, k), any values
        hnp.arrays(np.float64, st.sampled_from([(1, 21), (2, 21), (1, 3), (3, 21), (21, 1)])),
        hnp.arrays(np.complex128, hnp.array_shapes(max_dims=2, max_side=3)),
        st.builds(np.array, st.lists(st.binary(max_size=3), max_size=3), st.just("S3")),
        st.just(h5py.Empty("f8")),
        st.just(np.array([["1.0", "2.0"]], dtype=h5py.string_dtype())),
    )


def mat_edits() -> st.SearchStrategy[list]:
    """One to three structural edits of the base ``.mat``."""
    name = st.sampled_from(MAT_DATASETS + CELL_TARGETS)
    edit = st.one_of(
        st.builds(Replace, name, h5_values()),
        st.builds(Drop, name),
        st.builds(MakeGroup, name),
        st.builds(
            DeclareHuge,
            st.sampled_from(("t", "cursor_pos", "#refs#/c0u0")),
            st.sampled_from([(1, 2**31), (2, 2**28), (2**36,), (2**20, 2**20)]),
        ),
        st.builds(
            DeclareHuge,
            st.just("spikes"),
            st.sampled_from([(2**8, 2**8), (2**20, 2), (1, 2**30)]),
            st.just(True),
        ),
        st.builds(
            Retarget,
            st.integers(0, 1),
            st.integers(0, 1),
            st.sampled_from(("/", "#refs#", *MAT_DATASETS, *CELL_TARGETS)),
        ),
        st.builds(NullRef, st.integers(0, 1), st.integers(0, 1)),
        st.builds(Dangle, st.integers(0, 3), st.integers(0, 2**64 - 1)),
        st.builds(
            SetAttr,
            st.sampled_from(CELL_TARGETS),
            st.sampled_from([0, 1, np.array([1, 0]), "yes", np.float64(np.nan)]),
        ),
    )
    return st.lists(edit, min_size=1, max_size=3)


# ---------------------------------------------------------------- .npz members


@dataclass(frozen=True)
class HugeHeader:
    """A ``.npy`` member whose header declares ``shape`` float64 but holds 64 bytes."""

    shape: tuple[int, ...]

    def member(self) -> bytes:
        header = io.BytesIO()
        header_dict = {"descr": "<f8", "fortran_order": False, "shape": self.shape}
        np.lib.format.write_array_header_1_0(header, header_dict)
        return header.getvalue() + bytes(64)


@dataclass(frozen=True)
class Raw:
    """A member stored without the ``.npy`` format (its name has no ``.npy`` suffix)."""

    data: bytes


def write_npz_members(path: Path, members: dict[str, object], compress: bool) -> Path:
    """Write an ``.npz`` from arrays (pickled if object arrays), ``HugeHeader``s and ``Raw``s."""
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(path, "w", method) as archive:
        for key, value in members.items():
            if isinstance(value, Raw):
                archive.writestr(key, value.data)
            elif isinstance(value, HugeHeader):
                archive.writestr(f"{key}.npy", value.member())
            else:
                buffer = io.BytesIO()
                np.lib.format.write_array(buffer, np.asanyarray(value), allow_pickle=True)
                archive.writestr(f"{key}.npy", buffer.getvalue())
    return path


NPZ_STEPS, NPZ_CHANNELS = 20, 3
"""Shape (T, C) of the base ``.npz`` spikes."""


def base_npz_members() -> dict[str, object]:
    """The members of a valid ``.npz`` (T x C counts, T x 2 velocity, dt, ids)."""
    rng = np.random.default_rng(0)
    return {
        "spikes": rng.poisson(1.0, (NPZ_STEPS, NPZ_CHANNELS)),
        "velocity": rng.normal(0.0, 50.0, (NPZ_STEPS, 2)),
        "dt": np.float64(0.004),
        "subject": np.str_("indy"),
        "session": np.str_("20160622_01"),
        "task": np.str_("random-target"),
    }


def _object_arrays() -> st.SearchStrategy[np.ndarray]:
    return st.sampled_from(
        [
            np.array([[1, None]], dtype=object),
            np.array([{"a": 1}], dtype=object),
            np.empty((NPZ_STEPS, NPZ_CHANNELS), dtype=object),
        ]
    )


def hostile_arrays() -> st.SearchStrategy:
    """Any small array, including dtypes and values no member should have."""
    return st.one_of(
        hnp.arrays(
            st.sampled_from(
                [np.int8, np.uint64, np.int64, np.float16, np.float64, np.complex64, np.bool_]
                + ["U3", "S3", "m8[s]", "M8[s]"]
            ),
            hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
        ),
        _object_arrays(),
    )


def npz_member_values(key: str) -> st.SearchStrategy:
    """Replacements of member ``key``: near misses of its contract, and anything at all."""
    near = {
        # right shape, any values (negative, fractional, NaN, inf, huge) or dtype
        "spikes": hnp.arrays(
            st.sampled_from([np.int64, np.uint64, np.float64, np.float32, np.int8]),
            st.sampled_from([(NPZ_STEPS, NPZ_CHANNELS), (NPZ_STEPS, 0), (0, NPZ_CHANNELS)]),
        ),
        # wrong lengths and any values
        "velocity": hnp.arrays(
            st.sampled_from([np.float64, np.float32, np.int64]),
            st.sampled_from([(NPZ_STEPS, 2), (NPZ_STEPS - 1, 2), (NPZ_STEPS + 1, 2), (NPZ_STEPS,)]),
        ),
        # arrays, negative, NaN, strings, booleans, complex
        "dt": st.one_of(
            st.floats().map(np.float64),
            st.integers(-(2**63), 2**63 - 1).map(np.int64),
            hnp.arrays(np.float64, hnp.array_shapes(max_dims=2, max_side=3)),
            st.sampled_from([np.str_("0.004"), np.bool_(True), np.complex128(0.004)]),
        ),
    }.get(key, st.text(max_size=5).map(np.str_))
    return st.one_of(
        near,
        hostile_arrays(),
        st.builds(Raw, st.binary(max_size=20)),
        st.builds(HugeHeader, st.sampled_from([(2**28,), (2**20, 2**20), (2**62,)])),
    )


@st.composite
def npz_members(draw) -> dict[str, object]:
    """Base members with one to three of them replaced or dropped."""
    members = base_npz_members()
    for key in draw(st.lists(st.sampled_from(sorted(members)), min_size=1, max_size=3)):
        if draw(st.booleans()):
            members.pop(key, None)
        else:
            members[key] = draw(npz_member_values(key))
    return members


# ---------------------------------------------------------------- HDF5 edits of any file


class Base:
    """A valid file's bytes, its inventory and what it holds (keyword arguments, as
    attributes), printed short in failing examples."""

    def __init__(self, raw: bytes, inv: Inventory, **held: object) -> None:
        self.raw, self.inv = raw, inv
        self.__dict__.update(held)

    def __repr__(self) -> str:
        return f"Base(<{len(self.raw)} bytes>)"


def pick(items: tuple) -> st.SearchStrategy:
    """One of ``items`` (drawn by index: a failing example prints no long list)."""
    return st.sampled_from(range(len(items))).map(items.__getitem__)


def attribute_values() -> st.SearchStrategy:
    """Values an HDF5 attribute can hold that a reader must refuse or read correctly."""
    text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))
    return st.one_of(
        text.filter(lambda s: len(s) <= 80),
        st.integers(-(2**63), 2**63 - 1),
        st.floats(),
        st.booleans(),
        st.binary(max_size=8).filter(lambda b: b"\x00" not in b).map(np.bytes_),
        hnp.arrays(
            st.sampled_from([np.int64, np.float64, np.int8, np.bool_]),
            hnp.array_shapes(min_dims=1, max_dims=2, max_side=3),
        ),
    )


def element_values() -> st.SearchStrategy[float]:
    """Values for ``SetElement``: near the Loihi 2 ranges, far outside them, and non-finite."""
    return st.one_of(
        st.integers(-300, 5000).map(float),
        st.integers(-(2**40), 2**40).map(float),
        st.sampled_from([np.nan, np.inf, -np.inf, 1e300]),
    )
