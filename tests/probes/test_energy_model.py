"""Energy model arithmetic against hand computation."""

import numpy as np
import pytest

from rat_lava.metrics import Ops
from rat_lava.probes.activity import CoreActivity
from rat_lava.probes.energy import EnergyModel, EnergyReport, modelled_energy

MODEL = EnergyModel(
    synop_pj=2.0,
    update_pj=3.0,
    spike_pj=5.0,
    synop_ns=1.0,
    update_ns=10.0,
    barrier_ns=100.0,
    static_core_w=0.5,
)


@pytest.fixture
def activity() -> CoreActivity:
    """Two cores, three steps."""
    return CoreActivity(
        core_idx=np.array([0, 1]),
        chip_idx=np.array([0, 0]),
        syn_ops=np.array([[10, 0], [20, 5], [0, 0]]),
        dendrite_updates=np.array([[4, 2], [4, 2], [4, 2]]),
        axon_out=np.array([[1, 0], [2, 1], [0, 0]]),
        spikes_in=np.array([[3, 0], [4, 1], [0, 0]]),
        num_steps=3,
    )


def test_dynamic_energy_per_core(activity):
    report = modelled_energy(activity, MODEL)
    # core 0: 30 synops x 2 + 12 updates x 3 + 3 spikes x 5 = 111 pJ; core 1: 10 + 18 + 5 = 33 pJ
    np.testing.assert_allclose(report.dynamic_energy_per_core_j, [111e-12, 33e-12])
    assert report.dynamic_energy_j == pytest.approx(144e-12)
    assert report.source == "modelled" and report.num_steps == 3


def test_step_time_is_the_busiest_core_plus_the_barrier(activity):
    report = modelled_energy(activity, MODEL)
    # step 0: max(10 + 40, 0 + 20) + 100 ns; step 1: max(20 + 40, 5 + 20) + 100; step 2: 40 + 100
    np.testing.assert_allclose(report.step_time_s, [150e-9, 160e-9, 140e-9])
    assert report.time_per_step_s == pytest.approx(150e-9)
    assert report.run_time_s == pytest.approx(450e-9)


def test_static_total_and_per_step_energy(activity):
    report = modelled_energy(activity, MODEL)
    assert report.static_power_w == pytest.approx(1.0)  # 0.5 W x 2 cores
    assert report.static_energy_j == pytest.approx(450e-9)
    assert report.total_energy_j == pytest.approx(450e-9 + 144e-12)
    assert report.energy_per_step_j == pytest.approx((450e-9 + 144e-12) / 3)
    assert report.dynamic_energy_per_step_j == pytest.approx(48e-12)
    assert report.mean_power_w == pytest.approx((450e-9 + 144e-12) / 450e-9)


def test_run_totals_give_the_same_energy_and_a_mean_step(activity):
    per_step = modelled_energy(activity, MODEL)
    totals = modelled_energy(activity.totals(), MODEL)
    np.testing.assert_allclose(totals.dynamic_energy_per_core_j, per_step.dynamic_energy_per_core_j)
    assert totals.step_time_s.shape == (0,)
    # mean load: core 0 10 synops + 4 updates per step -> 50 ns, core 1 5/3 + 20 ns
    assert totals.time_per_step_s == pytest.approx(150e-9)


def test_real_time_step_charges_static_power_over_the_bin(activity):
    report = modelled_energy(activity, MODEL, step_time_s=0.004)
    assert report.time_per_step_s == 0.004 and report.step_time_s.shape == (0,)
    assert report.static_energy_j == pytest.approx(1.0 * 0.012)
    with pytest.raises(ValueError, match="step_time_s"):
        modelled_energy(activity, MODEL, step_time_s=0.0)


def test_neurobench_energy_beside_the_model(activity):
    report = modelled_energy(activity, MODEL, ops=Ops(acs_per_step=1000.0, macs_per_step=10.0))
    assert report.neurobench_energy_per_step_j == pytest.approx((1000 * 0.9 + 10 * 4.6) * 1e-12)
    assert np.isnan(modelled_energy(activity, MODEL).neurobench_energy_per_step_j)


def test_default_constants_are_the_documented_loihi_figures():
    model = EnergyModel()
    assert (model.synop_pj, model.update_pj, model.spike_pj) == (23.6, 52.0, 1.7)
    assert (model.synop_ns, model.update_ns, model.barrier_ns) == (3.5, 5.3, 465.0)
    assert model.static_core_w == pytest.approx(0.815e-3, rel=1e-3)


def test_invalid_constants_and_reports_are_refused():
    with pytest.raises(ValueError, match="synop_pj"):
        EnergyModel(synop_pj=-1.0)
    with pytest.raises(ValueError, match="source"):
        EnergyReport(
            source="guessed",
            num_steps=1,
            step_time_s=np.zeros(0),
            time_per_step_s=1.0,
            dynamic_energy_per_core_j=np.zeros(1),
            dynamic_energy_j=0.0,
            static_power_w=0.0,
        )
