"""Every model test starts from the same torch seed, on one thread (shared 2-core machines)."""

from tests.helpers.torch_fixtures import deterministic_torch

__all__ = ["deterministic_torch"]
