"""rat-lava's decoders through NeuroBench's harness (neurobench 2.3.0), and the script that
prints its figures beside rat-lava's."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from rat_lava.baselines.gru import GRUConfig, GRUDecoder
from rat_lava.bench.neurobench_harness import GRUCellDecoder, run_harness
from rat_lava.data.session import Session
from rat_lava.deploy.counters import efficiency
from rat_lava.metrics import r2_score
from rat_lava.train.decoders import TorchSequenceDecoder
from tests.helpers.cli import run_benchmark
from tests.helpers.export_helpers import tiny_npz
from tests.helpers.tiny_rat import CHANNELS, CONDITION, random_counts, tiny_model

SCALE = np.array([2.0, 0.5], dtype=np.float32)


def session(steps: int = 300) -> Session:
    counts = random_counts(steps, seed=3)
    velocity = np.random.default_rng(4).normal(size=(steps, 2))
    return Session(counts, velocity, 0.004, "A", "1", source="test")


def test_gru_cell_decoder_is_the_gru():
    torch.manual_seed(0)
    gru = GRUDecoder(GRUConfig(hidden=16), CHANNELS).eval()
    counts = torch.from_numpy(random_counts(50).astype(np.float32))[None]
    with torch.no_grad():
        torch.testing.assert_close(GRUCellDecoder(gru)(counts), gru(counts), rtol=0, atol=1e-6)


def test_gru_through_the_harness():
    torch.manual_seed(0)
    test = session()
    decoder = TorchSequenceDecoder(GRUDecoder(GRUConfig(hidden=16), CHANNELS), SCALE, CHANNELS)
    results = run_harness(decoder, test)
    expected = r2_score(test.velocity, decoder.predict(test)).mean
    assert results["R2"] == pytest.approx(expected, abs=1e-5)
    ops = results["SynapticOperations"]
    assert ops["Effective_ACs"] == 0 and 0 < ops["Effective_MACs"] <= ops["Dense"]
    # dense: every weight of inp, cell and out once per sample, plus the cell's gate products
    weights = 16 * CHANNELS + 3 * 16 * 16 * 2 + 16 * 2
    assert weights <= ops["Dense"] <= weights + 3 * 16


@pytest.mark.parametrize("quantize", [False, True])
def test_rat_through_the_harness_counts_the_feed_forward_connections(quantize):
    model = tiny_model(attention_residual=True)
    model.config = dataclasses.replace(model.config, quantize=quantize)
    test = session()
    decoder = TorchSequenceDecoder(model, SCALE, CHANNELS)
    results = run_harness(decoder, test)
    assert results["R2"] == pytest.approx(r2_score(test.velocity, decoder.predict(test)).mean)
    assert 0 < results["ActivationSparsity"] < 1  # the RLIF layers are hooked
    # rat-lava's count of the same connections (no recurrent ones, no attention products)
    eff = efficiency(model.fold(CONDITION), test.spikes)
    forward = [v for k, v in eff.connection_ops.items() if k.split("->")[0] != k.split("->")[1]]
    ops = results["SynapticOperations"]
    sub = model.config.substeps
    assert ops["Effective_ACs"] == pytest.approx(sum(o.acs_per_step for o in forward) * sub, 0.02)
    assert ops["Effective_MACs"] == pytest.approx(sum(o.macs_per_step for o in forward) * sub, 0.02)
    # the deployed network: one float32 weight per matrix entry, the biases, the neurons
    assert results["Footprint"] > 4 * sum(c.weight.size for c in model.fold(CONDITION).connections)


@pytest.mark.slow
def test_script_prints_both_tools_figures(tmp_path):
    data = tiny_npz(tmp_path / "tiny.npz", duration_s=30.0)
    report = tmp_path / "nb.md"
    args = ["--data", str(data), "--out", str(tmp_path / "bench"), "--epochs", "1"]
    done = run_benchmark("neurobench.py", *args, "--report", report)
    text = report.read_text(encoding="utf-8")
    assert text.strip() in done.stdout
    rows = {line.split("|")[1].strip(): line for line in text.splitlines() if line.startswith("|")}
    assert {"R²", "footprint", "effective ACs / bin", "effective MACs / bin"} <= set(rows)
    assert "Lava sim-fixed" in rows["R²"] and "NeuroBench sees the feed-forward part" in text
