"""Every model test starts from the same torch seed, on one thread (shared 2-core machines)."""

import pytest
import torch


@pytest.fixture(autouse=True)
def _deterministic() -> None:
    torch.manual_seed(0)
    torch.set_num_threads(1)
