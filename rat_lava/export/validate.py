"""Check a .net file before anything is built from it; every problem is one ``NetFileError``.

Order of the checks, so that a hostile or broken file fails early and cheaply:

1. header: the ``format`` attribute, and a ``schema_version`` this rat-lava reads;
2. sizes, from HDF5 metadata only: number of layers, edges and products, declared bytes of all
   datasets and attributes, neurons and synapses (``MAX_*``), before any data is read;
3. content: every dataset is read (chunked arrays carry HDF5 Fletcher-32 checksums) and the
   SHA-256 of the whole content must match the ``content_sha256`` attribute, so a flipped byte
   anywhere is found;
4. each netx layer group: datasets present, dtypes and shapes, and the values Loihi 2 holds
   (8-bit weights with a shared exponent, 12-bit decays, integer thresholds, 13-bit biases,
   delays 0..62);
5. the graph section: references to existing layers and products, weight shapes along every
   edge, no cycle except the layers' own declared recurrences (``weight_rec``);
6. the model card: a JSON object consistent with the network.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import h5py
import numpy as np

from rat_lava.deploy.fixed_point import MAX_DELAY
from rat_lava.deploy.network import INPUT, KINDS, AttentionProduct
from rat_lava.errors import NetFileError
from rat_lava.export.quantize import (
    BIAS_MANT_MAX,
    BIAS_MANT_MIN,
    DECAY_MAX,
    DECAY_MIN,
    INTEGRATOR_VTH_MANT,
    VTH_MANT_MAX,
    VTH_MANT_MIN,
    weight_exponent,
)

FORMAT = "rat-lava-net"
"""Value of the root attribute ``format``."""

SCHEMA_VERSION = 2
"""Version of the layout written by this rat-lava (root ``schema_version``, ``graph`` version).
2 adds the graph attributes ``substeps`` (network steps per data bin) and ``read_delay`` (steps
after a bin's last sub-step at which its velocity is read); files of schema 1 are read as one
step per bin read at once, which is what they computed."""

DIGEST_ATTR = "content_sha256"
"""Root attribute holding the SHA-256 of the file's content (see ``content_digest``)."""

CARD_KEYS = ("channels", "dt_s", "latency_steps", "package_version", "quantization")
"""Model-card entries every file must have."""

MAX_LAYERS = 256
MAX_SUBSTEPS = 1000
"""Most network steps per data bin a file may declare."""
MAX_EDGES = 1024
MAX_PRODUCTS = 64
MAX_NEURONS = 1 << 22
"""Neurons of the whole network (Loihi 2: about 1M per chip; a few chips)."""
MAX_SYNAPSES = 1 << 27
"""Weight entries of the whole network (Loihi 2: about 120M synapses per chip)."""
MAX_DATA_BYTES = 1 << 30
"""Declared bytes of all datasets together."""
MAX_ATTR_BYTES = 1 << 16
"""Declared bytes of one attribute."""
MAX_NAME_CHARS = 64

NETX_TYPES = ("dense", "dense_rec")


@dataclass(frozen=True)
class LayerData:
    """One checked netx layer group ``layer/<index>``; integers as stored (Lava units)."""

    index: int
    name: str
    kind: str
    shape: tuple[int, ...]
    weight: np.ndarray
    weight_rec: np.ndarray | None
    bias: np.ndarray
    i_decay: np.ndarray
    v_decay: np.ndarray
    vth_mant: int
    delay: int

    @property
    def size(self) -> int:
        """Number of neurons."""
        return int(np.prod(self.shape))


@dataclass(frozen=True)
class EdgeData:
    """One checked graph edge; ``weight`` (dst size, src size) integers = 64 w."""

    src: str
    dst: str
    delay: int
    weight: np.ndarray


@dataclass(frozen=True)
class NetData:
    """Everything a checked .net file holds, before it becomes a ``FoldedNetwork``."""

    n_inputs: int
    dt: float
    substeps: int
    read_delay: int
    condition: str
    readout: str
    readout_heads: int
    layers: list[LayerData]
    edges: list[EdgeData]
    products: list[AttentionProduct]
    card: dict


class _Checker:
    """Raises ``NetFileError`` naming the file; see the module docstring for the order."""

    def __init__(self, handle: h5py.File, where: str) -> None:
        self.f = handle
        self.where = where

    def fail(self, problem: str) -> NetFileError:
        return NetFileError(f"{self.where}: {problem}")

    def group(self, path: str) -> h5py.Group:
        obj = self.f.get(path)
        if not isinstance(obj, h5py.Group):
            raise self.fail(f"missing group '{path}'")
        return obj

    def dataset(self, path: str, required: bool = True) -> h5py.Dataset | None:
        obj = self.f.get(path)
        if obj is None and not required:
            return None
        if not isinstance(obj, h5py.Dataset):
            raise self.fail(f"missing dataset '{path}'")
        return obj

    def attr(self, obj: h5py.HLObject, key: str, kind: type) -> object:
        """Attribute ``key`` of ``obj`` as ``kind`` (str, int or float)."""
        if key not in obj.attrs:
            raise self.fail(f"'{obj.name}' has no attribute '{key}'")
        value = obj.attrs[key]
        if kind is str:
            if isinstance(value, bytes):
                value = value.decode("utf-8")
            if not isinstance(value, str) or not 0 < len(value) <= MAX_NAME_CHARS:
                raise self.fail(f"attribute '{key}' of '{obj.name}' must be a short text")
            return value
        array = np.asarray(value)
        numeric = "iu" if kind is int else "iuf"
        if array.shape != () or array.dtype.kind not in numeric:
            raise self.fail(f"attribute '{key}' of '{obj.name}' must be one {kind.__name__}")
        return kind(array)

    def integers(self, ds: h5py.Dataset, shapes: tuple[tuple[int, ...], ...]) -> np.ndarray:
        """An integer dataset of one of ``shapes``, as int64."""
        if ds.dtype.kind not in "iub":
            raise self.fail(f"'{ds.name}' must hold integers, found dtype {ds.dtype}")
        if ds.shape not in shapes:
            expected = " or ".join(str(s) for s in shapes)
            raise self.fail(f"'{ds.name}' has shape {ds.shape}, expected {expected}")
        return np.asarray(ds[()], dtype=np.int64)

    def in_range(self, values: np.ndarray, low: int, high: int, what: str) -> None:
        if values.size and (values.min() < low or values.max() > high):
            raise self.fail(
                f"{what} outside [{low}, {high}] (found {values.min()}..{values.max()})"
            )


def content_digest(handle: h5py.File) -> str:
    """SHA-256 over every group, dataset (dtype, shape, bytes) and attribute except the digest."""
    sha = hashlib.sha256()

    def add_attrs(obj: h5py.HLObject) -> None:
        for key in sorted(obj.attrs):
            if obj.name == "/" and key == DIGEST_ATTR:
                continue
            value = np.asarray(obj.attrs[key])
            data = repr(value.tolist()) if value.dtype.kind in "OSU" else value.tobytes()
            sha.update(f"A {key} {value.dtype.str} {value.shape}\n".encode())
            sha.update(data.encode() if isinstance(data, str) else data)

    add_attrs(handle)
    names: list[str] = []
    handle.visit(names.append)
    for name in sorted(names):
        obj = handle[name]
        if isinstance(obj, h5py.Dataset):
            value = np.ascontiguousarray(obj[()])
            sha.update(f"D {name} {value.dtype.str} {value.shape}\n".encode())
            sha.update(value.tobytes())
        else:
            sha.update(f"G {name}\n".encode())
        add_attrs(obj)
    return sha.hexdigest()


def check_file(handle: h5py.File, where: str) -> NetData:
    """Check an open .net file completely; ``where`` names it in messages.

    Raises ``NetFileError`` for anything wrong, and lets h5py's own errors
    (``rat_lava.io_utils.HDF5_READ_ERRORS``) through for the caller to report as an unreadable
    file.
    """
    check = _Checker(handle, where)
    _check_header(check)
    _check_sizes(check)
    stored = handle.attrs.get(DIGEST_ATTR)
    if not isinstance(stored, str) or stored != content_digest(handle):
        raise check.fail(
            "content checksum does not match: the file was altered or corrupted after it was "
            "written"
        )
    graph = check.group("graph")
    schema = check.attr(check.f, "schema_version", int)
    version = check.attr(graph, "version", int)
    if version != schema:
        raise check.fail(f"graph section version {version} does not match schema {schema}")
    n_inputs = check.attr(graph, "n_inputs", int)
    input_layer = check.group("layer/0")
    if _text(check, check.dataset("layer/0/type")) != "input":
        raise check.fail("'layer/0' must be the netx input layer (type 'input')")
    if check.integers(check.dataset("layer/0/shape"), ((1,),)).tolist() != [n_inputs]:
        raise check.fail(f"'{input_layer.name}/shape' does not match n_inputs = {n_inputs}")
    layers = [_layer(check, i) for i in range(1, len(check.group("layer")))]
    names = [layer.name for layer in layers]
    if len(set(names)) != len(names) or INPUT in names:
        raise check.fail(f"layer names must be unique and not '{INPUT}': {names}")
    products = _products(check, {layer.name: layer for layer in layers})
    edges = _edges(check, layers, products, n_inputs)
    _check_acyclic(check, layers, edges, products)
    readout = check.attr(graph, "readout", str)
    heads = check.attr(graph, "readout_heads", int)
    by_name = {layer.name: layer for layer in layers}
    if readout not in by_name or by_name[readout].kind != "integrator":
        raise check.fail(f"readout '{readout}' is not an integrator layer")
    if heads < 1 or by_name[readout].size != 2 * heads:
        raise check.fail(f"readout '{readout}' does not hold {heads} heads of (vx, vy)")
    dt = check.attr(graph, "dt", float)
    if not np.isfinite(dt) or dt <= 0:
        raise check.fail(f"dt must be a positive number of seconds, got {dt}")
    substeps = check.attr(graph, "substeps", int) if schema >= 2 else 1
    if not 1 <= substeps <= MAX_SUBSTEPS:
        raise check.fail(f"substeps must be in [1, {MAX_SUBSTEPS}], got {substeps}")
    read_delay = check.attr(graph, "read_delay", int) if schema >= 2 else 0
    check.in_range(np.array([read_delay]), 0, MAX_DELAY, "read_delay")
    card = _card(check, n_inputs)
    return NetData(
        n_inputs=n_inputs,
        dt=dt,
        substeps=substeps,
        read_delay=read_delay,
        condition=check.attr(graph, "condition", str),
        readout=readout,
        readout_heads=heads,
        layers=layers,
        edges=edges,
        products=products,
        card=card,
    )


def _check_header(check: _Checker) -> None:
    fmt = check.f.attrs.get("format")
    if isinstance(fmt, bytes):
        fmt = fmt.decode("utf-8", "replace")
    if fmt != FORMAT:
        raise check.fail(f"not a rat-lava .net file (root attribute 'format' is {fmt!r})")
    version = check.attr(check.f, "schema_version", int)
    if version > SCHEMA_VERSION:
        raise check.fail(
            f"written by a newer rat-lava (schema {version}); this version reads up to "
            f"{SCHEMA_VERSION}"
        )
    if version < 1:
        raise check.fail(f"invalid schema version {version}")


def _check_sizes(check: _Checker) -> None:
    """Bounds from metadata alone: counts, declared bytes, neurons and synapses."""
    counts = {
        "layer": MAX_LAYERS + 1,
        "graph/edges": MAX_EDGES,
        "graph/products": MAX_PRODUCTS,
    }
    for path, limit in counts.items():
        group = check.group(path)
        if len(group) > limit:
            raise check.fail(f"'{path}' holds {len(group)} entries, more than the limit {limit}")
        if sorted(group, key=lambda k: (len(k), k)) != [str(i) for i in range(len(group))]:
            raise check.fail(f"members of '{path}' must be named 0, 1, 2, ...")
    total = 0
    objects: list[h5py.HLObject] = [check.f]
    check.f.visit(lambda name: objects.append(check.f[name]))
    for obj in objects:
        for key in obj.attrs:
            if obj.attrs.get_id(key).get_storage_size() > MAX_ATTR_BYTES:
                raise check.fail(f"attribute '{key}' of '{obj.name}' is larger than allowed")
        if isinstance(obj, h5py.Dataset):
            if obj.dtype.kind == "O" or obj.dtype.names is not None:
                raise check.fail(f"'{obj.name}' has an unsupported dtype {obj.dtype}")
            total += int(np.prod(obj.shape, dtype=np.float64)) * obj.dtype.itemsize
    if total > MAX_DATA_BYTES:
        raise check.fail(f"datasets declare {total} bytes, more than the limit {MAX_DATA_BYTES}")
    neurons = synapses = 0
    for name in check.group("layer"):
        for key, ds in check.group(f"layer/{name}").items():
            if key in ("weight", "weight_rec") and isinstance(ds, h5py.Dataset):
                synapses += int(np.prod(ds.shape, dtype=np.float64))
            if key == "shape" and isinstance(ds, h5py.Dataset) and ds.size <= 3:
                neurons += int(np.prod(ds[()], dtype=np.float64))
    for edge in check.group("graph/edges").values():
        if isinstance(edge, h5py.Group) and isinstance(edge.get("weight"), h5py.Dataset):
            synapses += int(np.prod(edge["weight"].shape, dtype=np.float64))
    if neurons > MAX_NEURONS or synapses > MAX_SYNAPSES:
        raise check.fail(
            f"network too large ({neurons} neurons, {synapses} synapses; limits {MAX_NEURONS} "
            f"and {MAX_SYNAPSES})"
        )


def _text(check: _Checker, ds: h5py.Dataset) -> str:
    """A netx string dataset (shape () or (1,), bytes), decoded."""
    if ds.dtype.kind != "S" or ds.shape not in ((), (1,)):
        raise check.fail(f"'{ds.name}' must be a netx string")
    value = ds[()] if ds.shape == () else ds[0]
    return bytes(value).decode("ascii", "replace")


def _scalar(check: _Checker, path: str, default: int | None = None) -> int:
    ds = check.dataset(path, required=default is None)
    if ds is None:
        return int(default)
    return int(check.integers(ds, ((), (1,))).reshape(()))


def _layer(check: _Checker, index: int) -> LayerData:
    base = f"layer/{index}"
    group = check.group(base)
    name = check.attr(group, "name", str)
    kind = check.attr(group, "kind", str)
    where = f"layer '{name}' ({base})"
    if kind not in KINDS:
        raise check.fail(f"{where}: unknown kind {kind!r} (expected one of {KINDS})")
    netx_type = _text(check, check.dataset(f"{base}/type"))
    if netx_type not in NETX_TYPES:
        raise check.fail(f"{where}: netx type {netx_type!r} is not one of {NETX_TYPES}")
    shape_ds = check.dataset(f"{base}/shape")
    if shape_ds.ndim != 1 or not 1 <= shape_ds.size <= 3:
        raise check.fail(f"{where}: 'shape' must list 1 to 3 sizes")
    shape = tuple(int(s) for s in check.integers(shape_ds, (shape_ds.shape,)))
    if min(shape) < 1:
        raise check.fail(f"{where}: shape {shape} has a size below 1")
    size = int(np.prod(shape))
    weight_ds = check.dataset(f"{base}/weight")
    if weight_ds.ndim != 2 or weight_ds.shape[0] != size:
        raise check.fail(
            f"{where}: 'weight' has shape {weight_ds.shape}, expected ({size}, inputs)"
        )
    weight = check.integers(weight_ds, (weight_ds.shape,))
    rec_ds = check.dataset(f"{base}/weight_rec", required=False)
    if (rec_ds is not None) != (netx_type == "dense_rec"):
        raise check.fail(
            f"{where}: a '{netx_type}' layer {'needs' if rec_ds is None else 'has'} 'weight_rec'"
        )
    weight_rec = None if rec_ds is None else check.integers(rec_ds, ((size, size),))
    joint = weight if weight_rec is None else np.hstack([weight, weight_rec])
    if weight_exponent(joint) is None:
        raise check.fail(
            f"{where}: weights are not 8-bit mantissas with one shared exponent (64 w must lie "
            "in [-128, 127], or be even in [-256, 254])"
        )
    bias_ds = check.dataset(f"{base}/bias", required=False)
    bias = np.zeros(size, np.int64) if bias_ds is None else check.integers(bias_ds, ((size,),))
    check.in_range(bias, BIAS_MANT_MIN, BIAS_MANT_MAX, f"{where}: bias")
    decays = []
    for key in ("iDecay", "vDecay"):
        values = check.integers(check.dataset(f"{base}/neuron/{key}"), ((), (size,)))
        check.in_range(values, DECAY_MIN, DECAY_MAX, f"{where}: {key}")
        decays.append(np.broadcast_to(values, (size,)).copy())
    if _text(check, check.dataset(f"{base}/neuron/type")) != "CUBA":
        raise check.fail(f"{where}: neuron type must be 'CUBA'")
    vth = _scalar(check, f"{base}/neuron/vThMant")
    if kind == "integrator" and vth != INTEGRATOR_VTH_MANT:
        raise check.fail(f"{where}: an integrator needs vThMant {INTEGRATOR_VTH_MANT}, found {vth}")
    if kind == "cuba":
        check.in_range(np.array([vth]), VTH_MANT_MIN, VTH_MANT_MAX - 1, f"{where}: vThMant")
    _scalar(check, f"{base}/neuron/refDelay")
    graded = _scalar(check, f"{base}/neuron/gradedSpike")
    if bool(graded) != (kind == "integrator"):
        raise check.fail(f"{where}: gradedSpike must be set for integrators only")
    delay = _scalar(check, f"{base}/delay", default=0)
    check.in_range(np.array([delay]), 0, MAX_DELAY, f"{where}: delay")
    return LayerData(
        index, name, kind, shape, weight, weight_rec, bias, decays[0], decays[1], vth, delay
    )


def _products(check: _Checker, layers: dict[str, LayerData]) -> list[AttentionProduct]:
    products = []
    for j in range(len(check.group("graph/products"))):
        group = check.group(f"graph/products/{j}")
        product = AttentionProduct.from_hdf5(group, check.attr)
        where = f"attention product '{product.name}'"
        if product.name in layers or product.name == INPUT:
            raise check.fail(f"{where}: name already used")
        if min(product.tokens, product.heads, product.head_features) < 1:
            raise check.fail(f"{where}: tokens, heads and head_features must be >= 1")
        check.in_range(np.array([product.delay]), 0, MAX_DELAY, f"{where}: delay")
        size = product.tokens * product.heads * product.head_features
        for port in ("q", "k", "v"):
            source = getattr(product, port)
            if source not in layers or layers[source].kind != "cuba":
                raise check.fail(f"{where}: input {port} = '{source}' is not a spiking layer")
            if layers[source].size != size:
                raise check.fail(
                    f"{where}: layer '{source}' has {layers[source].size} neurons, expected {size}"
                )
        products.append(product)
    if len({p.name for p in products}) != len(products):
        raise check.fail("attention product names must be unique")
    return products


def _edges(
    check: _Checker, layers: list[LayerData], products: list[AttentionProduct], n_inputs: int
) -> list[EdgeData]:
    by_name = {layer.name: layer for layer in layers}
    sizes = {INPUT: n_inputs, **{layer.name: layer.size for layer in layers}}
    sizes.update({p.name: p.tokens * p.heads * p.head_features for p in products})
    edges = []
    for j in range(len(check.group("graph/edges"))):
        base = f"graph/edges/{j}"
        group = check.group(base)
        src, dst = check.attr(group, "src", str), check.attr(group, "dst", str)
        delay = check.attr(group, "delay", int)
        where = f"edge {j} ({src}->{dst})"
        if src not in sizes:
            raise check.fail(f"{where}: source '{src}' is neither the input, a layer nor a product")
        if dst not in by_name:
            raise check.fail(f"{where}: destination '{dst}' is not a layer")
        check.in_range(np.array([delay]), 0, MAX_DELAY, f"{where}: delay")
        layer = by_name[dst]
        primary = not any(e.dst == dst for e in edges)
        expected = f"layer/{layer.index}/weight" if primary else f"{base}/weight"
        if check.attr(group, "weight", str) != expected:
            raise check.fail(f"{where}: its weights must be '{expected}'")
        if primary:
            weight = layer.weight
            if delay != layer.delay:
                raise check.fail(f"{where}: delay {delay} differs from '{dst}' delay {layer.delay}")
        else:
            weight = check.integers(check.dataset(expected), ((layer.size, sizes[src]),))
            if weight_exponent(weight) is None:
                raise check.fail(f"{where}: weights are not 8-bit mantissas with one exponent")
        if weight.shape != (layer.size, sizes[src]):
            raise check.fail(
                f"{where}: weights of shape {weight.shape}, expected {(layer.size, sizes[src])}"
            )
        edges.append(EdgeData(src, dst, delay, weight))
    missing = [layer.name for layer in layers if not any(e.dst == layer.name for e in edges)]
    if missing:
        raise check.fail(f"no graph edge feeds layer(s) {missing}")
    return edges


def _check_acyclic(
    check: _Checker,
    layers: list[LayerData],
    edges: list[EdgeData],
    products: list[AttentionProduct],
) -> None:
    """Depth-first search over edges and products; a layer's weight_rec is not an edge."""
    inputs: dict[str, list[str]] = {layer.name: [] for layer in layers}
    for edge in edges:
        inputs[edge.dst].append(edge.src)
    for product in products:
        inputs[product.name] = [product.q, product.k, product.v]
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        if state.get(node) == 2 or node == INPUT:
            return
        if state.get(node) == 1:
            loop = [*path[path.index(node) :], node]
            raise check.fail(
                f"graph has a cycle {' <- '.join(loop)}; only a layer's own weight_rec may loop"
            )
        state[node] = 1
        for source in inputs[node]:
            visit(source, [*path, node])
        state[node] = 2

    for node in inputs:
        visit(node, [])


def _card(check: _Checker, n_inputs: int) -> dict:
    ds = check.dataset("card")
    if ds.dtype.kind != "S" or ds.shape != ():
        raise check.fail("'card' must be one JSON string")
    try:
        card = json.loads(bytes(ds[()]).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise check.fail(f"model card is not valid JSON ({exc})") from None
    if not isinstance(card, dict):
        raise check.fail("model card must be a JSON object")
    missing = [key for key in CARD_KEYS if key not in card]
    if missing:
        raise check.fail(f"model card lacks {missing}")
    if card["channels"] != n_inputs:
        raise check.fail(f"model card says {card['channels']} channels, the network has {n_inputs}")
    return card
