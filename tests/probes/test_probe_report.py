"""Probe report HDF5 round trip and refusal of damaged or foreign groups."""

import dataclasses

import h5py
import numpy as np
import pytest

from rat_lava.probes.activity import COUNTERS
from rat_lava.probes.errors import ProbeFileError
from rat_lava.probes.report import ProbeReport
from rat_lava.probes.simulated import simulated_probes


@pytest.fixture(scope="module")
def report(small_network, counts) -> ProbeReport:
    return simulated_probes(small_network, counts[:40])


def assert_same(a: ProbeReport, b: ProbeReport) -> None:
    assert (a.backend, a.dt_s, a.core_labels) == (b.backend, b.dt_s, b.core_labels)
    np.testing.assert_array_equal(a.memory_utilization, b.memory_utilization)
    assert a.activity.num_steps == b.activity.num_steps
    for name in ("core_idx", "chip_idx", *COUNTERS):
        left, right = getattr(a.activity, name), getattr(b.activity, name)
        assert left.dtype == right.dtype == np.int64
        np.testing.assert_array_equal(left, right)
    for field in dataclasses.fields(a.energy):
        left, right = getattr(a.energy, field.name), getattr(b.energy, field.name)
        if isinstance(left, np.ndarray):
            np.testing.assert_array_equal(left, right)
        elif isinstance(left, float) and np.isnan(left):
            assert np.isnan(right)
        else:
            assert left == right


def write(report: ProbeReport, path) -> None:
    with h5py.File(path, "w") as f:
        report.to_hdf5(f.create_group("probes"))


def test_round_trip_of_a_modelled_per_step_report(report, tmp_path):
    path = tmp_path / "run.h5"
    write(report, path)
    with h5py.File(path) as f:
        assert f["probes"].attrs["schema"] == "rat-lava-probes"
        assert f["probes/activity/syn_ops"].shape == (40, len(report.core_labels))
        again = ProbeReport.from_hdf5(f["probes"])
    assert_same(report, again)
    assert again.energy.energy_per_step_j == report.energy.energy_per_step_j > 0


def test_round_trip_of_run_totals_with_nan_fields(report, tmp_path):
    totals = dataclasses.replace(
        report,
        activity=report.activity.totals(),
        energy=dataclasses.replace(report.energy, acs_per_step=float("nan")),
        memory_utilization=np.linspace(0.0, 1.0, len(report.core_labels)),
    )
    path = tmp_path / "run.h5"
    write(totals, path)
    with h5py.File(path) as f:
        assert_same(totals, ProbeReport.from_hdf5(f["probes"]))


@pytest.mark.parametrize(
    ("damage", "match"),
    [
        (lambda g: g.attrs.__delitem__("schema"), "not a rat-lava probe report"),
        (lambda g: g.attrs.__setitem__("version", 99), "version 99 is not supported"),
        (lambda g: g["activity"].__delitem__("syn_ops"), "damaged probe report"),
        (lambda g: g["energy"].attrs.__delitem__("source"), "damaged probe report"),
        (lambda g: g["energy"].attrs.__setitem__("source", "guessed"), "damaged probe report"),
        (lambda g: g["cores"].__delitem__("label"), "damaged probe report"),
    ],
)
def test_damaged_groups_are_refused_with_the_file_name(report, tmp_path, damage, match):
    path = tmp_path / "bad.h5"
    write(report, path)
    with h5py.File(path, "a") as f:
        damage(f["probes"])
    with h5py.File(path) as f, pytest.raises(ProbeFileError, match=match) as info:
        ProbeReport.from_hdf5(f["probes"])
    assert "bad.h5:/probes" in str(info.value)


def test_inconsistent_reports_cannot_be_built(report):
    with pytest.raises(ValueError, match="core_labels"):
        dataclasses.replace(report, core_labels=report.core_labels[:-1])
    with pytest.raises(ValueError, match="steps"):
        energy = dataclasses.replace(report.energy, num_steps=41, step_time_s=np.zeros(0))
        dataclasses.replace(report, energy=energy)
