import numpy as np
import pytest
import torch

from rat_lava.metrics import (
    Ops,
    activation_sparsity,
    effective_ops,
    ops_energy_pj,
    parameter_count,
    pearson_r,
    r2_score,
)

Y = np.array([[0.0, 1.0], [1.0, 3.0], [2.0, 5.0], [3.0, 7.0]])


def test_r2_perfect_mean_and_hand_example():
    assert r2_score(Y, Y).per_dim == (1.0, 1.0)
    assert r2_score(Y, np.tile(Y.mean(0), (4, 1))).mean == pytest.approx(0.0)
    pred = Y.copy()
    pred[0, 0] = 1.0  # SS_res = 1, SS_tot = 5 -> 0.8 ; second dim perfect
    r2 = r2_score(Y, pred)
    assert r2.per_dim == pytest.approx((0.8, 1.0)) and r2.mean == pytest.approx(0.9)


def test_r2_rejects_bad_input():
    with pytest.raises(ValueError, match="both be"):
        r2_score(Y, Y[:3])
    with pytest.raises(ValueError, match="finite"):
        r2_score(Y, np.full_like(Y, np.nan))


def test_pearson():
    assert pearson_r(Y, 2 * Y + 1) == pytest.approx((1.0, 1.0))
    assert pearson_r(Y, -Y) == pytest.approx((-1.0, -1.0))


def test_parameter_count():
    assert parameter_count(torch.nn.Linear(3, 2)) == 8
    assert parameter_count({"a": np.zeros((2, 5)), "b": torch.ones(3)}) == 13


def test_effective_ops_hand_example():
    weight = np.array([[1, 0, 2], [3, 0, 0]])  # fan-out per input column: 2, 0, 1
    spikes = np.array([[1, 1, 0], [0, 1, 1]])  # step 0: 2 + 0 ; step 1: 0 + 1
    assert effective_ops(spikes, weight) == Ops(acs_per_step=1.5)
    graded = spikes * 3
    assert effective_ops(graded, weight) == Ops(macs_per_step=1.5)
    total = effective_ops(spikes, weight) + effective_ops(graded, weight)
    assert ops_energy_pj(total) == pytest.approx(1.5 * 0.9 + 1.5 * 4.6)


def test_activation_sparsity():
    assert activation_sparsity([np.array([[0, 1], [0, 0]]), np.array([1, 1, 0, 0])]) == 0.625
