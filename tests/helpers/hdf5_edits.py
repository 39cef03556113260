"""Edits of HDF5 files (.net, run files, Zenodo-layout .mat): the one copy the tests share.

Each edit is a small frozen dataclass (so that Hypothesis prints a failing example as readable
code) that changes an open file (``edit(handle)``) or the file at a path (``apply(path)``); an
edit whose target is absent or of another kind does nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np


class HDF5Edit:
    """An edit of an open HDF5 file, or of the file at a path."""

    def edit(self, handle: h5py.File) -> None:
        raise NotImplementedError

    def apply(self, path: Path) -> None:
        with h5py.File(path, "r+") as handle:
            self.edit(handle)


# ---------------------------------------------------------------- any file


@dataclass(frozen=True)
class Replace(HDF5Edit):
    """Dataset ``name`` holds ``value`` instead (created if it was dropped)."""

    name: str
    value: object

    def edit(self, handle: h5py.File) -> None:
        if self.name in handle:
            del handle[self.name]
        handle.create_dataset(self.name, data=self.value)


@dataclass(frozen=True)
class Drop(HDF5Edit):
    """Delete ``name`` (references to it dangle)."""

    name: str

    def edit(self, handle: h5py.File) -> None:
        if self.name in handle:
            del handle[self.name]


@dataclass(frozen=True)
class MakeGroup(HDF5Edit):
    """``name`` is a group, not a dataset."""

    name: str

    def edit(self, handle: h5py.File) -> None:
        if self.name in handle:
            del handle[self.name]
        handle.create_group(self.name)


@dataclass(frozen=True)
class DeclareHuge(HDF5Edit):
    """``name`` declares ``shape`` (chunked, never written: the file stays tiny)."""

    name: str
    shape: tuple[int, ...]
    ref: bool = False

    def edit(self, handle: h5py.File) -> None:
        dtype = h5py.ref_dtype if self.ref else np.float64
        if self.name in handle:
            del handle[self.name]
        chunks = tuple(min(side, 64) for side in self.shape)
        handle.create_dataset(self.name, shape=self.shape, dtype=dtype, chunks=chunks)


@dataclass(frozen=True)
class SetAttribute(HDF5Edit):
    """Attribute ``key`` of object ``path`` is ``value`` (added if it was absent)."""

    path: str
    key: str
    value: object

    def edit(self, handle: h5py.File) -> None:
        if self.path in handle:
            handle[self.path].attrs[self.key] = self.value


@dataclass(frozen=True)
class DropAttribute(HDF5Edit):
    """Delete attribute ``key`` of object ``path``."""

    path: str
    key: str

    def edit(self, handle: h5py.File) -> None:
        if self.path in handle and self.key in handle[self.path].attrs:
            del handle[self.path].attrs[self.key]


@dataclass(frozen=True)
class SetElement(HDF5Edit):
    """Element ``index`` (flat, modulo the size) of numeric dataset ``path`` holds ``value``,
    clipped to the dataset's integer range (NaN and inf stay for float datasets)."""

    path: str
    index: int
    value: float

    def edit(self, handle: h5py.File) -> None:
        ds = handle.get(self.path)
        if not isinstance(ds, h5py.Dataset) or ds.dtype.kind not in "iubf" or ds.size == 0:
            return
        data = np.array(ds[()])
        flat = data.reshape(-1)
        if ds.dtype.kind == "f":
            flat[self.index % flat.size] = self.value
        elif ds.dtype.kind == "b":
            flat[self.index % flat.size] = bool(self.value)
        elif np.isfinite(self.value):
            limits = np.iinfo(ds.dtype)
            flat[self.index % flat.size] = int(max(limits.min, min(limits.max, self.value)))
        ds[()] = data


@dataclass(frozen=True)
class Inventory:
    """Paths in a file: datasets, numeric datasets, groups, (object, attribute) pairs."""

    datasets: tuple[str, ...]
    numeric: tuple[str, ...]
    groups: tuple[str, ...]
    attributes: tuple[tuple[str, str], ...]


def inventory(path: Path, root_attributes: tuple[str, ...], numeric_kinds: str) -> Inventory:
    """What the file at ``path`` holds; ``root_attributes`` of "/" are listed even where absent,
    datasets of dtype kinds ``numeric_kinds`` count as numeric."""
    datasets, groups, attributes = [], [], [("/", key) for key in root_attributes]
    with h5py.File(path, "r") as handle:

        def visit(name: str, obj: h5py.HLObject) -> None:
            (datasets if isinstance(obj, h5py.Dataset) else groups).append(name)
            attributes.extend((name, key) for key in obj.attrs)

        handle.visititems(visit)
        numeric = [name for name in datasets if handle[name].dtype.kind in numeric_kinds]
    return Inventory(tuple(datasets), tuple(numeric), tuple(groups), tuple(attributes))


# ---------------------------------------------------------------- .net files


@dataclass(frozen=True)
class AddEdge(HDF5Edit):
    """A further graph edge ``src -> dst`` of the tiny export (``tiny_quantized``) with zero
    weights of the right shape (when both ends exist), e.g. one that closes a cycle or feeds a
    layer twice."""

    src: str
    dst: str
    delay: int

    def edit(self, handle: h5py.File) -> None:
        edges = handle.get("graph/edges")
        if not isinstance(edges, h5py.Group):
            return
        sizes = {"input": 12}
        for group in handle["layer"].values():
            if "name" in group.attrs and isinstance(group.get("bias"), h5py.Dataset):
                sizes[str(group.attrs["name"])] = group["bias"].shape[0]
        sizes["attn"] = 32
        name = str(len(edges))
        if name in edges:  # an earlier edit dropped an edge: the next name is taken
            return
        edge = edges.create_group(name)
        weight = f"graph/edges/{name}/weight"
        edge.attrs.update({"src": self.src, "dst": self.dst, "delay": self.delay})
        edge.attrs["weight"] = weight
        edge["weight"] = np.zeros((sizes.get(self.dst, 1), sizes.get(self.src, 1)), np.int16)


# ---------------------------------------------------------------- Zenodo-layout .mat files


@dataclass(frozen=True)
class Retarget(HDF5Edit):
    """Cell ``(unit, channel)`` of ``spikes`` references ``target`` (a group, itself, ...)."""

    unit: int
    channel: int
    target: str

    def edit(self, handle: h5py.File) -> None:
        spikes = handle.get("spikes")
        if self.target not in handle or not _has_cell(spikes, self.unit, self.channel):
            return
        refs = spikes[()]
        refs[self.unit, self.channel] = handle[self.target].ref
        spikes[...] = refs


@dataclass(frozen=True)
class NullRef(HDF5Edit):
    """Cell ``(unit, channel)`` of ``spikes`` holds a null reference."""

    unit: int
    channel: int

    def edit(self, handle: h5py.File) -> None:
        spikes = handle.get("spikes")
        if not _has_cell(spikes, self.unit, self.channel):
            return
        refs = spikes[()]
        refs[self.unit, self.channel] = h5py.Reference()
        spikes[...] = refs


@dataclass(frozen=True)
class Dangle:
    """Cell ``index`` (row-major in the file) references file address ``address``."""

    index: int
    address: int

    def apply(self, path: Path) -> None:
        with h5py.File(path, "r") as handle:
            spikes = handle.get("spikes")
            if not _is_ref_cell_array(spikes) or self.index >= spikes.size:
                return
            offset = spikes.id.get_offset()
        if offset is None:
            return
        with open(path, "r+b") as raw:
            raw.seek(offset + 8 * self.index)
            raw.write(np.uint64(self.address).tobytes())


@dataclass(frozen=True)
class SetAttr(HDF5Edit):
    """Attribute ``MATLAB_empty`` of ``name`` is ``value``."""

    name: str
    value: object

    def edit(self, handle: h5py.File) -> None:
        SetAttribute(self.name, "MATLAB_empty", self.value).edit(handle)


MAX_CELLS = 16
"""Most cells of a cell array the edits above change (the test files' are 2 x 2 and 2 x 3;
larger ones were declared huge and are never read)."""


def _is_ref_cell_array(spikes: object) -> bool:
    """Whether ``spikes`` is still a small 2-D dataset of object references, as written."""
    return (
        isinstance(spikes, h5py.Dataset)
        and h5py.check_ref_dtype(spikes.dtype) is h5py.Reference
        and spikes.ndim == 2
        and spikes.size <= MAX_CELLS
    )


def _has_cell(spikes: object, unit: int, channel: int) -> bool:
    """Whether ``spikes`` is such a cell array and has cell ``(unit, channel)``."""
    return _is_ref_cell_array(spikes) and unit < spikes.shape[0] and channel < spikes.shape[1]
