"""Shared fixtures of the probe tests: a small deployed RAT network and Loihi 2 profiler data."""

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from rat_lava.deploy.network import FoldedNetwork
from rat_lava.model.config import RATConfig
from rat_lava.model.rat import RATSNN
from tests.helpers.recorded_profilers import load_recorded_profilers


@pytest.fixture(scope="session")
def small_network() -> FoldedNetwork:
    """The small preset (8 tokens x 16 features, 2 heads, MLP 128) for 96 channels, folded."""
    torch.manual_seed(0)
    return RATSNN(RATConfig.small(), 96, ["A/1"]).fold("A/1")


@pytest.fixture(scope="session")
def counts() -> np.ndarray:
    """Poisson spike counts, 120 steps x 96 channels."""
    return np.random.default_rng(0).poisson(0.3, size=(120, 96))


@pytest.fixture
def recorded_profilers() -> tuple[dict[str, SimpleNamespace], int]:
    """Recorded-format fixture (shape of lava-loihi's profiler objects; not hardware data):
    one fresh object per profiler with exactly the attributes of the JSON file, and num_steps."""
    return load_recorded_profilers()
