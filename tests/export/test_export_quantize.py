"""Quantization puts every value on Loihi 2's grid; timescale grouping bounds decay pairs."""

from dataclasses import replace

import numpy as np

from rat_lava.deploy.network import Connection
from rat_lava.export.quantize import (
    INTEGRATOR_VTH_MANT,
    needed_exponent,
    quantize_network,
    quantize_weight,
    weight_exponent,
)
from rat_lava.export.timescales import decay_groups, group_timescales
from tests.helpers.export_helpers import CONDITIONS, counts, tiny_model


def test_weight_grid_and_exponents():
    assert weight_exponent(np.array([-128, 0, 127])) == 0
    assert weight_exponent(np.array([-256, 2, 254])) == 1
    assert weight_exponent(np.array([-256, 3])) is None  # odd beyond int8: needs 9 bits
    assert weight_exponent(np.array([256])) is None
    assert needed_exponent(np.array([1.98])) == 0 and needed_exponent(np.array([2.0])) == 1
    weight, clipped = quantize_weight(np.array([0.01, -0.7, 10.0, -10.0]), 1)
    assert clipped == 2
    assert np.array_equal(weight * 64, [0, -44, 254, -256])


def test_quantized_network_is_on_the_grid_and_close_to_float():
    float_net = tiny_model().fold(CONDITIONS[1])
    quantized, report = quantize_network(float_net)
    assert quantized.quantized and not float_net.quantized
    for conn in quantized.connections:
        exponent = report.weight_exponents[f"{conn.src}->{conn.dst}"]
        assert weight_exponent(conn.weight * 64) is not None
        mantissa = conn.weight * 64 / 2**exponent
        assert np.array_equal(mantissa, np.rint(mantissa)) and np.abs(mantissa).max() <= 128
    for layer, original in zip(quantized.layers, float_net.layers, strict=True):
        assert np.array_equal(layer.bias * 64, np.rint(layer.bias * 64))
        assert layer.current_decay.dtype == np.int64
        if layer.kind == "integrator":
            assert layer.threshold_mant == INTEGRATOR_VTH_MANT
        else:
            assert layer.threshold_mant == round(original.threshold * 64)
    # the tiny model's weights all lie within [-2, 2): the finer step (e = 0) is chosen
    assert set(report.weight_exponents.values()) == {0}
    assert report.clipped_weights == 0
    # spike flips make the outputs differ; a wrong scale or sign would give errors near the RMS
    x = counts(1000)
    exact = float_net.simulate(x)
    error = np.abs(quantized.simulate(x) - exact).mean(axis=0)
    assert np.all(error > 0) and np.all(error < 0.5 * np.sqrt((exact**2).mean(axis=0)))


def test_recurrent_matrix_shares_the_primary_exponent():
    net = tiny_model(attention=False).fold(CONDITIONS[0])
    big = [replace(c, weight=c.weight * 8) if c.dst == "x" else c for c in net.connections]
    quantized, report = quantize_network(replace(net, connections=big))
    assert report.weight_exponents["input->x"] == 1
    assert report.weight_exponents["x (recurrent)"] == 1
    assert report.weight_exponents["mlp (recurrent)"] == 0
    assert not np.any(np.rint(quantized.layer("x").recurrent * 64) % 2)


def test_quantization_is_idempotent_and_keeps_a_quantization_aware_fold():
    model = tiny_model()
    once, _ = quantize_network(model.fold(CONDITIONS[0]))
    twice, _ = quantize_network(once)
    x = counts(200)
    assert np.array_equal(once.simulate(x), twice.simulate(x))
    model.config = replace(model.config, quantize=True)
    aware = model.fold(CONDITIONS[0])
    requantized, report = quantize_network(aware)
    assert report.clipped_weights == 0
    for a, b in zip(aware.connections, requantized.connections, strict=True):
        assert np.array_equal(a.weight, b.weight)
    assert np.array_equal(aware.simulate(x), requantized.simulate(x))


def test_clipped_weights_are_counted():
    net = tiny_model(attention=False).fold(CONDITIONS[0])
    first = net.connections[0]
    weight = first.weight.copy()
    weight[0, 0] = 9.0
    net = replace(net, connections=[Connection(first.src, first.dst, weight), *net.connections[1:]])
    quantized, report = quantize_network(net)
    assert report.clipped_weights == 1
    assert quantized.connections[0].weight[0, 0] == 127 / 32


def test_timescale_groups_bound_the_decay_pairs():
    quantized, _ = quantize_network(tiny_model().fold(CONDITIONS[1]))
    before = decay_groups(quantized)
    assert all(len(pairs) > 4 for pairs in before.values())
    for groups in (1, 3):
        grouped = group_timescales(quantized, groups)
        after = decay_groups(grouped)
        assert set(after) == set(before)
        for name, pairs in after.items():
            assert len(pairs) <= groups and sum(p[2] for p in pairs) == quantized.layer(name).size
        readout = grouped.layer(grouped.readout)
        assert np.array_equal(
            readout.voltage_decay, quantized.layer(quantized.readout).voltage_decay
        )
        again = group_timescales(quantized, groups)
        assert decay_groups(again) == after
    # a group's pair lies within the range of its members' decays
    grouped = group_timescales(quantized, 3)
    for layer, original in zip(grouped.layers, quantized.layers, strict=True):
        assert original.current_decay.min() <= layer.current_decay.min()
        assert layer.current_decay.max() <= original.current_decay.max()
        assert np.array_equal(layer.bias * 64, np.rint(layer.bias * 64))
    unchanged = group_timescales(quantized, 10_000)
    for a, b in zip(unchanged.layers, quantized.layers, strict=True):
        assert np.array_equal(a.current_decay, b.current_decay)
        assert np.array_equal(a.bias, b.bias)
