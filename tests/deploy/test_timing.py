"""Bins and network steps (``rat_lava.deploy.timing``): the one definition every layer uses."""

import dataclasses

import numpy as np
import pytest
import torch

from rat_lava.deploy.timing import BinTiming, default_substeps, substeps_for
from rat_lava.model import RATSNN, RATConfig


@pytest.mark.parametrize(
    ("dt_ms", "substeps", "step_ms"), [(4, 1, 4.0), (10, 2, 5.0), (20, 4, 5.0), (50, 10, 5.0)]
)
def test_default_step_needs_no_flag_for_common_bins(dt_ms, substeps, step_ms):
    assert default_substeps(dt_ms / 1e3) == substeps
    assert BinTiming(dt_ms / 1e3, substeps).step_s * 1e3 == pytest.approx(step_ms)


def test_default_step_of_odd_bins_divides_them():
    """33 ms bins: 7 steps of 4.71 ms, the largest step of at most 5 ms that divides 33 ms."""
    assert default_substeps(0.033) == 7
    assert substeps_for(0.033, 0.033 / 7) == 7


def test_a_step_that_does_not_divide_the_bin_is_refused_with_the_nearest_that_do():
    assert substeps_for(0.05, 0.005) == 10
    with pytest.raises(ValueError, match=r"3 ms does not divide the 50 ms bins.*3\.125 ms"):
        substeps_for(0.05, 0.003)
    with pytest.raises(ValueError, match="positive"):
        substeps_for(0.05, 0.0)


def test_counts_are_spread_over_the_sub_steps_with_their_totals_kept():
    timing = BinTiming(0.05, 10)
    counts = np.array([[1, 3, 10, 0, 255]])
    steps = timing.spread(counts)
    assert steps.shape == (10, 5)
    assert steps.sum(axis=0).tolist() == [1, 3, 10, 0, 255]
    assert np.flatnonzero(steps[:, 0]).tolist() == [4]  # one spike: mid-bin
    assert np.flatnonzero(steps[:, 1]).tolist() == [1, 4, 8]
    assert steps[:, 2].tolist() == [1] * 10


def test_each_bin_is_read_one_read_delay_after_its_last_sub_step():
    timing = BinTiming(0.015, 3, read_delay=4)
    counts = np.array([[3, 0], [0, 6]])
    steps = timing.to_steps(counts)
    assert steps.shape == (2 * 3 + 4, 2) and timing.n_steps(2) == 10
    assert steps[:, 0].tolist() == [1, 1, 1, 0, 0, 0, 0, 0, 0, 0]
    assert steps[:, 1].tolist() == [0, 0, 0, 2, 2, 2, 0, 0, 0, 0]
    assert timing.read_step == 6 and timing.to_bins(np.arange(10)).tolist() == [6, 9]
    assert timing.lag_bins == 2 and timing.stream_substep == 0
    assert timing.bin_sums(np.arange(10)).tolist() == [4 + 5 + 6, 7 + 8 + 9]
    assert timing.latency_ms(8) == pytest.approx(40.0)


def test_one_step_per_bin_without_delay_is_the_identity():
    one = BinTiming(0.004)
    counts = np.arange(8).reshape(4, 2)
    assert np.array_equal(one.to_steps(counts), counts)
    assert np.array_equal(one.to_bins(np.arange(4)), np.arange(4))
    assert one.lag_bins == 0 and one.stream_substep == 0


def test_the_model_presents_bins_as_the_deployed_network_does():
    """The PyTorch model (sub-stepping in torch) and its fold (``BinTiming`` in numpy) compute
    the same velocity per bin (quantized weights: equal up to the model's float32 rounding)."""
    torch.manual_seed(0)
    config = RATConfig.small(
        dt=0.015, substeps=3, tokens=4, token_features=8, heads=2, mlp_width=24, quantize=True
    )
    config = dataclasses.replace(config, read_delay=config.latency_steps)
    model = RATSNN(config, 12, ["A/1"]).eval()
    counts = np.random.default_rng(0).poisson(1.5, (80, 12))
    with torch.no_grad():
        velocity = model(torch.from_numpy(counts).float()[None]).numpy()[0]
    network = model.fold("A/1")
    assert network.substeps == 3 and network.read_delay == 8
    assert network.step_s == pytest.approx(0.005)
    assert np.abs(velocity).max() > 0
    np.testing.assert_allclose(network.simulate(counts), velocity, rtol=0, atol=1e-6)
    stepped = network.run(network.timing.to_steps(counts)).velocity
    assert np.array_equal(network.simulate(counts), stepped[2 + 8 :: 3])


def test_a_read_delay_beyond_the_latency_is_refused():
    """Reading later than one latency after the bin would use a later bin's spikes."""
    with pytest.raises(ValueError, match="read_delay"):
        RATConfig.small(read_delay=9)
    network = RATSNN(RATConfig.small(), 12, ["A/1"]).fold("A/1")
    with pytest.raises(ValueError, match="read_delay"):
        dataclasses.replace(network, read_delay=network.latency_steps + 1)
