"""Folding: every Rep layer and BN set equals one weight matrix and bias (float, 1e-5)."""

import numpy as np
import pytest
import torch
from torch import nn

from rat_lava.model import RATSNN
from rat_lava.model.attention import attention_product
from rat_lava.model.condition_norm import ConditionBatchNorm
from rat_lava.model.rep_layers import RepConv, RepFC, RepIdentity
from rat_lava.model.synapse import Synapse
from tests.helpers.model_helpers import random_counts, settle_batchnorm, tiny_config

CONDITIONS = 3


def spikes(batch: int, steps: int, size: int) -> torch.Tensor:
    return (torch.rand(batch, steps, size) < 0.3).float()


def settle(layer: nn.Module, size: int) -> None:
    """Train-mode passes on every condition with different input statistics."""
    layer.train()
    for condition in range(CONDITIONS):
        for _ in range(4):
            layer(spikes(3, 20, size) * (condition + 1) + condition, condition)
    layer.eval()


def assert_folds(layer: nn.Module, size: int, per_condition: bool = True) -> None:
    settle(layer, size)
    x = random_counts(2, 15, size)
    folded = []
    for condition in range(CONDITIONS):
        current, bias = layer(x, condition)
        weight, folded_bias = layer.fold(condition)
        torch.testing.assert_close(x @ weight.T, current, rtol=0, atol=1e-5)
        torch.testing.assert_close(folded_bias, bias, rtol=0, atol=1e-6)
        folded.append(weight)
    # each condition folds its own BN set; without reparam there is none
    assert torch.allclose(folded[0], folded[1]) != per_condition


@pytest.mark.parametrize("reparam", [True, False])
def test_rep_fc_folds(reparam: bool) -> None:
    config = tiny_config(reparam=reparam)
    assert_folds(RepFC(6, 5, 3, CONDITIONS, config), 18, per_condition=reparam)


@pytest.mark.parametrize("kernels", [(1, 3), (1, 3, 5)])
def test_rep_conv_folds(kernels: tuple[int, ...]) -> None:
    layer = RepConv(4, 6, CONDITIONS, tiny_config(rep_kernels=kernels))
    assert len(layer.convs) == len(kernels) and layer.identity is not None
    assert_folds(layer, 24)


def test_rep_conv_without_reparam_is_one_plain_convolution() -> None:
    layer = RepConv(4, 6, CONDITIONS, tiny_config(reparam=False))
    assert [c.kernel_size[0] for c in layer.convs] == [3] and layer.identity is None
    nn.init.normal_(layer.bias)
    x = random_counts(2, 15, 24)
    weight, bias = layer.fold(0)
    current, plain_bias = layer(x, 0)
    torch.testing.assert_close(x @ weight.T, current, rtol=0, atol=1e-5)
    torch.testing.assert_close(bias, plain_bias)


def test_rep_identity_folds() -> None:
    assert_folds(RepIdentity(4, 5, CONDITIONS, tiny_config()), 20)


def test_synapse_sums_branches_and_delays() -> None:
    config = tiny_config()
    synapse = Synapse(RepConv(4, 5, 1, config), RepFC(4, 4, 5, 1, config), delay=2)
    synapse.train()
    synapse(spikes(3, 20, 20), 0)
    synapse.eval()
    x = spikes(1, 10, 20)
    current, bias = synapse(x, 0)
    weight, folded_bias = synapse.fold(0)
    assert torch.all(current[:, :3] == 0)  # 1 + 2 steps before anything arrives
    torch.testing.assert_close(current[:, 3:], x[:, :-3] @ weight.T, rtol=0, atol=1e-5)
    torch.testing.assert_close(folded_bias, bias)


def test_attention_branch_folds_into_the_network() -> None:
    """Q, K, V inputs and the product's BN fold: model layers equal folded matrices."""
    model = RATSNN(tiny_config(), 10, ["a", "b"])
    settle_batchnorm(model, 10, ["a", "b"])
    block = model.attention
    folded = model.fold("b")
    x = spikes(2, 12, block.config.token_size)
    for name, synapse in (("q", block.to_q), ("k", block.to_k), ("v", block.to_v)):
        (connection,) = [c for c in folded.connections if c.dst == name]
        current, _ = synapse(x, 1)
        expected = torch.from_numpy(connection.weight).float()
        torch.testing.assert_close(current[:, 1:], x[:, :-1] @ expected.T, rtol=0, atol=1e-5)
    q, k, v = (spikes(2, 12, block.config.token_size) for _ in range(3))
    product = attention_product(q, k, v, block.config.tokens, block.config.heads)
    node = folded.products[0]
    expected = node(q.double().numpy(), k.double().numpy(), v.double().numpy())
    assert torch.equal(product.double(), torch.from_numpy(expected))
    (to_a,) = [c for c in folded.connections if c.src == "attn"]
    current, _ = block.to_a(product, 1)
    weight = torch.from_numpy(to_a.weight).float()
    torch.testing.assert_close(current[:, 1:], product[:, :-1] @ weight.T, rtol=0, atol=1e-5)


def test_batchnorm_sets_are_separate() -> None:
    norm = ConditionBatchNorm(3, 2)
    h = torch.randn(50, 3) * 4 + 2
    scale, shift = norm(h, 1, batch_statistics=True)
    (scale * h + shift).sum().backward()
    assert norm.sets[0].weight.grad is None and norm.sets[1].weight.grad is not None
    assert torch.equal(norm.sets[0].running_mean, torch.zeros(3))
    assert not torch.equal(norm.sets[1].running_mean, torch.zeros(3))
    normalised = scale * h + shift
    torch.testing.assert_close(normalised.mean(0), torch.zeros(3), atol=1e-5, rtol=0)
    torch.testing.assert_close(normalised.std(0, unbiased=False), torch.ones(3), atol=1e-3, rtol=0)


def test_unknown_condition_is_a_clear_error() -> None:
    model = RATSNN(tiny_config(), 10, ["a"])
    with pytest.raises(ValueError, match="unknown condition 'zz'"):
        model(random_counts(1, 5, 10), "zz")


def test_attention_residual_folds_with_its_delay() -> None:
    """X -> M beside U -> M: delayed so that both carry the same X step; the fold computes what
    the model computes."""
    model = RATSNN(tiny_config(attention_residual=True), 10, ["a", "b"])
    settle_batchnorm(model, 10, ["a", "b"])
    model.eval()
    folded = model.fold("b")
    (residual,) = [c for c in folded.connections if (c.src, c.dst) == ("x", "mlp")]
    assert residual.delay == 3 + model.config.attention_delay
    assert folded.latency_steps == model.latency_steps  # FoldedNetwork checks the branches meet
    x = spikes(1, 40, 10)
    with torch.no_grad():
        expected = model(x, "b")[0].double().numpy()
    np.testing.assert_allclose(folded.simulate(x[0].double().numpy()), expected, atol=1e-5)
    plain = RATSNN(tiny_config(), 10, ["a"]).fold("a")
    assert not [c for c in plain.connections if (c.src, c.dst) == ("x", "mlp")]


@pytest.mark.parametrize("quantize", [False, True])
@pytest.mark.parametrize("overrides", [{}, {"attention_residual": True}, {"attention": False}])
def test_inference_copy_computes_what_the_model_computes(quantize, overrides):
    import dataclasses

    from tests.helpers.tiny_rat import CONDITION, tiny_model

    model = tiny_model(**overrides)
    model.config = dataclasses.replace(model.config, quantize=quantize)
    counts = torch.poisson(torch.full((2, 30, model.n_channels), 0.6)).clamp(max=3)
    with torch.no_grad():
        expected = model(counts, CONDITION)
        frozen = model.inference_copy(CONDITION)
        torch.testing.assert_close(frozen(counts), expected, rtol=0, atol=1e-5)
    linears = [m for m in frozen.modules() if isinstance(m, nn.Linear)]
    # one nn.Linear per connection of the deployed network, holding its weights
    network = model.fold(CONDITION)
    assert len(linears) == len(network.connections)
    assert sorted(int(torch.count_nonzero(m.weight)) for m in linears) == sorted(
        int(np.count_nonzero(c.weight)) for c in network.connections
    )
    assert not any(isinstance(m, (RepConv, RepFC, RepIdentity)) for m in frozen.modules())
    assert frozen.conditions == [CONDITION] and model.conditions == [CONDITION]
