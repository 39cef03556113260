"""Loihi 2 profiler adapter, fed recorded-format fixtures (shape of lava-loihi's profiler
objects; not hardware data), see fixtures/loihi2_recorded_format.json."""

import importlib.util

import h5py
import numpy as np
import pytest

from rat_lava.errors import RatLavaError
from rat_lava.metrics import Ops
from rat_lava.probes.errors import LoihiExtensionMissing, ProfilerDataError
from rat_lava.probes.loihi2 import PROFILER_MODULE, loihi2_callbacks, report_from_profilers
from rat_lava.probes.report import ProbeReport
from rat_lava.probes.simulated import simulated_probes

MEAN_TOTAL_W = (1.21 + 1.25 + 1.19 + 1.23 + 1.22 + 1.24) / 6
STATIC_W = 0.96
STEP_S = 11.5e-6


def measured(recorded_profilers, **kwargs) -> ProbeReport:
    objects, steps = recorded_profilers
    return report_from_profilers(
        objects["Loihi2Power"],
        objects["Loihi2ExecutionTime"],
        objects["Loihi2Activity"],
        objects["Loihi2Memory"],
        num_steps=steps,
        dt_s=0.004,
        **kwargs,
    )


@pytest.mark.skipif(
    importlib.util.find_spec(PROFILER_MODULE) is not None, reason="lava-loihi is installed"
)
def test_missing_lava_loihi_is_one_clear_error():
    with pytest.raises(LoihiExtensionMissing) as info:
        loihi2_callbacks(100)
    message = str(info.value)
    assert isinstance(info.value, RatLavaError)
    assert "lava-loihi" in message and PROFILER_MODULE in message and "INRC" in message
    assert "\n" not in message


def test_measured_power_and_time_give_the_energy(recorded_profilers):
    report = measured(recorded_profilers)
    energy = report.energy
    assert report.source == "measured" and report.backend == "loihi2" and report.dt_s == 0.004
    assert energy.time_per_step_s == pytest.approx(STEP_S)
    assert energy.static_power_w == pytest.approx(STATIC_W)
    assert energy.dynamic_energy_j == pytest.approx((MEAN_TOTAL_W - STATIC_W) * STEP_S * 4)
    assert energy.static_energy_j == pytest.approx(STATIC_W * STEP_S * 4)
    # Intel's convention: energy per inference = mean total power / throughput
    assert energy.energy_per_step_j == pytest.approx(MEAN_TOTAL_W * STEP_S)
    assert energy.mean_power_w == pytest.approx(MEAN_TOTAL_W)
    np.testing.assert_allclose(energy.step_time_s, [12e-6, 11e-6, 11.5e-6, 11.5e-6])
    assert energy.power_rails_w["vdd_power"] == pytest.approx(3.70 / 6)
    assert set(energy.power_rails_w) == {"vdd_power", "vddm_power", "vddio_power"}
    assert np.all(np.isnan(energy.dynamic_energy_per_core_j))


def test_activity_and_memory_per_core(recorded_profilers):
    report = measured(recorded_profilers, ops=Ops(100.0, 2.0))
    activity = report.activity
    assert not activity.per_step and activity.num_steps == 4
    np.testing.assert_array_equal(activity.core_idx, [0, 1, 2])
    np.testing.assert_array_equal(activity.syn_ops, [5120, 3307, 128])
    np.testing.assert_array_equal(activity.spikes_in, [384, 211, 96])
    assert activity.syn_ops.dtype == np.int64
    np.testing.assert_array_equal(report.memory_utilization, [0.31, np.nan, 0.12])
    assert report.core_labels == ("", "", "")
    assert report.energy.neurobench_energy_per_step_j == pytest.approx((90 + 9.2) * 1e-12)


def test_idle_power_of_unused_chips_is_removed(recorded_profilers):
    report = measured(recorded_profilers, board_chips=4)
    unused = STATIC_W * 3 / 4
    assert report.energy.static_power_w == pytest.approx(STATIC_W - unused)
    assert report.energy.mean_power_w == pytest.approx(MEAN_TOTAL_W - unused)
    assert report.energy.dynamic_energy_j == pytest.approx((MEAN_TOTAL_W - STATIC_W) * STEP_S * 4)
    with pytest.raises(ValueError, match="board_chips"):
        measured(recorded_profilers, board_chips=0)


def test_optional_fields_may_be_absent(recorded_profilers):
    objects, steps = recorded_profilers
    del objects["Loihi2ExecutionTime"].time_per_step
    del objects["Loihi2Activity"].chip_idx
    del objects["Loihi2Power"].vddio_power
    report = report_from_profilers(
        objects["Loihi2Power"],
        objects["Loihi2ExecutionTime"],
        objects["Loihi2Activity"],
        num_steps=steps,
        dt_s=0.004,
    )
    assert report.energy.step_time_s.shape == (0,)
    np.testing.assert_array_equal(report.activity.chip_idx, [0, 0, 0])
    assert set(report.energy.power_rails_w) == {"vdd_power", "vddm_power"}
    assert np.all(np.isnan(report.memory_utilization))


def test_a_step_time_series_of_another_length_is_not_kept(recorded_profilers):
    objects, _ = recorded_profilers
    objects["Loihi2ExecutionTime"].time_per_step = np.array([12.0, 11.0])
    assert measured(recorded_profilers).energy.step_time_s.shape == (0,)


@pytest.mark.parametrize(
    ("profiler", "field", "value", "match"),
    [
        ("Loihi2Power", "static_total_power", None, "static_total_power"),
        ("Loihi2Power", "total_power", np.array([1.2, np.nan]), "non-finite"),
        ("Loihi2ExecutionTime", "avg_time_per_step", None, "avg_time_per_step"),
        ("Loihi2Activity", "syn_ops", np.array([1, 2]), "one length"),
        ("Loihi2Activity", "axon_out", None, "axon_out"),
        ("Loihi2Memory", "total_mpds", np.array([0.1]), "one length"),
    ],
)
def test_bad_profiler_data_is_refused(recorded_profilers, profiler, field, value, match):
    objects, _ = recorded_profilers
    if value is None:
        delattr(objects[profiler], field)
    else:
        setattr(objects[profiler], field, value)
    with pytest.raises(ProfilerDataError, match=match):
        measured(recorded_profilers)


def structure(group: h5py.Group) -> dict:
    """Names of every attribute, dataset and subgroup below ``group``, recursively."""
    return {
        "attrs": sorted(group.attrs),
        "children": {
            name: structure(item) if isinstance(item, h5py.Group) else (item.dtype.kind, item.ndim)
            for name, item in group.items()
        },
    }


def test_measured_and_modelled_reports_share_the_schema(
    recorded_profilers, small_network, counts, tmp_path
):
    modelled_report = simulated_probes(small_network, counts[:20], step_time_s=0.004)
    path = tmp_path / "run.h5"
    with h5py.File(path, "w") as f:
        measured(recorded_profilers).to_hdf5(f.create_group("hw"))
        modelled_report.to_hdf5(f.create_group("sim"))
    with h5py.File(path) as f:
        hw, sim = structure(f["hw"]), structure(f["sim"])
        reread = ProbeReport.from_hdf5(f["hw"])
    for name in ("power_rails_w", "constants", "constant_sources"):  # measured vs modelled
        hw["children"]["energy"]["children"][name]["attrs"] = []
        sim["children"]["energy"]["children"][name]["attrs"] = []
    sim_activity = sim["children"].pop("activity")
    hw_activity = hw["children"].pop("activity")
    assert hw == sim
    # hardware counters are run totals (1-D), simulated ones per step (2-D)
    assert {k: v[0] for k, v in hw_activity["children"].items()} == {
        k: v[0] for k, v in sim_activity["children"].items()
    }
    assert reread.source == "measured"
    np.testing.assert_array_equal(reread.memory_utilization, [0.31, np.nan, 0.12])
