"""Efficiency counters on hand-checked networks and on a folded RAT SNN."""

import numpy as np
import torch

from rat_lava.deploy.counters import attention_accumulates, efficiency
from rat_lava.deploy.network import AttentionProduct, Connection, FoldedNetwork, NeuronLayer
from rat_lava.metrics import Ops
from rat_lava.model import RATSNN
from tests.helpers.model_helpers import random_counts, tiny_config


def layer(name: str, kind: str, recurrent: np.ndarray | None = None) -> NeuronLayer:
    """Two neurons without memory (decays 4096) and threshold 0.5."""
    full = np.full(2, 4096)
    return NeuronLayer(name, kind, full, full, 0.5, np.zeros(2), recurrent, (2,))


def test_hand_checked_operations() -> None:
    network = FoldedNetwork(
        n_inputs=2,
        dt=0.004,
        condition="c",
        layers=[layer("h", "cuba", np.array([[0.0, 0.0], [1.0, 0.0]])), layer("out", "integrator")],
        connections=[
            Connection("input", "h", np.array([[1.0, 0.0], [0.5, 0.5]])),
            Connection("h", "out", np.array([[1.0, 1.0], [0.0, 1.0]])),
        ],
        products=[],
        readout="out",
        readout_heads=1,
        quantized=False,
    )
    result = efficiency(network, np.array([[2.0, 0.0], [0.0, 1.0]]))
    # step 1: h receives [2, 1] from step 0 and both neurons spike
    assert result.spikes_per_step == {"h": 1.0}
    assert result.connection_ops == {
        "input->h": Ops(macs_per_step=1.5),  # graded counts: (2 + 1) fan-out / 2 steps
        "h->out": Ops(acs_per_step=1.5),  # spikes [1, 1] at step 1: fan-out 1 + 2
        "h->h": Ops(acs_per_step=0.5),
    }
    assert result.total == Ops(acs_per_step=2.0, macs_per_step=1.5)
    assert result.synapses == 7 and result.parameters == 7 + 12


def test_attention_accumulates_by_hand() -> None:
    product = AttentionProduct("attn", "q", "k", "v", tokens=2, heads=1, head_features=2, delay=1)
    q = np.array([[1, 0, 0, 0]])
    k = np.array([[1, 1, 0, 1]])
    v = np.array([[1, 0, 1, 1]])
    # K^T V: coincident pairs 2 * 1 + 1 * 2 = 4; Q adds row 0 of K^T V = [1, 0]: 1 nonzero
    assert attention_accumulates(product, q, k, v) == 5.0


def test_rat_network_counts() -> None:
    model = RATSNN(tiny_config(), 10, ["a"])
    model.train()
    with torch.no_grad():
        model(random_counts(4, 40, 10))
    model.eval()
    folded = model.fold()
    result = efficiency(folded, random_counts(1, 50, 10)[0].numpy())
    assert set(result.spikes_per_step) == {"x", "q", "k", "v", "a", "u", "mlp"}
    assert result.connection_ops["input->x"].acs_per_step == 0.0
    assert result.connection_ops["input->x"].macs_per_step > 0
    assert result.connection_ops["attn->a"].macs_per_step > 0
    assert result.connection_ops["x->q"].macs_per_step == 0.0
    assert result.attention_acs_per_step > 0
    assert result.total.acs_per_step > result.connection_ops["x->q"].acs_per_step
    weights = sum(np.count_nonzero(c.weight) for c in folded.connections)
    recurrent = sum(np.count_nonzero(x.recurrent) for x in folded.layers if x.recurrent is not None)
    assert result.synapses == weights + recurrent
