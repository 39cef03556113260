"""The machine-limit helpers of the speed benchmark."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from rat_lava.bench.limits import _accumulate, accumulates_per_s, float_model_like
from rat_lava.export.netfile import read_net
from tests.helpers.export_helpers import counts, tiny_quantized

SYNTHETIC_EXPORT = Path(__file__).resolve().parents[2] / "netx_exports/rat_small_synthetic.net"


def test_the_plain_kernel_accumulates():
    targets = np.array([0, 2, 2, 1], np.int64)
    drive = np.zeros(3, np.int64)
    _accumulate(targets, np.array([5, -1, 4, 7], np.int64), drive, 2)
    assert drive.tolist() == [10, 14, 6]


def test_accumulates_per_s_is_a_rate():
    rate = accumulates_per_s(edges=1000, width=64, seconds=0.05)
    assert 1e6 < rate < 1e12


def test_float_model_has_the_exports_architecture_and_runs():
    net_file = read_net(SYNTHETIC_EXPORT)
    model = float_model_like(net_file.network, net_file.card)
    assert not model.config.quantize and not model.training
    assert model.config.tokens == net_file.card["architecture"]["tokens"]
    with torch.no_grad():
        out = model(torch.zeros(1, 30, net_file.network.n_inputs))
    assert out.shape == (1, 30, 2)


def test_float_model_without_a_card_follows_the_networks_timing():
    network = tiny_quantized()
    model = float_model_like(network, None)
    assert (model.config.dt, model.config.substeps) == (network.dt, network.substeps)
    with torch.no_grad():
        assert model(torch.from_numpy(counts(20, network.n_inputs)).float()[None]).shape == (
            1,
            20,
            2,
        )
