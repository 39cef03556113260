"""rat-lava's PyTorch decoders through NeuroBench's harness (needs ``rat-lava[neurobench]``).

``neurobench.benchmarks.Benchmark`` (neurobench 2.3.0) runs a model on a DataLoader of samples
and measures it with hooks: forward pre-hooks on ``nn.Linear`` / ``nn.Conv*`` / RNN modules
count synaptic operations (a nonzero input costs one operation per nonzero weight of its
fan-out; binary inputs cost ACs, others MACs; per sample), forward hooks on activation modules
give the activation sparsity. What this module hands it:

- The test part of a session as samples of one bin each, in order, in one batch; the wrapper
  (``SequenceModel``) runs them as one causal sequence from a zero state, exactly as
  ``rat-lava run`` decodes, and returns the velocity in data units.
- The RAT as ``RATSNN.inference_copy``: every synapse one ``nn.Linear`` with the folded,
  quantized weights of the export, so NeuroBench sees each feed-forward connection once (the
  training graph's Rep branches and BatchNorms are gone); its RLIF layers (slayer's CUBA
  neuron with a recurrent connection) are registered as activation modules.
- The GRU as ``GRUCellDecoder``: the same weights in an ``nn.GRUCell`` stepped over time,
  because NeuroBench 2.3.0 cannot count ``nn.GRU`` layers (it raises) but counts GRU cells.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from neurobench.benchmarks import Benchmark
from neurobench.metrics.static import ConnectionSparsity, Footprint
from neurobench.metrics.workload import R2, ActivationSparsity, SynapticOperations
from neurobench.models import TorchModel
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from rat_lava.baselines.gru import GRUDecoder
from rat_lava.data.session import Session
from rat_lava.errors import RatLavaError
from rat_lava.model import RATSNN
from rat_lava.model.neurons import RLIF
from rat_lava.train.decoders import TorchSequenceDecoder


class GRUCellDecoder(nn.Module):
    """A single-layer ``GRUDecoder`` stepped with ``nn.GRUCell``: the same function, in the
    form NeuroBench's SynapticOperations can count. ``forward(spikes (N, T, C)) -> (N, T, 2)``."""

    def __init__(self, gru: GRUDecoder) -> None:
        super().__init__()
        if gru.config.layers != 1:
            raise RatLavaError(
                f"NeuroBench's harness counts one GRU cell per layer; this GRU has "
                f"{gru.config.layers} layers (only 1 is supported here)"
            )
        hidden = gru.config.hidden
        self.inp = gru.inp[0]
        self.cell = nn.GRUCell(hidden, hidden)
        self.cell.load_state_dict(
            {
                "weight_ih": gru.gru.weight_ih_l0,
                "weight_hh": gru.gru.weight_hh_l0,
                "bias_ih": gru.gru.bias_ih_l0,
                "bias_hh": gru.gru.bias_hh_l0,
            }
        )
        self.out = gru.out

    def forward(self, spikes: torch.Tensor, condition: str | None = None) -> torch.Tensor:
        drive = self.inp(torch.log1p(spikes))
        state = torch.zeros(spikes.shape[0], self.cell.hidden_size, dtype=drive.dtype)
        states = []
        for step in range(spikes.shape[1]):
            state = self.cell(drive[:, step], state)
            states.append(state)
        return self.out(torch.stack(states, dim=1))


def harness_view(decoder: TorchSequenceDecoder, condition: str | None = None) -> nn.Module:
    """The module NeuroBench measures for a trained RAT or GRU (see the module docstring)."""
    model = decoder.model
    if isinstance(model, RATSNN):
        return model.inference_copy(condition)
    if isinstance(model, GRUDecoder):
        return GRUCellDecoder(model).eval()
    raise RatLavaError(f"no NeuroBench view of a {type(model).__name__}")


def run_harness(decoder: TorchSequenceDecoder, test: Session) -> dict[str, Any]:
    """NeuroBench's static and workload metrics of ``decoder`` on ``test``.

    Returns ``Benchmark.run``'s dict: Footprint (bytes), ConnectionSparsity, R2,
    ActivationSparsity and SynapticOperations (Effective_ACs, Effective_MACs, Dense; per
    sample, i.e. per bin of ``test``).
    """
    view = harness_view(decoder, test.condition if _knows(decoder, test) else None)
    model = SequenceModel(view, decoder.scale)
    if isinstance(view, RATSNN):
        model.add_activation_module(RLIF)
    inputs = torch.from_numpy(test.spikes.astype(np.float32)).unsqueeze(1)
    labels = torch.from_numpy(test.velocity.astype(np.float32))
    loader = DataLoader(TensorDataset(inputs, labels), batch_size=len(inputs), shuffle=False)
    metrics = [[Footprint, ConnectionSparsity], [R2, ActivationSparsity, SynapticOperations]]
    benchmark = Benchmark(model, loader, [], [], metrics)
    try:
        return benchmark.run(quiet=True)
    finally:
        model.cleanup_hooks()


def _knows(decoder: TorchSequenceDecoder, test: Session) -> bool:
    return test.condition in getattr(decoder.model, "conditions", [])


class SequenceModel(TorchModel):
    """NeuroBench model of a sequence decoder: a batch of B consecutive one-bin samples
    (B, 1, C) is decoded as one causal sequence; returns velocity (B, 2) in data units."""

    def __init__(self, net: nn.Module, scale: np.ndarray) -> None:
        super().__init__(net)
        self.scale = torch.as_tensor(np.asarray(scale, dtype=np.float32))

    def __call__(self, batch: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return self.net(batch[:, -1, :].unsqueeze(0))[0] * self.scale
