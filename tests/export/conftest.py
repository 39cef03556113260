"""Export tests run torch on one thread (shared 2-core machines)."""

import pytest
import torch


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)
