"""Metrics against hand-computed numbers."""

import math

import numpy as np
import pytest
import torch

from rat_lava.metrics import (
    R2,
    Ops,
    activation_sparsity,
    effective_ops,
    ops_energy_pj,
    parameter_count,
    pearson_r,
    r2_score,
)

Y = np.array([[0.0, 1.0], [1.0, 3.0], [2.0, 5.0], [3.0, 7.0]])  # SS_tot = 5 and 20


def test_r2_of_a_perfect_prediction_is_one_and_of_the_mean_zero():
    assert r2_score(Y, Y) == R2(per_dim=(1.0, 1.0), mean=1.0)
    assert r2_score(Y, np.tile(Y.mean(axis=0), (4, 1))) == R2(per_dim=(0.0, 0.0), mean=0.0)


def test_r2_hand_example():
    pred = Y.copy()
    pred[0, 0] = 1.0  # dim 0: residuals (-1, 0, 0, 0): SS_res = 1 -> 1 - 1/5 = 0.8
    pred[:, 1] = [2.0, 4.0, 6.0, 5.0]  # dim 1: residuals (-1, -1, -1, 2): 1 - 7/20 = 0.65
    r2 = r2_score(Y, pred)
    assert r2.per_dim == pytest.approx((0.8, 0.65))
    assert r2.mean == pytest.approx(0.725)


def test_r2_worse_than_the_mean_is_negative():
    # residuals 2y: (0, 2, 4, 6) and (2, 6, 10, 14)
    assert r2_score(Y, -Y).per_dim == pytest.approx((1 - 56 / 5, 1 - 336 / 20))


def test_r2_of_a_constant_target_is_nan():
    flat = np.column_stack([np.ones(4), Y[:, 1]])
    r2 = r2_score(flat, flat)
    assert math.isnan(r2.per_dim[0]) and r2.per_dim[1] == 1.0 and math.isnan(r2.mean)


@pytest.mark.parametrize(
    ("y_true", "y_pred", "message"),
    [
        (Y, Y[:3], r"\(4, 2\) and \(3, 2\)"),
        (Y[:, 0], Y[:, 0], "both be"),
        (Y[:0], Y[:0], "T >= 1"),
        (Y, np.full_like(Y, np.nan), "finite"),
        (np.full_like(Y, np.inf), Y, "finite"),
    ],
)
def test_r2_and_pearson_reject_bad_input(y_true, y_pred, message):
    with pytest.raises(ValueError, match=message):
        r2_score(y_true, y_pred)
    with pytest.raises(ValueError, match=message):
        pearson_r(y_true, y_pred)


def test_pearson():
    assert pearson_r(Y, 2 * Y + 1) == pytest.approx((1.0, 1.0))
    assert pearson_r(Y, -Y) == pytest.approx((-1.0, -1.0))
    # dim 0: x = (0, 1, 2, 3), y = (0, 1, 0, 1): cov sum 1, norms sqrt(5 * 1)
    r = pearson_r(Y, np.column_stack([[0.0, 1.0, 0.0, 1.0], np.ones(4)]))
    assert r[0] == pytest.approx(1 / math.sqrt(5)) and math.isnan(r[1])


def test_parameter_count():
    assert parameter_count(torch.nn.Linear(3, 2)) == 8
    assert parameter_count({"a": np.zeros((2, 5)), "b": torch.ones(3), "c": torch.tensor(1)}) == 14


def test_effective_ops_hand_example_with_a_zero_weight_and_a_zero_input():
    weight = np.array([[1, 0, 2], [3, 0, 0]])  # fan-out per input column: 2, 0, 1
    spikes = np.array([[1, 1, 0], [0, 1, 1]])  # step 0: 2 + 0; step 1: 0 + 1 -> 1.5 per step
    assert effective_ops(spikes, weight) == Ops(acs_per_step=1.5)
    assert effective_ops(spikes.astype(bool), weight) == Ops(acs_per_step=1.5)
    graded = np.array([[0.5, 2.0, 0.0], [0.0, 1.0, 1.0]])  # same nonzeros, graded values
    assert effective_ops(graded, weight) == Ops(macs_per_step=1.5)


def test_network_ops_are_the_sum_of_layer_ops_and_cost_energy():
    layers = [Ops(acs_per_step=10.0), Ops(macs_per_step=2.0), Ops(acs_per_step=5.0)]
    total = sum(layers, Ops())
    assert total == Ops(acs_per_step=15.0, macs_per_step=2.0)
    assert ops_energy_pj(total) == pytest.approx(15 * 0.9 + 2 * 4.6)
    assert ops_energy_pj(total, e_ac=1.0, e_mac=10.0) == pytest.approx(35.0)


def test_effective_ops_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match=r"\(2, 3\) and \(2, 4\)"):
        effective_ops(np.ones((2, 3)), np.ones((2, 4)))
    with pytest.raises(ValueError, match="T >= 1"):
        effective_ops(np.ones((0, 3)), np.ones((2, 3)))


def test_activation_sparsity():
    # 1 of 4 and 2 of 4 nonzero: 1 - 3 / 8
    assert activation_sparsity([np.array([[0, 1], [0, 0]]), np.array([1, 1, 0, 0])]) == 0.625
    with pytest.raises(ValueError, match="no activations"):
        activation_sparsity([])
