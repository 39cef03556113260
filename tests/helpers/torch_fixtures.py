"""Autouse torch fixture that the conftest.py of a test folder imports to apply it there."""

import pytest
import torch


@pytest.fixture(autouse=True)
def deterministic_torch() -> None:
    """Every test starts from the same torch seed, on one thread (shared 2-core machines)."""
    torch.manual_seed(0)
    torch.set_num_threads(1)
