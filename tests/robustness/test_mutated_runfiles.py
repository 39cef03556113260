"""Run files damaged or made hostile: a clear error naming the file, or a correct run.

A run file as ``rat-lava run --probes`` writes it (velocity, ground truth, per-layer spikes,
metadata, timing, a probe report) is mutated at the byte level and structurally. Every read
ends within a time limit in either a one-line RatLavaError (RunFileError, or ProbeFileError for
the probe group) that starts with the file's path, or a RunFile whose arrays keep their
contract (finite (T, 2) velocities, T >= 1, non-negative spike counts per step), which
``rat-lava evaluate`` scores; the command itself prints one line and exits 0 or 2.
"""

from __future__ import annotations

import contextlib
import io
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from rat_lava import cli
from rat_lava.errors import RatLavaError
from rat_lava.metrics import r2_score
from rat_lava.probes import simulated_probes
from rat_lava.runs.runfile import RunFile, read_run, write_run
from tests.helpers.export_helpers import counts, tiny_quantized
from tests.helpers.hdf5_edits import (
    DeclareHuge,
    Drop,
    DropAttribute,
    Inventory,
    MakeGroup,
    Replace,
    SetAttribute,
    SetElement,
    inventory,
)
from tests.helpers.mutations import (
    FUZZ,
    Base,
    apply_bytes,
    attribute_values,
    byte_edits,
    element_values,
    h5_values,
    pick,
    time_limit,
)

RUN_FUZZ = settings(FUZZ, max_examples=40)

STEPS = 50


def run_edits(inv: Inventory) -> st.SearchStrategy[list]:
    """One to three structural edits of the base run file."""
    dataset = pick(inv.datasets)
    attribute = pick(inv.attributes)
    edit = st.one_of(
        st.builds(Drop, pick(inv.datasets + inv.groups)),
        st.builds(Replace, dataset, h5_values()),
        st.builds(Replace, st.sampled_from(("velocity", "ground_truth")), h5_values()),
        st.builds(MakeGroup, dataset),
        st.builds(SetElement, pick(inv.numeric), st.integers(0, 4 * STEPS), element_values()),
        attribute.flatmap(
            lambda a: st.builds(SetAttribute, st.just(a[0]), st.just(a[1]), attribute_values())
        ),
        attribute.map(lambda a: DropAttribute(*a)),
        st.builds(
            DeclareHuge,
            st.sampled_from(("velocity", "ground_truth", "spikes/x", "probes/activity/syn_ops")),
            st.sampled_from([(2**33, 2), (2**36,), (2**20, 2**20)]),
        ),
    )
    return st.lists(edit, min_size=1, max_size=3)


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("mutated_run")


@pytest.fixture(scope="module")
def base(work) -> Base:
    """A run file of the tiny network decoding 50 steps, with probes."""
    network = tiny_quantized()
    spikes = counts(STEPS)
    trace = network.run(spikes)
    layers = [layer.name for layer in network.layers if layer.kind == "cuba"]
    truth = np.random.default_rng(1).normal(size=(STEPS, 2))
    run = RunFile(
        velocity=trace.velocity,
        ground_truth=truth,
        spikes={name: trace.outputs[name].sum(axis=1).astype(np.int64) for name in layers},
        meta={"backend": "sim-fixed", "network": "tiny.net", "dt": 0.004, "latency_steps": 8},
        timing={"run_s": 0.5, "steps_per_s": 100.0},
        probes=simulated_probes(network, spikes),
    )
    path = work / "base.h5"
    write_run(path, run)
    inv = inventory(path, root_attributes=("format", "version"), numeric_kinds="iubf")
    return Base(path.read_bytes(), inv, run=run)


def assert_valid_run(run: RunFile) -> None:
    """The contract of a read run file: what ``rat-lava evaluate`` and ``compare`` rely on."""
    assert run.steps >= 1
    for array in (run.velocity, run.ground_truth):
        assert array.shape == (run.steps, 2) and array.dtype == np.float64
        assert np.all(np.isfinite(array))
    for counts_per_step in run.spikes.values():
        assert counts_per_step.shape == (run.steps,) and counts_per_step.dtype.kind in "iu"
        assert counts_per_step.min(initial=0) >= 0
    assert all(isinstance(v, float) and math.isfinite(v) for v in run.timing.values())
    r2_score(run.ground_truth, run.velocity)


def outcome(path: Path) -> RunFile | None:
    """``read_run`` and ``rat-lava evaluate`` on ``path`` under a time limit.

    Returns the run, or None after both ended in a one-line error naming the file.
    """
    out, err = io.StringIO(), io.StringIO()
    with time_limit(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = cli.main(["evaluate", str(path)])
        try:
            run = read_run(path)
        except RatLavaError as exc:
            message = str(exc)
            assert message.startswith(str(path)) and "\n" not in message, message
            run = None
    lines = (out.getvalue() + err.getvalue()).strip().splitlines()
    assert len(lines) == 1, lines
    if status == 2:
        assert lines[0].startswith(f"rat-lava: error: {path}"), lines
        event(f"rejected: {lines[0].removeprefix(f'rat-lava: error: {path}')[:40]}")
    else:
        assert status == 0 and "R2 = " in lines[0], lines
    assert (run is None) == (status == 2), lines
    return run


@RUN_FUZZ
@given(data=st.data())
def test_byte_edits(work, base, data):
    path = work / "bytes.h5"
    path.write_bytes(apply_bytes(base.raw, data.draw(byte_edits(len(base.raw)))))
    run = outcome(path)
    if run is not None:
        assert_valid_run(run)


@RUN_FUZZ
@given(data=st.data())
def test_structural_edits(work, base, data):
    path = work / "edited.h5"
    path.write_bytes(base.raw)
    for edit in data.draw(run_edits(base.inv)):
        edit.apply(path)
    run = outcome(path)
    if run is not None:
        event("accepted")
        assert_valid_run(run)


def test_base_file_reads_back(work, base):
    path = work / "intact.h5"
    path.write_bytes(base.raw)
    run = outcome(path)
    assert run is not None
    assert np.array_equal(run.velocity, base.run.velocity)
    assert run.spikes.keys() == base.run.spikes.keys() and run.probes is not None
